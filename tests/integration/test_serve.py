"""`recoup serve` end to end with real peers.

A real AWS SDK (boto3, AWS_CSM_ENABLED=true) calls KMS on moto through a
fault-injecting proxy that answers KMSInternalException (HTTP 500) and
ThrottlingException in a scheduled window of calls. recoup must see every
call attempt (its counts equal what the SDK did), and raise the credit-tier
and burn-rate alerts to a webhook receiver and, by SMTP, to a real SMTP
server (Debian's python3-aiosmtpd).
"""

import email
import functools
import glob
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

from aws_peers import MotoServer, free_port
import recoup_it
from recoup_it import RecoupTestCase, ACCOUNT_A

# Calls [FAIL_FROM, FAIL_TO) get KMSInternalException, [FAIL_TO, THROTTLE_TO)
# ThrottlingException; every other call goes to moto.
FAIL_FROM, FAIL_TO, THROTTLE_TO = 20, 32, 38
CALLS = 60

# Polls here often run `recoup report`: every 0.2 s is enough.
wait_for = functools.partial(recoup_it.wait_for, every=0.2)

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python3-aiosmtpd lives there


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that logs nothing and can answer in one call."""

    def log_message(self, *args):
        pass

    def reply(self, status, data=b"", content_type="text/plain", headers=()):
        self.send_response(status)
        if data:
            self.send_header("Content-Type", content_type)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class LocalHttpPeer:
    """A threaded HTTP server on 127.0.0.1 (port chosen by the kernel)."""

    def serve(self, handler):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class FaultProxy(LocalHttpPeer):
    """Forwards KMS calls to moto, except in the scheduled window."""

    def __init__(self, upstream, fail=(FAIL_FROM, FAIL_TO), throttle=(FAIL_TO, THROTTLE_TO),
                 fail_code="KMSInternalException"):
        self.upstream = urllib.parse.urlparse(upstream)
        self.calls = 0
        self.injected = {"server_error": [], "throttled": []}
        self.forwarded = []  # (request ID, HTTP status) of each answer from upstream
        self.lock = threading.Lock()
        proxy = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self.do_POST()

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with proxy.lock:
                    n = proxy.calls
                    proxy.calls += 1
                if fail[0] <= n < fail[1]:
                    self._error(500, fail_code, "injected", "server_error", n)
                elif throttle[0] <= n < throttle[1]:
                    self._error(400, "ThrottlingException", "Rate exceeded", "throttled", n)
                else:
                    self._forward(body)

            def _error(self, status, code, message, kind, n):
                rid = "inject-%04d-%s" % (n, code)
                with proxy.lock:
                    proxy.injected[kind].append(rid)
                if self.command == "GET" and not self.path.startswith("/2015-03-31/"):
                    # S3: an XML error body, its request ID header.
                    payload = ("<Error><Code>%s</Code><Message>%s</Message><RequestId>%s"
                               "</RequestId></Error>" % (code, message, rid)).encode()
                    self.reply(status, payload, "application/xml", [("x-amz-request-id", rid)])
                    return
                payload = json.dumps({"__type": code, "message": message}).encode()
                self.reply(status, payload, "application/x-amz-json-1.1",
                           [("x-amzn-RequestId", rid), ("x-amzn-ErrorType", code)])

            def _forward(self, body):
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port,
                                                  timeout=30)
                conn.putrequest(self.command, self.path, skip_host=True,
                                skip_accept_encoding=True)
                for k, v in self.headers.items():  # Host kept: it is signed
                    if k.lower() not in ("content-length", "connection"):
                        conn.putheader(k, v)
                conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
                resp = conn.getresponse()
                data = resp.read()
                with proxy.lock:
                    proxy.forwarded.append((resp.getheader("x-amzn-RequestId") or
                                            resp.getheader("x-amz-request-id"), resp.status))
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding",
                                         "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

        self.serve(Handler)
        self.url = "http://127.0.0.1:%d" % self.port


class WebhookReceiver(LocalHttpPeer):
    def __init__(self, fail_first=0):
        self.bodies = []
        self.received_at = []  # time.time() of each accepted body
        self.fail_left = fail_first
        recv = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if recv.fail_left > 0:  # a receiver down: recoup must retry
                    recv.fail_left -= 1
                    return self.reply(503)
                recv.bodies.append(json.loads(body))
                recv.received_at.append(time.time())
                self.send_response(204)
                self.end_headers()

        self.serve(Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.port


class SlackReceiver(LocalHttpPeer):
    """Answers as a Slack incoming webhook does: 200 "ok" for a valid message;
    400 "invalid_payload" / "no_text" / "invalid_blocks" otherwise; the first
    `rate_limit_first` posts get 429 with Retry-After, as Slack's 1/s limit does."""

    def __init__(self, rate_limit_first=0):
        self.messages = []
        self.refused = []
        self.limited_at = []
        self.accepted_at = []
        self.limit_left = rate_limit_first
        recv = self

        def check(body):
            if not isinstance(body.get("text", ""), str):
                return "invalid_payload"
            blocks = body.get("blocks")
            if not body.get("text") and not blocks:
                return "no_text"
            for b in blocks or []:
                if b.get("type") != "section":
                    return "invalid_blocks"
                texts = ([b["text"]] if "text" in b else []) + b.get("fields", [])
                if not texts or len(b.get("fields", [])) > 10:
                    return "invalid_blocks"
                for t in texts:
                    limit = 3000 if t is b.get("text") else 2000
                    if t.get("type") not in ("mrkdwn", "plain_text") or \
                            not isinstance(t.get("text"), str) or not t["text"] or \
                            len(t["text"]) > limit:
                        return "invalid_blocks"
            return None

        class Handler(QuietHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if recv.limit_left > 0:
                    recv.limit_left -= 1
                    recv.limited_at.append(time.time())
                    return self.reply(429, b"rate_limited", headers=[("Retry-After", "4")])
                if not self.headers.get("Content-Type", "").startswith("application/json"):
                    recv.refused.append(raw)
                    return self.reply(400, b"invalid_payload")
                try:
                    body = json.loads(raw)
                except ValueError:
                    recv.refused.append(raw)
                    return self.reply(400, b"invalid_payload")
                err = check(body)
                if err:
                    recv.refused.append(raw)
                    return self.reply(400, err.encode())
                recv.messages.append(body)
                recv.accepted_at.append(time.time())
                self.reply(200, b"ok")

        self.serve(Handler)
        self.url = "http://127.0.0.1:%d/services/T000/B000/XXXXSECRET" % self.port


class SmtpServer:
    """aiosmtpd (Debian's python3-aiosmtpd) delivering to a Maildir."""

    def __init__(self, folder):
        self.port = free_port()
        self.maildir = os.path.join(folder, "maildir")
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:%d" % self.port,
             "-c", "aiosmtpd.handlers.Mailbox", self.maildir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("aiosmtpd did not start")
                time.sleep(0.1)

    def messages(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.maildir, "new", "*"))):
            with open(path, "rb") as f:
                out.append(email.message_from_bytes(f.read()))
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


