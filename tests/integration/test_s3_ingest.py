"""`recoup ingest s3://bucket/prefix` against a real moto S3 server with SigV4
checking on (moto's INITIAL_NO_AUTH_ACTION_COUNT: the first calls create an IAM
user and access key unauthenticated; everything after is authenticated).

Known moto flaw: with authentication on, moto refuses S3 list requests whose
query holds a '/' (prefix=AWSLogs/...), so these tests list with the prefix
"AWSLogs" (no slash). Real S3 has no such limit.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

from recoup_it import BINARY, RecoupTestCase, require_binary, run

try:
    import boto3  # noqa: F401
    import moto  # noqa: F401
    HAVE_MOTO = True
except ImportError:
    HAVE_MOTO = False

BUCKET = "org-trail-logs"
# Sanitizer builds carry shadow memory: RSS limits apply to normal builds.
CHECK_RSS = not os.environ.get("ASAN_OPTIONS")
DAY = "/2026/10/14/"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Ingest(RecoupTestCase):

    @classmethod
    def setUpClass(cls):
        require_binary()
        if not HAVE_MOTO:
            raise unittest.SkipTest("boto3/moto not installed")
        cls.work = tempfile.mkdtemp(prefix="recoup-s3-")
        cls.port = free_port()
        cls.endpoint = "http://127.0.0.1:%d" % cls.port
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
        cls.server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(cls.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            cls._wait_for_server()
            cls._setup_bucket()
        except BaseException:
            cls._stop_server()
            raise

    @classmethod
    def tearDownClass(cls):
        cls._stop_server()
        shutil.rmtree(getattr(cls, "work", ""), True)

    @classmethod
    def _stop_server(cls):
        cls.server.kill()
        cls.server.wait(timeout=30)

    @classmethod
    def _wait_for_server(cls):
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(cls.endpoint + "/moto-api/data.json", timeout=2).read()
                return
            except Exception:  # not up yet
                if cls.server.poll() is not None or time.time() > deadline:
                    raise RuntimeError("moto server did not start on %s" % cls.endpoint)
                time.sleep(0.2)

    @classmethod
    def _client(cls, service, key_id, secret):
        import boto3
        return boto3.client(service, endpoint_url=cls.endpoint, region_name="us-east-1",
                            aws_access_key_id=key_id, aws_secret_access_key=secret)

    @classmethod
    def _setup_bucket(cls):
        # The three free (unauthenticated) calls: a user allowed everything
        # (moto authorizes calls by IAM policy) and its access key.
        iam = cls._client("iam", "AKIAFREEFREEFREE0000", "free")
        iam.create_user(UserName="recoup")
        iam.put_user_policy(UserName="recoup", PolicyName="all", PolicyDocument=(
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*",'
            '"Resource":"*"}]}'))
        key = iam.create_access_key(UserName="recoup")["AccessKey"]
        cls.key_id, cls.secret = key["AccessKeyId"], key["SecretAccessKey"]
        s3 = cls._client("s3", cls.key_id, cls.secret)
        s3.create_bucket(Bucket=BUCKET)
        demo = os.path.join(cls.work, "demo")
        r = run([BINARY, "demo", "--out", demo], env=dict(os.environ, HOME=cls.work), timeout=600)
        if r.returncode != 0:
            raise RuntimeError("recoup demo failed: %r" % r)
        root = os.path.join(demo, "evidence", "cloudtrail")
        cls.local = os.path.join(cls.work, "local")
        cls.keys = []
        for dp, _, fns in os.walk(root):
            for fn in fns:
                full = os.path.join(dp, fn)
                rel = os.path.relpath(full, root)
                if DAY not in "/" + rel.replace(os.sep, "/"):
                    continue
                cls.keys.append(rel)
        cls.keys.sort()
        # Hold one file back: it is uploaded later as "a new object".
        cls.late_key = cls.keys.pop()
        for rel in cls.keys + [cls.late_key]:
            dst = os.path.join(cls.local, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(os.path.join(root, rel), dst)
        for rel in cls.keys:
            s3.upload_file(os.path.join(cls.local, rel), BUCKET, rel)
        cls.s3 = s3

    def s3_env(self, secret=None):
        env = self.clean_env(AWS_ENDPOINT_URL=self.endpoint, AWS_ACCESS_KEY_ID=self.key_id,
                             AWS_SECRET_ACCESS_KEY=secret or self.secret, AWS_REGION="us-east-1",
                             AWS_EC2_METADATA_DISABLED="true")
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
            env.pop(k, None)
        return env

    def test_s3_equals_local_and_is_incremental(self):
        url = "s3://%s/AWSLogs" % BUCKET  # no '/' in the prefix: see the module docstring
        first = self.ingest(url, "--threads", "4", env=self.s3_env()).json()
        self.assertGreater(len(self.keys), 5)
        self.assertEqual(first["files"], len(self.keys))
        self.assertEqual(first["files_ingested"], len(self.keys))
        self.assertEqual(first["files_failed"], 0)
        self.assertGreater(first["accepted"], 0)

        # The same files ingested from disk give the same report.
        local_store = self.path("local.db")
        local_files = [os.path.join(self.local, k) for k in self.keys]
        lr = self.ingest(*local_files, store=local_store).json()
        for k in ("records", "accepted", "skipped", "rejected", "failed_requests_new"):
            self.assertEqual(first[k], lr[k], k)
        self.assertEqual(self.report_json(), self.report_json(store=local_store))

        # Second run: everything is known from the ledger, nothing downloaded.
        second = self.ingest(url, env=self.s3_env()).json()
        self.assertEqual((second["files_ingested"], second["files_already_ingested"]),
                         (0, len(self.keys)))
        self.assertEqual((second["records"], second["json_bytes"]), (0, 0))

        # A new object: only it is read.
        self.s3.upload_file(os.path.join(self.local, self.late_key), BUCKET, self.late_key)
        try:
            third = self.ingest(url, env=self.s3_env()).json()
            self.assertEqual((third["files_ingested"], third["files_already_ingested"]),
                             (1, len(self.keys)))
            self.ingest(os.path.join(self.local, self.late_key), store=local_store)
            self.assertEqual(self.report_json(), self.report_json(store=local_store))
        finally:
            self.s3.delete_object(Bucket=BUCKET, Key=self.late_key)

    def test_mixed_with_local_paths(self):
        url = "s3://%s/AWSLogs" % BUCKET
        s = self.ingest(url, os.path.join(self.local, self.late_key), env=self.s3_env()).json()
        self.assertEqual(s["files"], len(self.keys) + 1)
        self.assertEqual(s["files_ingested"], len(self.keys) + 1)

    def test_wrong_secret_is_refused(self):
        wrong = "WRONGwrongWRONGwrongWRONGwrongWRONGwrong1"
        r = self.run_recoup("ingest", "s3://%s/AWSLogs" % BUCKET, env=self.s3_env(secret=wrong))
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("ListObjectsV2", r.stderr)
        self.assertIn("SignatureDoesNotMatch", r.stderr)
        self.assertIn("HTTP 403", r.stderr)
        for secret in (wrong, self.secret):
            self.assertNotIn(secret, r.stderr + r.stdout)

    def test_missing_region_is_a_usage_error(self):
        env = self.s3_env()
        env.pop("AWS_REGION")
        env.pop("AWS_DEFAULT_REGION", None)
        r = self.run_recoup("ingest", "s3://%s/AWSLogs" % BUCKET, env=env)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("--region", r.stderr)
        r = self.run_recoup("ingest", "s3://%s/AWSLogs" % BUCKET, "--region", "us-east-1",
                            "--output", "json", env=env)
        self.assertEqual(r.returncode, 0, r)

    def test_large_object_is_streamed_not_held(self):
        # 200 MB of JSON lines in one object (uncompressed, so the object is
        # as large as its content): the ingest must not hold it whole.
        line = ('{"eventVersion":"1.08","eventTime":"2026-10-14T09:%02d:00Z",'
                '"eventSource":"kms.amazonaws.com","eventName":"Decrypt",'
                '"awsRegion":"us-east-1","recipientAccountId":"111122223333",'
                '"requestID":"%s","eventID":"%s","padding":"' + "x" * 700 + '"}\n')
        path = os.path.join(self.work, "big.json")
        n = 250000
        with open(path, "w") as f:
            for i in range(n):
                rid = "b1%034d" % i
                f.write(line % (i % 60, rid, rid))
        size = os.path.getsize(path)
        key = "AWSLogs-big/111122223333/big.json"
        self.s3.upload_file(path, BUCKET, key)
        try:
            r = self.run_recoup("ingest", "s3://%s/AWSLogs-big" % BUCKET, "--threads", "1",
                                "--output", "json", env=self.s3_env())
            self.assertEqual(r.returncode, 0, r)
            s = r.json()
            self.assertEqual((s["files_ingested"], s["accepted"]), (1, n))
            self.assertEqual(s["json_bytes"], size)
            if CHECK_RSS:
                # recoup's own high-water mark (this test process is large,
                # and wait4's max RSS counts the parent's memory at exec).
                self.assertLess(s["peak_rss_bytes"], size / 4,
                                "peak RSS %.0f MiB for a %.0f MiB object"
                                % (s["peak_rss_bytes"] / 2**20, size / 2**20))
        finally:
            self.s3.delete_object(Bucket=BUCKET, Key=key)
            os.remove(path)

    def test_bad_url_is_a_usage_error(self):
        r = self.run_recoup("ingest", "s3://Not_A_Bucket/x", env=self.s3_env())
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("not a valid bucket name", r.stderr)


if __name__ == "__main__":
    unittest.main()
