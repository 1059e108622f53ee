"""Errors that name the cause: ingest that yields nothing fails, a Cost and
Usage Report given to ingest is recognised, read-only / missing /
unreadable stores, and AWS errors whose answer has no body."""

import gzip
import http.server
import os
import shutil
import stat
import threading
import unittest

from recoup_it import (ACCOUNT_A, BINARY, RecoupTestCase, csm_attempt, ct_record, ms_of, run,
                       write_trail_file)

LEGACY_CUR = (
    "identity/LineItemId,identity/TimeInterval,bill/BillingPeriodStartDate,"
    "lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,"
    "lineItem/ProductCode,lineItem/UnblendedCost,lineItem/CurrencyCode,product/region\n"
    "a1,2024-05-01T00:00:00Z/2024-05-02T00:00:00Z,2024-05-01T00:00:00Z,111122223333,Usage,"
    "2024-05-01T00:00:00Z,awskms,12.5,USD,us-east-1\n")
CUR2 = (
    "identity_line_item_id,bill_billing_period_start_date,line_item_usage_account_id,"
    "line_item_line_item_type,line_item_product_code,line_item_unblended_cost,"
    "product_region_code\n"
    "b1,2024-05-01T00:00:00Z,111122223333,Usage,awskms,3,us-east-1\n")


class IngestThatYieldsNothing(RecoupTestCase):

    def good_file(self):
        return write_trail_file(self.path("in", "good.json"),
                                [ct_record(ms_of(2024, 5, 1), "r1")], compress=False)

    def test_garbage_only_exits_1(self):
        p = self.path("junk.json")
        with open(p, "w") as f:
            f.write("this is not evidence\n{\"neither\": true}\n")
        r = self.ingest(p, check=False)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("nothing usable", r.stderr)
        self.assertEqual(r.json()["accepted"], 0)  # the summary is still printed

    def test_wrong_format_flag_exits_1(self):
        p = self.path("app.csm.jsonl")
        with open(p, "w") as f:
            import json
            f.write(json.dumps(csm_attempt(ms_of(2024, 5, 1), "x1")) + "\n")
        r = self.ingest(p, "--format", "cloudtrail", check=False)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("--format", r.stderr)

    def test_good_input_and_reingest_still_exit_0(self):
        g = self.good_file()
        self.assertEqual(self.ingest(g).json()["accepted"], 1)
        again = self.ingest(g)  # already ingested: nothing new, nothing wrong
        self.assertEqual(again.json()["files_already_ingested"], 1)

    def test_empty_folder_is_not_a_failure(self):
        r = self.ingest(self.mkdir("empty"))
        self.assertEqual(r.json()["files"], 0)


class CurGivenToIngest(RecoupTestCase):

    def write(self, name, text, compress=False):
        p = self.path(name)
        if compress:
            with gzip.open(p, "wt") as f:
                f.write(text)
        else:
            with open(p, "w") as f:
                f.write(text)
        return p

    def test_cur_files_point_to_billing_import(self):
        for name, text, gz in (("cur.csv", LEGACY_CUR, False), ("cur2.csv.gz", CUR2, True),
                               ("export-00001.csv", LEGACY_CUR.replace("lineItem", "LINEITEM"),
                                False)):
            p = self.write(name, text, gz)
            r = self.run_recoup("ingest", p)
            self.assertEqual(r.returncode, 1, r)
            self.assertEqual(len([l for l in r.stderr.splitlines() if l.strip()]), 1, r)
            self.assertIn(p, r.stderr)
            self.assertIn("Cost and Usage Report", r.stderr)
            self.assertIn("recoup billing import " + p, r.stderr)
            self.assertFalse(os.path.exists(self.store), "nothing to store, nothing created")

    def test_the_public_cur_sample(self):
        from recoup_it import TESTDATA
        p = os.path.join(TESTDATA, "billing", "cur-legacy-focus_converters",
                         "sample-anonymous-aws-export-dataset.csv")
        if not os.path.isfile(p):
            self.skipTest("public test data not available")
        r = self.run_recoup("ingest", p)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("billing import", r.stderr)

    def test_cur_beside_evidence_is_left_out_with_a_warning(self):
        cur = self.write("cur.csv", LEGACY_CUR)
        good = write_trail_file(self.path("in", "good.json"),
                                [ct_record(ms_of(2024, 5, 1), "r1")], compress=False)
        r = self.ingest(good, cur)
        self.assertEqual(r.json()["accepted"], 1)
        self.assertTrue(any(cur in w and "billing import" in w for w in r.warnings()), r)