# The application: boto3 with client-side monitoring on, no SDK retries (so
# every call is one attempt), counting what it saw.
CLIENT = r"""
import json, sys, boto3, botocore.config, botocore.exceptions
endpoint, key_id, secret, calls = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id=key_id, aws_secret_access_key=secret,
                   config=botocore.config.Config(retries={"total_max_attempts": 1}))
key = kms.create_key()["KeyMetadata"]["KeyId"]
seen = {"success": 1, "server_error": 0, "throttled": 0, "other": 0}
for i in range(calls - 1):
    try:
        if i % 3 == 0:
            kms.generate_random(NumberOfBytes=16)
        elif i % 3 == 1:
            blob = kms.encrypt(KeyId=key, Plaintext=b"canary")["CiphertextBlob"]
        else:
            kms.describe_key(KeyId=key)
        seen["success"] += 1
    except botocore.exceptions.ClientError as e:
        code = e.response["Error"]["Code"]
        seen["server_error" if code == "KMSInternalException" else
             "throttled" if code == "ThrottlingException" else "other"] += 1
print(json.dumps(seen))
"""


class ServeCsmAlertTest(RecoupTestCase):

    def test_sdk_calls_are_all_counted_and_the_outage_alerts(self):
        moto = MotoServer()
        self.addCleanup(moto.stop)
        proxy = FaultProxy(moto.endpoint)
        self.addCleanup(proxy.stop)
        hook = WebhookReceiver(fail_first=2)
        self.addCleanup(hook.stop)
        smtp = SmtpServer(self.tmp)
        self.addCleanup(smtp.stop)
        slack = SlackReceiver()
        self.addCleanup(slack.stop)

        # A charge for the month, so the alert can say what the claim is worth.
        month = time.strftime("%Y-%m", time.gmtime())
        r = self.run_recoup("billing", "set", "--account", ACCOUNT_A, "--region", "us-east-1",
                        "--month", month, "--amount", "1234.56")
        self.assertEqual(r.returncode, 0, r)

        csm_port = free_port()
        config = os.path.join(self.tmp, "recoup.toml")
        with open(config, "w") as f:
            f.write("""
[serve]
account = "%s"
evaluate_every = "200ms"
[sources.csm]
listen = "127.0.0.1:%d"
[sources.otlp]
enabled = false
[dashboard]
enabled = false
[alerts]
min_requests = 10
on_open_interval = true
[[alerts.channels]]
name = "hook"
type = "webhook"
url = "%s"
[[alerts.channels]]
name = "mail"
type = "email"
url = "smtp://127.0.0.1:%d"
from = "recoup@example.com"
to = ["oncall@example.com"]
[[alerts.channels]]
type = "log"
[[alerts.channels]]
name = "slack"
type = "slack"
url = "%s"
""" % (ACCOUNT_A, csm_port, hook.url, smtp.port, slack.url))
        serve = self.start_serve(config)

        env = dict(os.environ, AWS_CSM_ENABLED="true", AWS_CSM_PORT=str(csm_port),
                   AWS_CSM_HOST="127.0.0.1", AWS_CSM_CLIENT_ID="recoup-test")
        for k in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            env.pop(k, None)
        out = subprocess.run([sys.executable, "-c", CLIENT, proxy.url, moto.key_id, moto.secret,
                              str(CALLS)], env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr)
        seen = json.loads(out.stdout)
        self.assertEqual(seen["server_error"], FAIL_TO - FAIL_FROM, seen)
        self.assertEqual(seen["throttled"], THROTTLE_TO - FAIL_TO, seen)
        self.assertEqual(seen["other"], 0, seen)

        # recoup saw every attempt: successes and server errors count, the
        # throttled calls are excluded (and counted as such).
        def counted():
            r = self.run_recoup("report", "--output", "json", "--region", "us-east-1")
            rows = json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else []
            if rows and rows[0]["requests"] + rows[0]["excluded_requests"]["throttling"] >= \
                    seen["success"] + seen["server_error"] + seen["throttled"]:
                return rows[0]
            return None
        row = wait_for("recoup to count every call", counted)
        self.assertEqual(row["account"], ACCOUNT_A)
        self.assertEqual(row["requests"], seen["success"] + seen["server_error"])
        self.assertEqual(row["failed_requests"], seen["server_error"])
        self.assertEqual(row["excluded_requests"]["throttling"], seen["throttled"])
        self.assertTrue(row["breached"], row)

        # The injected failures are evidence, by request ID.
        failing = self.run_recoup("report", "--output", "json", "--intervals")
        self.assertEqual(failing.returncode, 0, failing)
        for rid in proxy.injected["server_error"]:
            self.assertIn(rid, failing.stdout + self.store_failure_ids())

        # The alerts: the webhook got the tier alert (after two refused
        # deliveries: retried), with the MUP, the tier and the credit so far.
        def tier_alert():
            return [b for b in hook.bodies if b["kind"] == "tier" and b["action"] == "firing"]
        alerts = wait_for("the tier alert at the webhook", tier_alert)
        self.assertEqual(len(alerts), 1, hook.bodies)
        a = alerts[0]
        self.assertEqual(a["region"], "us-east-1")
        # Raised as soon as the month's MUP fell below the commitment; the
        # tier and credit are those of the final figures.
        self.assertLess(float(a["details"]["mup_pct"]), float(row["commitment_pct"]))
        # The stored alert follows the figures as they move.
        wait_for("the stored alert to carry the final MUP",
                 lambda: json.loads(self.stored_alert(a["key"])[1])["mup_pct"] == row["mup_pct"])
        self.assertEqual(self.stored_alert(a["key"])[0], "firing")
        self.assertEqual(a["details"]["credit_pct"], row["credit_pct"])
        self.assertNotEqual(a["details"]["credit_pct"], "0")
        self.assertEqual(a["details"]["credit_usd"], "%.2f" % float(row["credit_usd"]))
        self.assertIn("$" + a["details"]["credit_usd"], a["summary"])
        wait_for("the burn-rate alert at the webhook",
                 lambda: [b for b in hook.bodies if b["kind"] == "burn"])

        # The same alert by email, through a real SMTP server.
        mails = wait_for("the email alert",
                         lambda: [m for m in smtp.messages() if "FIRING tier:" in m["Subject"]])
        self.assertIn("FIRING", mails[0]["Subject"])
        self.assertEqual(mails[0]["To"], "oncall@example.com")
        import email.utils
        sent = email.utils.parsedate_to_datetime(mails[0]["Date"])  # RFC 5322
        self.assertLess(abs(sent.timestamp() - time.time()), 600, mails[0]["Date"])
        self.assertIn("mup_pct: " + a["details"]["mup_pct"], mails[0].get_payload())
        self.assertIn("credit so far $" + a["details"]["credit_usd"], mails[0].get_payload())

        # And in Slack, as a valid incoming-webhook message with the figures.
        posts = wait_for("the Slack alert",
                         lambda: [m for m in slack.messages if "FIRING tier:" in m["text"]])
        self.assertEqual(slack.refused, [])
        fields = [f["text"] for f in posts[0]["blocks"][1]["fields"]]
        self.assertIn("*mup_pct*\n" + a["details"]["mup_pct"], fields)
        self.assertIn("*credit_usd*\n" + a["details"]["credit_usd"], fields)

        self.stop_serve(serve)
        # Sent once: a restart (which re-judges every series before it says
        # "running") queues no second notification of the same alert.
        serve = self.start_serve(config)
        stats = self.stop_serve(serve)
        self.assertGreater(stats["evaluations"], 0, stats)
        self.assertEqual(self.outbox_firing(a["key"]),
                         {"hook": 1, "mail": 1, "log-2": 1, "slack": 1})

    def test_otlp_spans_join_the_live_path_and_a_resend_counts_once(self):
        otlp_port = free_port()
        config = os.path.join(self.tmp, "recoup.toml")
        with open(config, "w") as f:
            f.write("""
[serve]
account = "%s"
[sources.csm]
enabled = false
[sources.otlp]
listen = "127.0.0.1:%d"
[dashboard]
enabled = false
""" % (ACCOUNT_A, otlp_port))
        serve = self.start_serve(config)
        now_ns = time.time_ns()

        def span(i, status):
            attrs = {"rpc.system": "aws-api", "rpc.service": "KMS", "rpc.method": "Decrypt",
                     "aws.request_id": "otlp-%d" % i, "cloud.region": "eu-west-1"}
            a = [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()]
            a.append({"key": "http.status_code", "value": {"intValue": str(status)}})
            return {"traceId": "%032x" % (i + 1), "spanId": "%016x" % (i + 1),
                    "name": "KMS.Decrypt", "kind": 3, "startTimeUnixNano": str(now_ns + i),
                    "endTimeUnixNano": str(now_ns + i + 1000), "attributes": a,
                    "status": {"code": 2 if status >= 500 else 0}}

        def post(spans):
            body = json.dumps({"resourceSpans": [{"resource": {"attributes": []},
                                                  "scopeSpans": [{"spans": spans}]}]})
            conn = http.client.HTTPConnection("127.0.0.1", otlp_port, timeout=30)
            conn.request("POST", "/v1/traces", body, {"Content-Type": "application/json"})
            status = conn.getresponse().status
            conn.close()
            return status

        first = [span(i, 500 if i % 4 == 0 else 200) for i in range(20)]
        self.assertEqual(post(first), 200)
        self.assertEqual(post(first), 200)  # the exporter re-sends (lost answer)
        self.assertEqual(post([span(i, 200) for i in range(20, 30)]), 200)
        stats = self.stop_serve(serve)
        self.assertEqual(stats["sources"]["otlp"]["events_in"], 30, stats)
        self.assertEqual(stats["sources"]["otlp"]["duplicates"], 1, stats)
        # Answered 200 only after the commit: the store has all of it, once.
        r = self.run_recoup("report", "--output", "json", "--region", "eu-west-1")
        row = json.loads(r.stdout)[0]
        self.assertEqual(row["requests"], 30)
        self.assertEqual(row["failed_requests"], 5)

    def test_probes_record_kms_calls_with_their_request_ids(self):
        moto = MotoServer()
        self.addCleanup(moto.stop)
        key = moto.client("kms").create_key()["KeyMetadata"]["KeyId"]
        # The first two probe calls (GenerateRandom, Encrypt of round one)
        # meet an internal error; Decrypt has nothing to decrypt that round.
        proxy = FaultProxy(moto.endpoint, fail=(0, 2), throttle=(0, 0))
        self.addCleanup(proxy.stop)
        config = os.path.join(self.tmp, "recoup.toml")
        with open(config, "w") as f:
            f.write("""
[serve]
account = "%s"
[sources.csm]
enabled = false
[sources.otlp]
enabled = false
[dashboard]
enabled = false
[[probes]]
region = "us-east-1"
key_id = "%s"
every = "1s"
""" % (ACCOUNT_A, key))
        self.env = moto.env(self.env)
        self.env["AWS_ENDPOINT_URL"] = proxy.url
        serve = self.start_serve(config)
        wait_for("two good probe rounds", lambda: proxy.calls >= 2 + 6)
        stats = self.stop_serve(serve)
        probe = stats["sources"]["probe:us-east-1"]
        self.assertGreaterEqual(probe["events_in"], 8, stats)
        ids = self.store_failure_ids()
        for rid in proxy.injected["server_error"]:
            self.assertIn(rid, ids)
        r = self.run_recoup("report", "--output", "json", "--region", "us-east-1")
        row = json.loads(r.stdout)[0]
        self.assertEqual(row["failed_requests"], 2)
        self.assertEqual(row["requests"], probe["events_in"])
        # The answered calls are evidence too, kept with moto's request IDs.
        import sqlite3
        db = sqlite3.connect(self.store)
        try:
            kept = db.execute("SELECT request_id, operation FROM samples WHERE outcome=0"
                              " AND source=3").fetchall()
        finally:
            db.close()
        answered = {rid for rid, status in proxy.forwarded if status == 200}
        self.assertEqual(len(kept), row["requests"] - row["failed_requests"], kept)
        self.assertGreaterEqual(len(kept), 6)
        for rid, op in kept:
            self.assertIn(rid, answered)
            self.assertIn(op, ("GenerateRandom", "Encrypt", "Decrypt"))

    def test_probes_of_dynamodb_sqs_secrets_manager_and_s3(self):
        moto = MotoServer()
        self.addCleanup(moto.stop)
        moto.client("dynamodb").create_table(
            TableName="orders", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        queue = moto.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
        moto.client("secretsmanager").create_secret(Name="prod/db", SecretString="s3cr3t-value")
        moto.client("s3").create_bucket(Bucket="invoices-probe")
        # The first two calls meet an internal error ("InternalError": a
        # server error for each of these services).
        proxy = FaultProxy(moto.endpoint, fail=(0, 2), throttle=(0, 0), fail_code="InternalError")
        self.addCleanup(proxy.stop)
        config = os.path.join(self.tmp, "recoup.toml")
        with open(config, "w") as f:
            f.write("""
[serve]
account = "%s"
[sources.csm]
enabled = false
[sources.otlp]
enabled = false
[dashboard]
enabled = false
[[probes]]
service = "dynamodb"
region = "us-east-1"
resource = "orders"
every = "1s"
[[probes]]
service = "sqs"
region = "us-east-1"
resource = "%s"
every = "1s"
[[probes]]
service = "secretsmanager"
region = "us-east-1"
resource = "prod/db"
every = "1s"
[[probes]]
service = "s3"
region = "us-east-1"
resource = "invoices-probe"
every = "1s"
""" % (ACCOUNT_A, queue))
        self.env = moto.env(self.env)
        self.env["AWS_ENDPOINT_URL"] = proxy.url
        serve = self.start_serve(config)
        wait_for("two rounds of each probe", lambda: proxy.calls >= 2 * 4 + 2)
        stats = self.stop_serve(serve)
        r = self.run_recoup("report", "--output", "json", "--region", "us-east-1")
        rows = {row["service"]: row for row in json.loads(r.stdout)}
        failed = 0
        for service, op in (("dynamodb", "DescribeTable"), ("sqs", "GetQueueAttributes"),
                            ("secretsmanager", "DescribeSecret"), ("s3", "GetBucketLocation")):
            source = stats["sources"]["probe:%s:us-east-1" % service]
            self.assertGreaterEqual(source["events_in"], 2, stats)
            self.assertEqual(rows[service]["requests"], source["events_in"], rows[service])
            failed += rows[service]["failed_requests"]
        self.assertEqual(failed, 2, rows)
        ids = self.store_failure_ids()
        for rid in proxy.injected["server_error"]:
            self.assertIn(rid, ids)
        # The secret's value never reaches the store or the log.
        with open(self.store, "rb") as f:
            self.assertNotIn(b"s3cr3t-value", f.read())
        self.assertNotIn(b"s3cr3t-value", self.serve_log())

        # doctor --policy --config grants exactly these calls on these resources.
        r = self.run_recoup("doctor", "--policy", "--config", config)
        self.assertEqual(r.returncode, 0, r)
        statements = {tuple(st["Action"]): st["Resource"]
                      for st in json.loads(r.stdout)["Statement"]
                      if st["Sid"].startswith("RecoupProbe")}
        queue_account, queue_name = queue.rstrip("/").split("/")[-2:]
        self.assertEqual(statements, {
            ("dynamodb:DescribeTable",): "arn:aws:dynamodb:us-east-1:%s:table/orders" % ACCOUNT_A,
            ("sqs:GetQueueAttributes",): "arn:aws:sqs:us-east-1:%s:%s" % (queue_account,
                                                                          queue_name),
            ("secretsmanager:DescribeSecret",):
                "arn:aws:secretsmanager:us-east-1:%s:secret:prod/db-*" % ACCOUNT_A,
            ("s3:GetBucketLocation",): "arn:aws:s3:::invoices-probe"})
        self.assertFalse([a for a in statements if any(x.startswith("kms:") for x in a)])

    def test_a_breached_past_month_gets_a_deadline_reminder(self):
        # Last month: one 5-minute interval with half its calls failing.
        now = time.gmtime()
        y, m = (now.tm_year, now.tm_mon - 1) if now.tm_mon > 1 else (now.tm_year - 1, 12)
        start = int(time.mktime((y, m, 10, 12, 0, 0, 0, 0, 0)) - time.timezone) * 1000
        log = os.path.join(self.tmp, "last-month.jsonl")
        with open(log, "w") as f:
            for i in range(40):
                line = {"time": start + i * 1000, "account": ACCOUNT_A, "region": "us-west-2",
                        "service": "kms", "operation": "Decrypt", "request_id": "old-%d" % i,
                        "http_status": 200}
                if i % 2:
                    line.update(http_status=500, error_code="KMSInternalException")
                f.write(json.dumps(line) + "\n")
        self.ingest("--format", "jsonl", log)
        hook = WebhookReceiver()
        self.addCleanup(hook.stop)
        config = os.path.join(self.tmp, "recoup.toml")
        with open(config, "w") as f:
            f.write("""
[sources.csm]
enabled = false
[sources.otlp]
enabled = false
[dashboard]
enabled = false
[alerts]
deadline_warning = "90d"
[[alerts.channels]]
name = "hook"
type = "webhook"
url = "%s"
""" % hook.url)
        serve = self.start_serve(config)
        got = wait_for("the deadline reminder",
                       lambda: [b for b in hook.bodies if b["kind"] == "deadline"])
        self.stop_serve(serve)
        d = got[0]
        self.assertEqual(d["action"], "firing")
        self.assertEqual(d["region"], "us-west-2")
        self.assertEqual(d["details"]["month"], "%04d-%02d" % (y, m))
        ref = json.loads(self.report_json("--region", "us-west-2", intervals=False))[0]
        self.assertEqual(d["details"]["claim_deadline"], ref["claim_deadline"])
        self.assertEqual(d["details"]["mup_pct"], ref["mup_pct"])
        self.assertTrue(ref["breached"])

    def test_a_silent_source_alerts_in_slack_and_resolves_when_it_speaks(self):
        slack = SlackReceiver(rate_limit_first=1)
        self.addCleanup(slack.stop)
        csm_port = free_port()
        config = os.path.join(self.tmp, "recoup.toml")
        with open(config, "w") as f:
            f.write("""
[serve]
account = "%s"
evaluate_every = "200ms"
[sources.csm]
listen = "127.0.0.1:%d"
[sources.otlp]
enabled = false
[dashboard]
enabled = false
[alerts]
silent_after = "3s"
[[alerts.channels]]
name = "ops-slack"
type = "slack"
url = "%s"
""" % (ACCOUNT_A, csm_port, slack.url))
        serve = self.start_serve(config)

        def silent(action):
            return [m for m in slack.messages
                    if "silent" in m["text"] and action.upper() in m["text"]]
        # Nothing arrives: the CSM source is reported silent. Slack first
        # answered 429 with Retry-After: 4 (more than recoup's own first
        # backoff of at most 2.5 s), and recoup waited before resending.
        first = wait_for("the silent alert in Slack", lambda: silent("firing"))
        self.assertIn("source csm silent: no event since recoup started", first[0]["text"])
        self.assertEqual(len(slack.limited_at), 1)
        self.assertGreaterEqual(slack.accepted_at[0] - slack.limited_at[0], 3.9)

        # The application starts calling KMS: the alert resolves.
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        now = int(time.time() * 1000)
        for i in range(5):
            sock.sendto(json.dumps(recoup_it.csm_attempt(now + i, "quiet-%d" % i)).encode(),
                        ("127.0.0.1", csm_port))
        resolved = wait_for("the silent alert to resolve in Slack", lambda: silent("resolved"))
        self.assertTrue(resolved[0]["text"].startswith(":white_check_mark:"), resolved)

        # Silent again: a new alert names the last event's time.
        again = wait_for("the second silent alert",
                         lambda: silent("firing")[1:] if len(silent("firing")) > 1 else [])
        self.assertIn("no event since " + time.strftime("%Y-%m-%dT", time.gmtime(now / 1000)),
                      again[0]["text"])
        stats = self.stop_serve(serve)
        self.assertEqual(stats["sources"]["csm"]["events_in"], 5, stats)
        self.assertEqual(slack.refused, [])  # every message was valid Slack
        # The webhook URL is a secret: never in recoup's log.
        self.assertNotIn(b"XXXXSECRET", self.serve_log())

    def test_a_closed_interval_alerts_within_a_minute_with_the_default_grace(self):
        # The SLA's 5-minute interval, shortened to 1 minute in a catalog of
        # its own (the `serve.catalog` setting), so the test waits out a
        # real interval close and the default 30 s grace, not a simulation.
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data",
                               "sla_catalog.json")) as f:
            catalog = json.load(f)
        for v in catalog["services"]["kms"]["versions"]:
            v["interval_seconds"] = 60
        catalog_path = os.path.join(self.tmp, "catalog-60s.json")
        with open(catalog_path, "w") as f:
            json.dump(catalog, f)
        hook = WebhookReceiver()
        self.addCleanup(hook.stop)
        csm_port = free_port()
        config = os.path.join(self.tmp, "recoup.toml")
        with open(config, "w") as f:
            f.write("""
[serve]
account = "%s"
catalog = "%s"
evaluate_every = "200ms"
[sources.csm]
listen = "127.0.0.1:%d"
[sources.otlp]
enabled = false
[dashboard]
enabled = false
[alerts]
min_requests = 10
[[alerts.channels]]
name = "hook"
type = "webhook"
url = "%s"
""" % (ACCOUNT_A, catalog_path, csm_port, hook.url))
        serve = self.start_serve(config)
        # The burst lands inside one interval, well before it ends.
        while not 3 <= time.time() % 60 <= 50:
            time.sleep(0.5)
        now = int(time.time() * 1000)
        interval_end = (now // 60000 + 1) * 60
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        for i in range(40):
            failed = i % 5 < 3  # 60% of the interval's calls fail
            a = recoup_it.csm_attempt(now + i, "close-%02d" % i, status=500 if failed else 200,
                                      error="KMSInternalException" if failed else None)
            sock.sendto(json.dumps(a).encode(), ("127.0.0.1", csm_port))
        tier = wait_for("the tier alert", lambda: [
            (b, t) for b, t in zip(hook.bodies, hook.received_at)
            if b["kind"] == "tier" and b["action"] == "firing"], timeout=150)
        body, at = tier[0]
        # Judged once closed: not before the interval's end plus the grace,
        # and at the channel within a minute of the interval's end.
        self.assertGreaterEqual(at, interval_end + 30 - 1, (at, interval_end))
        self.assertLessEqual(at, interval_end + 60, (at, interval_end))
        self.assertEqual(body["region"], "us-east-1")
        self.stop_serve(serve)
        # The alert's figures are those of `recoup report` with the same catalog.
        r = self.run_recoup("--catalog", catalog_path, "report", "--output", "json")
        self.assertEqual(r.returncode, 0, r)
        ref = json.loads(r.stdout)[0]
        self.assertEqual(ref["failed_requests"], 24)
        self.assertTrue(ref["breached"])
        self.assertEqual(body["details"]["mup_pct"], ref["mup_pct"])

    # ---- helpers ----

    def stored_alert(self, key):
        import sqlite3
        db = sqlite3.connect(self.store)
        try:
            return db.execute("SELECT state, detail_json FROM serve_alerts WHERE key=?",
                              (key,)).fetchone()
        finally:
            db.close()

    def outbox_firing(self, key):
        import sqlite3
        db = sqlite3.connect(self.store)
        try:
            return dict(db.execute("SELECT channel, COUNT(*) FROM serve_outbox WHERE alert_key=?"
                                   " AND action='firing' GROUP BY channel", (key,)).fetchall())
        finally:
            db.close()

    def store_failure_ids(self):
        import sqlite3
        db = sqlite3.connect(self.store)
        try:
            return " ".join(r[0] for r in db.execute("SELECT request_id FROM failures"))
        finally:
            db.close()

    def start_serve(self, config):
        self.starts = getattr(self, "starts", 0) + 1
        self.log_path = os.path.join(self.tmp, "serve-%d.log" % self.starts)
        log = open(self.log_path, "wb")
        self.addCleanup(log.close)
        p = subprocess.Popen([recoup_it.BINARY, "--store", self.store, "serve", "--config", config],
                             env=self.env, stdout=subprocess.PIPE, stderr=log, cwd=self.tmp)
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


if __name__ == "__main__":
    unittest.main()
