"""`recoup serve` without an account: CSM datagrams are attributed by access
key and never dropped, and every source is visible in /metrics and
/api/status. Real peers: boto3 with AWS_CSM_ENABLED=true calling KMS on moto,
moto's sts:GetAccessKeyInfo, promtool for the exposition format.

  DefaultsTest       `recoup serve` with the defaults (CSM on udp
                     127.0.0.1:31000, no --account, no configuration file):
                     a boto3 client's KMS calls are in `recoup report` and in
                     /metrics, under the account moto's GetAccessKeyInfo names;
  UnattributedTest   recoup without credentials: the datagrams are kept and
                     counted as unattributed (/metrics, /api/status), survive
                     kill -9, and are attributed when a mapping appears;
  ConfigSearchTest   the configuration is found at $RECOUP_CONFIG, then
                     $XDG_CONFIG_HOME/recoup/recoup.toml.
"""

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

from aws_peers import MotoServer, free_port
import recoup_it
from recoup_it import RecoupTestCase, ACCOUNT_A

wait_for = functools.partial(recoup_it.wait_for, every=0.2)

OWNER = "210987654321"  # moto's account: its IAM user, so GetAccessKeyInfo's answer

# boto3 with client-side monitoring on (host and port: the SDK's defaults
# unless AWS_CSM_PORT is set); prints the calls it made and its access key.
CLIENT = r"""
import json, sys, boto3, botocore.config
endpoint, key_id, secret, calls = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id=key_id, aws_secret_access_key=secret,
                   config=botocore.config.Config(retries={"total_max_attempts": 1}))
key = kms.create_key()["KeyMetadata"]["KeyId"]
for i in range(calls - 1):
    if i % 2 == 0:
        kms.generate_random(NumberOfBytes=16)
    else:
        kms.encrypt(KeyId=key, Plaintext=b"canary")
print(json.dumps({"calls": calls}))
"""


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def metric_samples(text):
    """{(name, frozenset(labels)): value} from Prometheus text."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        labels = {}
        name = head
        if "{" in head:
            name, rest = head.split("{", 1)
            for part in rest.rstrip("}").split(","):
                k, v = part.split("=", 1)
                labels[k] = v.strip('"')
        out[(name, frozenset(labels.items()))] = value
    return out


def month_now():
    return time.strftime("%Y-%m", time.gmtime())


class ServeTestCase(RecoupTestCase):
    def start_serve(self, *args, env=None):
        self.starts = getattr(self, "starts", 0) + 1
        self.log_path = os.path.join(self.tmp, "serve-%d.log" % self.starts)
        log = open(self.log_path, "wb")
        self.addCleanup(log.close)
        p = subprocess.Popen([recoup_it.BINARY, "--store", self.store, "serve"] + list(args),
                             env=env if env is not None else self.env, stdout=subprocess.PIPE,
                             stderr=log, cwd=self.tmp)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        self.addCleanup(p.stdout.close)
        wait_for("recoup serve to start",
                 lambda: b"running" in self.serve_log() or p.poll() is not None)
        self.assertIsNone(p.poll(), self.serve_log())
        return p

    def serve_log(self):
        with open(self.log_path, "rb") as f:
            return f.read()

    def stop_serve(self, p):
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, self.serve_log())
        return json.loads(out)

    def boto3_calls(self, moto, calls, csm_port=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_")}
        env.update(AWS_CSM_ENABLED="true", AWS_CONFIG_FILE="/nonexistent/config",
                   AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials")
        if csm_port is not None:
            env["AWS_CSM_PORT"] = str(csm_port)
        out = subprocess.run([sys.executable, "-c", CLIENT, moto.endpoint, moto.key_id,
                              moto.secret, str(calls)], env=env, capture_output=True, text=True,
                             timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)["calls"]

    def report_rows(self, env=None):
        r = self.run_recoup("report", "--output", "json", env=env)
        if r.returncode != 0 or not r.stdout.strip():
            return []
        return json.loads(r.stdout)

    def web_json(self, port, path):
        status, body = http_get("http://127.0.0.1:%d%s" % (port, path))
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def metrics(self, port):
        status, body = http_get("http://127.0.0.1:%d/metrics" % port)
        self.assertEqual(status, 200, body)
        if shutil.which("promtool"):
            check = subprocess.run(["promtool", "check", "metrics"], input=body,
                                   capture_output=True, text=True, timeout=60)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            self.assertEqual(check.stdout.strip() + check.stderr.strip(), "")
        return metric_samples(body)

    def no_credentials_env(self):
        env = {k: v for k, v in self.env.items() if not k.startswith("AWS_")}
        env.update(AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/nonexistent/config",
                   AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials")
        return env


def csm_label():
    return frozenset({"source": "csm", "kind": "csm"}.items())


class DefaultsTest(ServeTestCase):
    def test_a_boto3_client_is_counted_with_the_defaults(self):
        # The SDK's default CSM address must be free for this test.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", 31000))
            except OSError as e:
                self.fail("udp 127.0.0.1:31000 is in use (%s): the test needs the default" % e)
        moto = MotoServer(extra_env={"MOTO_ACCOUNT_ID": OWNER})
        self.addCleanup(moto.stop)
        env = moto.env(self.env)
        web_port = free_port()
        # Only the HTTP ports are moved off their defaults (8080 and 4318 may
        # be taken on a shared machine); CSM, the account and the
        # configuration are the defaults.
        serve = self.start_serve("--listen", "127.0.0.1:%d" % web_port,
                                 "--otlp-listen", "127.0.0.1:%d" % free_port(), env=env)
        self.assertIn(b"CSM on udp 127.0.0.1:31000", self.serve_log())

        calls = self.boto3_calls(moto, 12)

        def counted():
            rows = [r for r in self.report_rows() if r["account"] == OWNER]
            return rows[0] if rows and rows[0]["requests"] >= calls else None
        row = wait_for("the KMS calls in recoup report", counted, timeout=60)
        self.assertEqual(row["requests"], calls)
        self.assertEqual(row["region"], "us-east-1")
        self.assertEqual(row["failed_requests"], 0)
        self.assertEqual([r["account"] for r in self.report_rows()], [OWNER])

        samples = self.metrics(web_port)
        labels = frozenset({"account": OWNER, "region": "us-east-1", "service": "kms",
                            "month": month_now()}.items())
        self.assertEqual(samples[("recoup_requests_total", labels)], str(calls))
        self.assertEqual(samples[("recoup_failed_requests_total", labels)], "0")
        self.assertEqual(samples[("recoup_throttled_requests_total", labels)], "0")
        self.assertEqual(samples[("recoup_client_error_requests_total", labels)], "0")
        self.assertEqual(samples[("recoup_source_accepted_total", csm_label())], str(calls))
        # Datagrams that came before GetAccessKeyInfo answered were kept, then
        # attributed: none is left waiting.
        self.assertLessEqual(int(samples[("recoup_source_unattributed_total", csm_label())]),
                             calls)
        self.assertEqual(samples[("recoup_unattributed_pending",
                                  frozenset({"source": "csm"}.items()))], "0")
        # The last event is one of the client's calls: seconds, not ms.
        last = float(samples[("recoup_source_last_event_timestamp_seconds", csm_label())])
        self.assertLess(abs(last - time.time()), 600)
        info = [dict(k[1]) for k in samples if k[0] == "recoup_build_info"]
        self.assertEqual(len(info), 1, info)
        self.assertTrue(info[0]["version"])
        self.assertTrue(info[0]["commit"])
        self.assertTrue(info[0]["build_type"])
        self.assertTrue(info[0]["catalog_version"])
        # Every configured source is listed, with all its counters.
        for name in ("csm", "otlp"):
            for family in ("accepted", "rejected", "unattributed", "duplicate"):
                kind = frozenset({"source": name, "kind": name}.items())
                self.assertIn(("recoup_source_%s_total" % family, kind), samples)

        status = self.web_json(web_port, "/api/status")
        csm = [s for s in status["sources"] if s["name"] == "csm"][0]
        self.assertEqual(csm["accepted"], calls)
        self.assertTrue(csm["last_event"].endswith("Z"), csm)
        self.assertEqual(status["unattributed_pending"], 0)
        self.assertEqual({s["name"] for s in status["sources"]}, {"csm", "otlp"})
        for s in status["sources"]:
            for field in ("accepted", "rejected", "unattributed", "duplicate", "last_event"):
                self.assertIn(field, s)

        stats = self.stop_serve(serve)
        self.assertEqual(stats["unattributed"]["lookups"], 1, stats)  # one call per new key


class UnattributedTest(ServeTestCase):
    def test_kept_counted_and_attributed_when_a_mapping_appears(self):
        moto = MotoServer()
        self.addCleanup(moto.stop)
        env = self.no_credentials_env()
        csm_port, web_port = free_port(), free_port()
        flags = ["--csm-listen", "127.0.0.1:%d" % csm_port, "--listen",
                 "127.0.0.1:%d" % web_port, "--otlp-listen", "127.0.0.1:%d" % free_port()]
        serve = self.start_serve(*flags, env=env)

        calls = self.boto3_calls(moto, 9, csm_port=csm_port)

        def kept():
            st = self.web_json(web_port, "/api/status")
            return st if st["unattributed_pending"] >= calls else None
        status = wait_for("the datagrams to be kept", kept, timeout=60)
        self.assertEqual(status["unattributed_pending"], calls)
        masked = moto.key_id[:4] + "..." + moto.key_id[-4:]
        self.assertEqual(status["unattributed"],
                         [{"source": "csm", "access_key": masked, "records": calls}])
        csm = [s for s in status["sources"] if s["name"] == "csm"][0]
        self.assertEqual(csm["unattributed"], calls)
        self.assertEqual(csm["accepted"], 0)
        self.assertEqual(csm["rejected"], 0)
        samples = self.metrics(web_port)
        self.assertEqual(samples[("recoup_source_unattributed_total", csm_label())], str(calls))
        self.assertEqual(samples[("recoup_unattributed_pending",
                                  frozenset({"source": "csm"}.items()))], str(calls))
        self.assertEqual(self.report_rows(env), [])
        log = self.serve_log().decode()
        self.assertIn("access key %s" % masked, log)
        self.assertIn("sources.csm.access_keys", log)
        self.assertNotIn(moto.key_id, log)
        self.assertNotIn(moto.secret, log)

        # Durable: kill -9, then a restart with the key mapped attributes them.
        serve.kill()
        serve.wait()
        config = os.path.join(self.tmp, "recoup.toml")
        with open(config, "w") as f:
            f.write('[sources.csm]\naccess_keys = { "%s" = "%s" }\n' % (moto.key_id, ACCOUNT_A))
        serve = self.start_serve("--config", config, *flags, env=env)

        def attributed():
            rows = [r for r in self.report_rows(env) if r["account"] == ACCOUNT_A]
            return rows[0] if rows and rows[0]["requests"] >= calls else None
        row = wait_for("the kept datagrams in the report", attributed, timeout=60)
        self.assertEqual(row["requests"], calls)
        wait_for("nothing left unattributed",
                 lambda: self.web_json(web_port, "/api/status")["unattributed_pending"] == 0)
        stats = self.stop_serve(serve)
        self.assertEqual(stats["unattributed"]["attributed"], calls, stats)
        self.assertEqual(stats["unattributed"]["pending"], 0, stats)


class ConfigSearchTest(ServeTestCase):
    def write_config(self, path, port):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write('[sources.csm]\nenabled = false\n[sources.otlp]\nenabled = false\n'
                    '[dashboard]\nlisten = "127.0.0.1:%d"\n' % port)
        return path

    def answers(self, port):
        return http_get("http://127.0.0.1:%d/api/status" % port)[0] == 200

    def test_recoup_config_then_xdg_config_home(self):
        xdg_port, named_port = free_port(), free_port()
        xdg = self.write_config(self.path("xdg", "recoup", "recoup.toml"), xdg_port)
        named = self.write_config(self.path("named.toml"), named_port)
        env = dict(self.env, XDG_CONFIG_HOME=self.path("xdg"))
        env.pop("RECOUP_CONFIG", None)

        serve = self.start_serve(env=env)
        self.assertIn(("configuration " + xdg).encode(), self.serve_log())
        self.assertTrue(self.answers(xdg_port))
        self.stop_serve(serve)

        serve = self.start_serve(env=dict(env, RECOUP_CONFIG=named))
        self.assertIn(("configuration " + named).encode(), self.serve_log())
        self.assertTrue(self.answers(named_port))
        self.assertFalse(self.answers(xdg_port))
        self.stop_serve(serve)

        missing = self.path("missing.toml")
        r = self.run_recoup("serve", env=dict(env, RECOUP_CONFIG=missing), timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("RECOUP_CONFIG=" + missing, r.stderr)


if __name__ == "__main__":
    unittest.main()
