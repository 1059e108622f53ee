"""`recoup doctor` against moto (signature and IAM checking on) and a small
server that answers as AWS does for accounts without a Support plan."""

import http.server
import json
import os
import socket
import socketserver
import threading
import unittest

from aws_peers import MotoServer
from recoup_it import BINARY, RecoupTestCase, require_binary, run

try:
    import boto3  # noqa: F401
    import moto  # noqa: F401
    HAVE_MOTO = True
except ImportError:
    HAVE_MOTO = False


class NoSubscriptionHandler(http.server.BaseHTTPRequestHandler):
    """Health and Support as AWS answers an account on the Basic plan."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.dumps({"__type": "SubscriptionRequiredException",
                           "message": "AWS Premium Support Subscription is required to use "
                                      "this service."}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-RequestId", "5f1a6c1e-0000-4000-8000-000000000001")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class NotTlsHandler(socketserver.BaseRequestHandler):
    """Answers a TLS ClientHello with plain HTTP: the handshake fails."""

    def handle(self):
        try:
            self.request.recv(4096)
            self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass


class SilentHandler(socketserver.BaseRequestHandler):
    """Accepts the connection and never answers."""

    def handle(self):
        self.server.accepted.set()
        self.server.release.wait(120)


class DoctorUnreachable(RecoupTestCase):
    """An endpoint that cannot be reached is not a credentials problem."""

    def doctor(self, endpoint, *extra):
        env = self.clean_env(AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
                             AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                             AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
                             AWS_CONFIG_FILE=self.path("none"),
                             AWS_SHARED_CREDENTIALS_FILE=self.path("none"),
                             AWS_ENDPOINT_URL=endpoint)
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            env.pop(k, None)
        r = run([BINARY, "--store", self.store, "doctor", "--output", "json"] + list(extra),
                env=env)
        self.assertEqual(r.returncode, 1, r)
        identity = {c["name"]: c for c in r.json()["checks"]}["identity"]
        self.assertEqual(identity["status"], "fail", r)
        self.assertNotIn("refused these credentials", identity["summary"])
        self.assertIn("not checked", identity["summary"])
        self.assertNotIn("wJalrXUtnFEMI", r.stdout + r.stderr)
        return identity

    def test_connection_refused(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        c = self.doctor("http://127.0.0.1:%d" % port)
        self.assertEqual(c["details"]["cause"], "connection_refused")
        self.assertIn("connection refused", c["summary"])
        self.assertIn("127.0.0.1:%d" % port, c["summary"])

    def test_name_that_does_not_resolve(self):
        c = self.doctor("https://sts.recoup-test.invalid")
        self.assertEqual(c["details"]["cause"], "dns")
        self.assertIn("sts.recoup-test.invalid", c["summary"])
        self.assertIn("DNS", c["summary"])

    def test_tls_failure(self):
        srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), NotTlsHandler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        c = self.doctor("https://127.0.0.1:%d" % srv.server_address[1])
        self.assertEqual(c["details"]["cause"], "tls")
        self.assertIn("TLS", c["summary"])

    def test_timeout(self):
        srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SilentHandler)
        srv.daemon_threads = True
        srv.accepted = threading.Event()
        srv.release = threading.Event()
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        self.addCleanup(srv.release.set)
        c = self.doctor("http://127.0.0.1:%d" % srv.server_address[1], "--timeout", "1")
        self.assertTrue(srv.accepted.is_set())
        self.assertEqual(c["details"]["cause"], "timeout")
        self.assertIn("timeout", c["summary"])


class Doctor(RecoupTestCase):

    @classmethod
    def setUpClass(cls):
        require_binary()
        if not HAVE_MOTO:
            raise unittest.SkipTest("boto3/moto not installed")
        cls.moto = MotoServer()
        cls.nosub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NoSubscriptionHandler)
        threading.Thread(target=cls.nosub.serve_forever, daemon=True).start()
        cls.nosub_url = "http://127.0.0.1:%d" % cls.nosub.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        cls.nosub.shutdown()

    def aws_env(self, **extra):
        env = self.moto.env(self.clean_env())
        env.update(extra)
        return env

    def doctor(self, *args, env=None):
        return run([BINARY, "--store", os.path.join(self.tmp, "s.db"), "doctor"] + list(args),
                   env=env or self.aws_env())

    def checks(self, result):
        return {c["name"]: c for c in result.json()["checks"]}

    def assert_no_secret(self, result):
        self.assertNotIn(self.moto.secret, result.stdout + result.stderr)

    def test_trail_delivering_kms_events_is_found(self):
        ct = self.moto.client("cloudtrail")
        self.moto.client("s3").create_bucket(Bucket="trail-ok")
        ct.create_trail(Name="ok-trail", S3BucketName="trail-ok", S3KeyPrefix="org",
                        IsMultiRegionTrail=True)
        ct.put_event_selectors(TrailName="ok-trail", EventSelectors=[
            {"ReadWriteType": "All", "IncludeManagementEvents": True}])
        ct.start_logging(Name="ok-trail")
        try:
            r = self.doctor("--output", "json")
            self.assertEqual(r.returncode, 0, r)
            c = self.checks(r)
            self.assertEqual(c["identity"]["details"]["account"], "123456789012")
            self.assertEqual(c["credentials"]["status"], "ok")
            self.assertNotIn(self.moto.key_id, r.stdout)  # masked
            self.assertEqual(c["cloudtrail"]["status"], "ok")
            trails = {t["name"]: t for t in c["cloudtrail"]["details"]["trails"]}
            self.assertEqual(trails["ok-trail"]["delivers_to"], "s3://trail-ok/org/AWSLogs/")
            self.assertTrue(trails["ok-trail"]["records_kms_events"])
            self.assertIn("recoup ingest s3://trail-ok/org/AWSLogs/",
                          c["cloudtrail"]["advice"])
            self.assert_no_secret(r)
        finally:
            ct.delete_trail(Name="ok-trail")

    def test_trail_that_excludes_kms_is_called_out(self):
        ct = self.moto.client("cloudtrail")
        self.moto.client("s3").create_bucket(Bucket="trail-nokms")
        ct.create_trail(Name="no-kms", S3BucketName="trail-nokms")
        ct.put_event_selectors(TrailName="no-kms", EventSelectors=[
            {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
        ct.start_logging(Name="no-kms")
        try:
            r = self.doctor("--output", "json")
            c = self.checks(r)
            self.assertEqual(c["cloudtrail"]["status"], "warn", r)
            self.assertTrue(any("write-only" in a for a in c["cloudtrail"]["advice"]), r)
            text = self.doctor()
            self.assertIn("cloudtrail-lookup", text.stdout)
        finally:
            ct.delete_trail(Name="no-kms")

    def test_no_trail_points_to_event_history(self):
        r = self.doctor("--output", "json")
        self.assertEqual(r.returncode, 0, r)
        c = self.checks(r)
        self.assertEqual(c["cloudtrail"]["status"], "warn")
        self.assertIn("no trail", c["cloudtrail"]["summary"])
        self.assertTrue(any("cloudtrail-lookup" in a for a in c["cloudtrail"]["advice"]))

    def test_wrong_secret_is_refused_by_aws_and_reported(self):
        r = self.doctor("--output", "json",
                        env=self.moto.env(self.clean_env(), secret="wrong" + "x" * 35))
        self.assertEqual(r.returncode, 1, r)
        c = self.checks(r)
        self.assertEqual(c["identity"]["status"], "fail")
        self.assertIn("SignatureDoesNotMatch", c["identity"]["summary"])
        self.assertEqual(c["identity"]["details"]["cause"], "credentials_refused")
        self.assertIn("refused these credentials", c["identity"]["summary"])
        self.assertNotIn("wrong" + "x" * 35, r.stdout + r.stderr)

    def test_missing_credentials_fail_in_plain_words(self):
        env = self.aws_env()
        del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = ""
        r = self.doctor(env=env)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("fail  credentials", r.stdout)

    def test_no_support_plan_explains_what_changes(self):
        r = self.doctor("--output", "json", env=self.aws_env(
            AWS_ENDPOINT_URL_HEALTH=self.nosub_url, AWS_ENDPOINT_URL_SUPPORT=self.nosub_url))
        c = self.checks(r)
        for name in ("health", "support"):
            self.assertEqual(c[name]["status"], "warn", r)
            self.assertIn("Support plan", c[name]["summary"])
        self.assertTrue(any("health import" in a for a in c["health"]["advice"]))
        self.assertTrue(any("console" in a for a in c["support"]["advice"]))

    def test_assume_role_profile_through_moto_sts(self):
        iam = self.moto.client("iam")
        # moto honours a trust policy naming the user (it does not read the
        # account root principal as "any identity policy of the account").
        role = iam.create_role(RoleName="recoup-reader", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/recoup"},
                "Action": "sts:AssumeRole"}]}))["Role"]
        iam.put_role_policy(RoleName="recoup-reader", PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        cfg = os.path.join(self.tmp, "config")
        creds = os.path.join(self.tmp, "credentials")
        with open(cfg, "w") as f:
            f.write("[profile reader]\nrole_arn = %s\nsource_profile = base\n"
                    "region = us-east-1\nendpoint_url = %s\n" % (role["Arn"], self.moto.endpoint))
        with open(creds, "w") as f:
            f.write("[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (self.moto.key_id, self.moto.secret))
        env = self.clean_env()
        for k in list(env):
            if k.startswith("AWS_"):
                del env[k]
        env.update(AWS_CONFIG_FILE=cfg, AWS_SHARED_CREDENTIALS_FILE=creds,
                   AWS_EC2_METADATA_DISABLED="true")
        r = self.doctor("--profile", "reader", "--output", "json", env=env)
        self.assertEqual(r.returncode, 0, r)
        c = self.checks(r)
        self.assertIn("assume role " + role["Arn"], c["credentials"]["details"]["provider"])
        self.assertIn(":assumed-role/recoup-reader/", c["identity"]["details"]["arn"])
        self.assert_no_secret(r)

    def test_policy_is_valid_iam_json(self):
        r = self.doctor("--policy")
        self.assertEqual(r.returncode, 0, r)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["Version"], "2012-10-17")
        actions = {a for s in doc["Statement"] for a in s["Action"]}
        for a in ("sts:GetCallerIdentity", "s3:GetObject", "s3:ListBucket",
                  "cloudtrail:LookupEvents", "health:DescribeEvents", "support:CreateCase",
                  "ce:GetCostAndUsage", "kms:GenerateRandom"):
            self.assertIn(a, actions)
        self.assertFalse(any(a.endswith(":*") or a == "*" for a in actions))
        scoped = json.loads(self.doctor("--policy", "--bucket", "my-trail").stdout)
        res = {s["Sid"]: s["Resource"] for s in scoped["Statement"]}
        self.assertEqual(res["RecoupListTrailBucket"], "arn:aws:s3:::my-trail")
        self.assertEqual(res["RecoupReadTrailObjects"], "arn:aws:s3:::my-trail/*")
        # moto's IAM accepts it as a policy document.
        self.moto.client("iam").create_policy(PolicyName="recoup-doctor-test",
                                              PolicyDocument=r.stdout)


if __name__ == "__main__":
    unittest.main()
