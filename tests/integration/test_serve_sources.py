"""`recoup serve` polling sources against moto (signature and IAM checking
on): CloudTrail log files in S3, and AWS Health events from an SQS queue fed
by an EventBridge rule. Each test runs the real service, stops it with
SIGTERM, and compares the store with what a batch run of the same input
gives."""

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

from aws_peers import MotoServer, free_port
from recoup_it import BINARY, RecoupTestCase, require_binary, run

try:
    import boto3  # noqa: F401
    import moto  # noqa: F401
    HAVE_MOTO = True
except ImportError:
    HAVE_MOTO = False

ACCOUNT = "111122223333"


class ServeSources(RecoupTestCase):

    @classmethod
    def setUpClass(cls):
        require_binary()
        if not HAVE_MOTO:
            raise unittest.SkipTest("boto3/moto not installed")
        cls.moto = MotoServer()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def serve(self, config, store, env=None):
        path = self.path("recoup.toml")
        with open(path, "w") as f:
            f.write(config)
        log = open(self.path("serve.log"), "w")
        self.addCleanup(log.close)
        p = subprocess.Popen([BINARY, "--store", store, "serve", "--config", path],
                             env=env or self.moto.env(self.clean_env()), stdout=log,
                             stderr=subprocess.STDOUT)

        def stop():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.addCleanup(stop)
        return p, stop

    def wait_for(self, what, check, proc, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.fail("recoup serve exited (%s) while waiting for %s: %s" % (
                    proc.returncode, what, self.serve_log()[-2000:]))
            if check():
                return
            time.sleep(0.5)
        self.fail("timed out waiting for %s: %s" % (what, self.serve_log()))

    def serve_log(self):
        with open(self.path("serve.log")) as f:
            return f.read()

    def base_config(self):
        self.web_port = free_port()
        return ('[serve]\naccount = "%s"\n[sources.csm]\nenabled = false\n'
                '[sources.otlp]\nenabled = false\n[dashboard]\nlisten = "127.0.0.1:%d"\n'
                % (ACCOUNT, self.web_port))

    def source_status(self, name):
        """The source `name` as /api/status lists it (None until listed)."""
        import urllib.request
        with urllib.request.urlopen("http://127.0.0.1:%d/api/status" % self.web_port,
                                    timeout=30) as r:
            status = json.loads(r.read())
        found = [s for s in status["sources"] if s["name"] == name]
        return found[0] if found else None

    def test_cloudtrail_in_s3_is_polled_like_a_batch_ingest(self):
        demo = self.path("demo")
        r = run([BINARY, "demo", "--out", demo], env=self.clean_env(), timeout=600)
        self.assertEqual(r.returncode, 0, r)
        root = os.path.join(demo, "evidence", "cloudtrail")
        keys = sorted(os.path.relpath(p, root) for p in glob.glob(
            os.path.join(root, "**", "*.json.gz"), recursive=True)
            if "/2026/10/14/" in p)[:60]
        self.assertGreater(len(keys), 20)
        s3 = self.moto.client("s3")
        s3.create_bucket(Bucket="serve-trail")
        first, late = keys[:-10], keys[-10:]
        for k in first:
            s3.upload_file(os.path.join(root, k), "serve-trail", k)
        store = self.path("live.db")
        # No '/' in the prefix: moto's signature check refuses list queries
        # holding one (a moto flaw; real S3 has no such limit).
        cfg = self.base_config() + ('[sources.health]\napi = false\n'
                                    '[[sources.cloudtrail_s3]]\nurl = "s3://serve-trail/AWSLogs"\n'
                                    'every = "1s"\n')
        proc, stop = self.serve(cfg, store)
        local = self.mkdir("local")
        local_store = self.path("local.db")

        def same_as_batch(subset):
            for k in subset:
                dst = os.path.join(local, k)
                if not os.path.exists(dst):
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    shutil.copy(os.path.join(root, k), dst)
            if os.path.exists(local_store):
                os.remove(local_store)
            run([BINARY, "--store", local_store, "ingest", local], env=self.clean_env())
            want = run([BINARY, "--store", local_store, "report", "--output", "json"],
                       env=self.clean_env()).stdout
            got = run([BINARY, "--store", store, "report", "--output", "json"],
                      env=self.clean_env()).stdout
            return got == want and json.loads(got)

        self.wait_for("the first objects", lambda: same_as_batch(first), proc)
        # Objects delivered later are picked up on a later look.
        for k in late:
            s3.upload_file(os.path.join(root, k), "serve-trail", k)
        self.wait_for("the late objects", lambda: same_as_batch(keys), proc)
        # The poller is a source like the others: what it stored, and the
        # objects a later look found already ingested.
        name = "cloudtrail_s3:s3://serve-trail/AWSLogs"
        self.wait_for("a poll finding only known objects",
                      lambda: (self.source_status(name) or {}).get("duplicate", 0) >= len(keys),
                      proc)
        src = self.source_status(name)
        self.assertEqual(src["kind"], "cloudtrail_s3")
        self.assertGreater(src["accepted"], 0)
        self.assertEqual(src["rejected"], 0)
        self.assertEqual(src["unattributed"], 0)
        self.assertIsNotNone(src["last_event"])
        stop()
        self.assertEqual(proc.returncode, 0)
        self.assertNotIn(self.moto.secret, self.serve_log())

    def test_health_events_from_sqs(self):
        sqs = self.moto.client("sqs")
        url = sqs.create_queue(QueueName="aws-health-events")["QueueUrl"]
        event = {"version": "0", "id": "7d4b3a2e-0000-4000-8000-000000000001",
                 "source": "aws.health", "detail-type": "AWS Health Event",
                 "account": ACCOUNT, "region": "us-east-1", "time": "2026-10-14T09:12:00Z",
                 "detail": {"eventArn": "arn:aws:health:us-east-1::event/KMS/"
                                        "AWS_KMS_OPERATIONAL_ISSUE/SERVE_SQS_1",
                            "service": "KMS", "eventTypeCode": "AWS_KMS_OPERATIONAL_ISSUE",
                            "eventTypeCategory": "issue", "statusCode": "closed",
                            "startTime": "Wed, 14 Oct 2026 09:05:00 GMT",
                            "endTime": "Wed, 14 Oct 2026 09:50:00 GMT"}}
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
        sqs.send_message(QueueUrl=url, MessageBody="{not json")
        store = self.path("health.db")
        cfg = self.base_config() + ('[sources.health]\napi = false\nsqs_queue_url = "%s"\n'
                                    'every = "1s"\n' % url)
        proc, stop = self.serve(cfg, store)

        def listed():
            r = run([BINARY, "--store", store, "health", "list", "--output", "json"],
                    env=self.clean_env())
            return r.returncode == 0 and "SERVE_SQS_1" in r.stdout

        self.wait_for("the Health event", listed, proc)
        # The Health source counts the stored event and the refused message.
        self.wait_for("the Health source's counts",
                      lambda: (self.source_status("health") or {}).get("rejected") == 1, proc)
        src = self.source_status("health")
        self.assertEqual(src["accepted"], 1)
        self.assertEqual(src["kind"], "health")
        stop()
        self.assertEqual(proc.returncode, 0)
        r = run([BINARY, "--store", store, "health", "list", "--output", "json"],
                env=self.clean_env())
        events = json.loads(r.stdout)
        events = events.get("events", events) if isinstance(events, dict) else events
        arns = [e.get("arn") for e in events]
        self.assertEqual(arns.count(event["detail"]["eventArn"]), 1, r.stdout)
        self.assertIn("not an aws.health event", self.serve_log())

    def test_health_events_from_the_api(self):
        # The Health API has no moto model: the recorded-response server
        # plays it (botocore's model, every signature checked).
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                        "peers"))
        from recorded_server import RecordedServer
        from test_aws_apis import kms_health_event
        server = RecordedServer(os.environ.get("RECOUP_TESTDATA") or None).start()
        self.addCleanup(server.stop)
        t0 = int(time.time() * 1000) - 3 * 86400 * 1000
        with server.data.lock:
            for n in range(3):  # more than one page (2)
                server.data.add_health_event(kms_health_event(
                    n, t0 + n * 3600000, t0 + n * 3600000 + 1800000, accounts=[ACCOUNT]))
        store = self.path("health-api.db")
        cfg = self.base_config() + '[sources.health]\napi = true\nevery = "1s"\n'
        proc, stop = self.serve(cfg, store, env=server.env(self.clean_env()))

        def listed():
            r = run([BINARY, "--store", store, "health", "list", "--output", "json"],
                    env=self.clean_env())
            return r.returncode == 0 and r.stdout.count("AWS_KMS_OPERATIONAL_ISSUE_IT_") == 3

        self.wait_for("the Health API events", listed, proc)
        # A second poll finds the same events: nothing changes, nothing doubles.
        served = len([c for c in server.calls() if c.get("operation") == "DescribeEvents"])
        self.wait_for("a second poll", lambda: len(
            [c for c in server.calls() if c.get("operation") == "DescribeEvents"]) > served + 1,
            proc)
        stop()
        self.assertEqual(proc.returncode, 0, self.serve_log())
        r = run([BINARY, "--store", store, "health", "list", "--output", "json"],
                env=self.clean_env())
        events = json.loads(r.stdout)
        self.assertEqual(len(events), 3, r.stdout)
        for e in events:
            self.assertEqual(e["source"], "health-api")
            self.assertEqual(e["accounts"], [ACCOUNT])
            self.assertTrue(e["description"].startswith("Increased KMS API error rates"), e)
        ops = {c.get("operation") for c in server.calls() if c.get("status") == 200}
        self.assertTrue({"DescribeEvents", "DescribeEventDetails",
                         "DescribeAffectedEntities"} <= ops, ops)
        self.assertNotIn(server.secret, self.serve_log())


if __name__ == "__main__":
    unittest.main()