def unprivileged(argv):
    """argv run as `nobody` when the tests run as root (root ignores modes)."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise unittest.SkipTest("running as root without setpriv")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] + argv


class StoreAccess(RecoupTestCase):

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)
        write_trail_file(self.path("in", "a.json"), [
            ct_record(ms_of(2024, 5, 10, 12, 0, 1), "ok-1"),
            ct_record(ms_of(2024, 5, 10, 12, 0, 2), "f-1", error="KMSInternalException")],
            compress=False)

    def as_other_user(self, *args):
        return run(unprivileged([BINARY, "--store", self.store] + list(args)), env=self.env)

    def make_read_only_store(self):
        self.ingest(self.path("in"))
        for p in os.listdir(os.path.dirname(self.store)):
            os.chmod(os.path.join(os.path.dirname(self.store), p), 0o444)
        os.chmod(os.path.dirname(self.store), 0o555)
        self.addCleanup(os.chmod, os.path.dirname(self.store), 0o755)

    def test_read_only_store_serves_the_read_commands(self):
        self.make_read_only_store()
        before = sorted(os.listdir(os.path.dirname(self.store)))
        r = self.as_other_user("report", "--output", "json")
        self.assertEqual(r.returncode, 0, r)
        rows = r.json()
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["account"], ACCOUNT_A)
        self.assertEqual(rows[0]["failed_requests"], 1)
        r = self.as_other_user("claims", "list", "--output", "json")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(sorted(os.listdir(os.path.dirname(self.store))), before)

    def test_writing_a_read_only_store_says_permission_denied(self):
        self.make_read_only_store()
        r = self.as_other_user("ingest", self.path("in"))
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("permission denied", r.stderr.lower())
        self.assertIn(self.store, r.stderr)

    def test_unreadable_store_says_permission_denied(self):
        self.ingest(self.path("in"))
        os.chmod(self.store, 0o000)
        for args in (["report"], ["claims", "list"]):
            r = self.as_other_user(*args)
            self.assertEqual(r.returncode, 1, r)
            self.assertIn("permission denied", r.stderr.lower(), r)
            self.assertIn(self.store, r.stderr)

    def test_missing_store_folder_is_an_error_and_not_created(self):
        missing = self.path("no", "such", "dir", "recoup.db")
        for args in (["report"], ["claims", "list"], ["report", "--output", "json"],
                     ["health", "list"], ["billing", "list"]):
            r = self.run_recoup(*args, store=missing)
            self.assertEqual(r.returncode, 1, r)
            self.assertIn(os.path.dirname(missing), r.stderr)
            self.assertIn("does not exist", r.stderr)
            self.assertFalse(os.path.exists(self.path("no")), "a read command created it")


class EmptyBodyHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request with a bare status and no body, as a proxy or a
    load balancer in front of an endpoint does."""

    status = 503

    def answer(self):
        n = int(self.headers.get("Content-Length", "0"))
        if n:
            self.rfile.read(n)
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = answer

    def log_message(self, *args):
        pass


class AwsErrorsWithoutABody(RecoupTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        handler = type("H", (EmptyBodyHandler,), {"status": 403})
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.host = "127.0.0.1:%d" % cls.server.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def aws_env(self, **extra):
        env = self.clean_env(AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
                             AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                             AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
                             AWS_CONFIG_FILE=self.path("none"),
                             AWS_SHARED_CREDENTIALS_FILE=self.path("none"))
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            env.pop(k, None)
        env.update(extra)
        return env

    def test_json_api_names_operation_host_and_status(self):
        env = self.aws_env(AWS_ENDPOINT_URL_CLOUDTRAIL="http://" + self.host)
        r = self.run_recoup("ingest", "cloudtrail-lookup", "--region", "us-east-1",
                            "--start", "2024-05-01T00:00:00Z", "--end", "2024-05-01T01:00:00Z",
                            env=env)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("LookupEvents", r.stderr)
        self.assertIn(self.host, r.stderr)
        self.assertIn("403", r.stderr)
        self.assertNotIn("wJalrXUtnFEMI", r.stderr)

    def test_s3_names_operation_host_and_status(self):
        env = self.aws_env(AWS_ENDPOINT_URL_S3="http://" + self.host)
        r = self.run_recoup("ingest", "s3://bucket/AWSLogs/", env=env)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("ListObjectsV2", r.stderr)
        self.assertIn(self.host, r.stderr)
        self.assertIn("403", r.stderr)


if __name__ == "__main__":
    unittest.main()
