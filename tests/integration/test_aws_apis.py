"""recoup's AWS API clients against real peers.

* moto (signature and IAM checking on): STS, KMS, Organizations, Cost
  Explorer (`recoup billing sync`), SQS, Support CreateCase/DescribeCases;
* tests/peers/recorded_server.py (SigV4 verified with botocore): AWS Health
  (`recoup health sync`, account and organization views), CloudTrail
  LookupEvents (`recoup ingest cloudtrail-lookup`), the Support calls moto
  lacks; fault schedules for the retry policy.

The typed wrappers without a command of their own are driven through
tests/peers/aws_api_harness.cc ($RECOUP_AWS_HARNESS).
"""

import json
import os
import subprocess
import sys
import unittest
import urllib.request

from recoup_it import ACCOUNT_A, RecoupTestCase, ct_record, iso, ms_of, require_binary, run

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "peers"))

HARNESS = os.environ.get("RECOUP_AWS_HARNESS", "")
TESTDATA = os.environ.get("RECOUP_TESTDATA", "")

try:
    import boto3  # noqa: F401
    import botocore  # noqa: F401
    import moto  # noqa: F401
    HAVE_PEERS = True
except ImportError:
    HAVE_PEERS = False


def require_peers():
    require_binary()
    if not HAVE_PEERS:
        raise unittest.SkipTest("boto3/botocore/moto not installed")


def kms_health_event(n, start_ms, end_ms=None, region="us-east-1", status=None, accounts=None,
                     updated_ms=None):
    e = {"arn": "arn:aws:health:%s::event/KMS/AWS_KMS_OPERATIONAL_ISSUE/"
                "AWS_KMS_OPERATIONAL_ISSUE_IT_%d" % (region, n),
         "service": "KMS", "eventTypeCode": "AWS_KMS_OPERATIONAL_ISSUE",
         "eventTypeCategory": "issue", "region": region,
         "startTime": start_ms / 1000.0,
         "lastUpdatedTime": (updated_ms or end_ms or start_ms) / 1000.0,
         "statusCode": status or ("closed" if end_ms else "open"),
         "eventScopeCode": "ACCOUNT_SPECIFIC" if accounts else "PUBLIC",
         "description": "Increased KMS API error rates in %s (%d)" % (region, n)}
    if end_ms:
        e["endTime"] = end_ms / 1000.0
    if accounts:
        e["accounts"] = accounts
        e["entities"] = [{"entityValue": "key-%d-%s" % (n, a), "awsAccountId": a,
                          "eventArn": e["arn"], "statusCode": "IMPAIRED"} for a in accounts]
    return e


class AwsTestCase(RecoupTestCase):
    """Collects every output of the run so secrets can be looked for."""

    SECRETS = ()

    def setUp(self):
        super().setUp()
        self.outputs = []

    def tearDown(self):
        for secret in self.SECRETS:
            for where, text in self.outputs:
                self.assertNotIn(secret, text, "a secret key appeared in %s" % where)
        super().tearDown()

    def recoup(self, *args, env=None):
        r = self.run_recoup(*args, env=env)
        self.outputs.append(("recoup " + " ".join(args), r.stdout + r.stderr))
        self.assert_no_crash(r)
        return r

    def harness(self, *args, env):
        if not HARNESS or not os.access(HARNESS, os.X_OK):
            self.skipTest("RECOUP_AWS_HARNESS is not set")
        r = run([HARNESS] + list(args), env=env, timeout=120)
        self.outputs.append(("harness " + " ".join(args), r.stdout + r.stderr))
        return r


class MotoApis(AwsTestCase):

    @classmethod
    def setUpClass(cls):
        require_peers()
        from aws_peers import MotoServer
        cls.moto = MotoServer()
        cls.SECRETS = (cls.moto.secret,)

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def menv(self, **kw):
        return self.moto.env(self.env, **kw)

    def test_sts_identity_and_assume_role(self):
        r = self.harness("sts-identity", env=self.menv())
        self.assertEqual(r.returncode, 0, r)
        ident = r.json()
        self.assertRegex(ident["account"], r"^\d{12}$")
        self.assertTrue(ident["arn"].endswith(":user/recoup"), ident)
        iam = self.moto.client("iam")
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": ident["arn"]}, "Action": "sts:AssumeRole"}]})
        role = iam.create_role(RoleName="recoup-it-sts", AssumeRolePolicyDocument=trust)
        r = self.harness("sts-assume-role", role["Role"]["Arn"], env=self.menv())
        self.assertEqual(r.returncode, 0, r)
        out = r.json()
        self.assertEqual(out["access_key_id_prefix"], "ASIA")
        self.assertTrue(out["has_secret"] and out["has_session_token"], out)
        self.assertTrue(out["assumed_role_arn"].endswith(":assumed-role/recoup-it-sts/recoup-it"))
        self.assertGreater(out["expiration_ms"], 0)

    def test_kms_operations(self):
        key = self.moto.client("kms").create_key(Description="recoup it")["KeyMetadata"]
        r = self.harness("kms", key["KeyId"], env=self.menv())
        self.assertEqual(r.returncode, 0, r)
        out = r.json()
        self.assertTrue(out["roundtrip_equal"], out)
        self.assertEqual(out["key_arn"], key["Arn"])
        self.assertEqual(out["encrypt_key_id"], key["Arn"])
        self.assertEqual(out["data_key_bytes"], 32)
        self.assertEqual(out["random_bytes"], 24)
        self.assertEqual(out["key_state"], "Enabled")
        self.assertTrue(out["enabled"])
        # Decrypting under another encryption context is refused, typed.
        self.assertEqual(out["wrong_context_error"], "InvalidCiphertextException")
        r = self.harness("kms-describe", "alias/does-not-exist", env=self.menv())
        self.assertEqual(r.returncode, 1, r)
        err = r.json()["error"]
        self.assertEqual(err["code"], "NotFoundException")
        self.assertEqual(err["status"], "NOT_FOUND")
        self.assertTrue(err["request_id"])

    def test_organizations_list_accounts_follows_pages(self):
        org = self.moto.client("organizations")
        try:
            org.create_organization(FeatureSet="ALL")
        except org.exceptions.AlreadyInOrganizationException:
            pass
        before = len([a for p in org.get_paginator("list_accounts").paginate()
                      for a in p["Accounts"]])
        for i in range(23):  # more than moto's page of 20
            org.create_account(Email="it%d@example.com" % i, AccountName="it-%d" % i)
        r = self.harness("orgs-list", env=self.menv())
        self.assertEqual(r.returncode, 0, r)
        accounts = r.json()
        self.assertEqual(len(accounts), before + 23)
        self.assertEqual(len({a["id"] for a in accounts}), len(accounts))
        self.assertIn("it-22", {a["name"] for a in accounts})

    def test_sqs_receive_and_delete(self):
        sqs = self.moto.client("sqs")
        url = sqs.create_queue(QueueName="recoup-it-health")["QueueUrl"]
        bodies = ["health event %d" % i for i in range(13)]
        for b in bodies:
            sqs.send_message(QueueUrl=url, MessageBody=b)
        r = self.harness("sqs-drain", url, env=self.menv())
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(sorted(m["body"] for m in r.json()), sorted(bodies))
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(int(attrs["ApproximateNumberOfMessages"]) +
                         int(attrs["ApproximateNumberOfMessagesNotVisible"]), 0)

    def test_support_create_and_describe_cases(self):
        r = self.harness("support", env=self.menv())
        self.assertEqual(r.returncode, 0, r)
        out = r.json()
        self.assertTrue(out["case_id"].startswith("case-"), out)
        self.assertEqual(len(out["cases"]), 1)
        case = out["cases"][0]
        self.assertEqual(case["case_id"], out["case_id"])
        self.assertEqual(case["subject"], "SLA Credit Request: AWS KMS us-east-1 2026-10")
        self.assertEqual(case["service_code"], "key-management-service")

    def _ce_results(self, pages):
        req = urllib.request.Request(
            self.moto.endpoint + "/moto-api/static/ce/cost-and-usage-results",
            data=json.dumps({"results": pages}).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).read()

    def test_billing_sync_from_cost_explorer(self):
        def group(region, account, amount):
            return {"Keys": [region, account],
                    "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"},
                                "NetUnblendedCost": {"Amount": amount, "Unit": "USD"}}}
        period = {"Start": "2026-09-01", "End": "2026-10-01"}
        self._ce_results([
            {"ResultsByTime": [{"TimePeriod": period, "Total": {},
                                "Groups": [group("us-east-1", ACCOUNT_A, "412.3700000001")],
                                "Estimated": False}],
             "NextPageToken": "page-2"},
            {"ResultsByTime": [{"TimePeriod": period, "Total": {},
                                "Groups": [group("eu-west-1", ACCOUNT_A, "7.5E-1")],
                                "Estimated": False}]},
        ])
        r = self.recoup("billing", "sync", "--month", "2026-09", "--service", "kms", env=self.menv())
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("2 charges stored", r.stdout)
        r = self.recoup("billing", "list")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("412.37", r.stdout)
        self.assertIn("cost-explorer", r.stdout)
        # The stored figure is the credit base...
        self.ingest(self.write_records("us-east-1", ms_of(2026, 9, 10)))
        rows = json.loads(self.report_json("--month", "2026-09", intervals=False))
        row = [x for x in rows if x["region"] == "us-east-1"][0]
        self.assertEqual(row["charges_usd"], "412.37")
        self.assertEqual(row["charges_usd_exact"], "412.3700000001")
        # ...until a manual figure, which wins.
        r = self.recoup("billing", "set", "--account", ACCOUNT_A, "--region", "us-east-1",
                        "--month", "2026-09", "--amount", "400.00")
        self.assertEqual(r.returncode, 0, r)
        rows = json.loads(self.report_json("--month", "2026-09", intervals=False))
        row = [x for x in rows if x["region"] == "us-east-1"][0]
        self.assertEqual(row["charges_usd"], "400.00")

    def write_records(self, region, t0, failures=0):
        recs = [ct_record(t0 + i * 1000, "ok-%s-%d" % (region, i), region=region)
                for i in range(20)]
        recs += [ct_record(t0 + i * 1000, "bad-%s-%d" % (region, i), region=region,
                           error="KMSInternalException") for i in range(failures)]
        path = self.path("records-%s-%d.json" % (region, t0))
        with open(path, "w") as f:
            json.dump({"Records": recs}, f)
        return path

    def test_wrong_secret_is_refused_by_moto(self):
        r = self.harness("sts-identity", env=self.menv(secret="wrong" + self.moto.secret[5:]))
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.json()["error"]["code"], "SignatureDoesNotMatch")
        env = self.menv(secret="wrong" + self.moto.secret[5:])
        env["RECOUP_DEBUG"] = "1"
        r = self.recoup("billing", "sync", "--month", "2026-09", "--service", "kms", env=env)
        self.assertEqual(r.returncode, 1, r)
        self.assertRegex(r.stderr, r"recoup: Cost Explorer GetCostAndUsage: "
                                   r"(SignatureDoesNotMatch|InvalidSignatureException)")
        self.assertNotIn(env["AWS_SECRET_ACCESS_KEY"], r.stdout + r.stderr)


class RecordedApis(AwsTestCase):

    @classmethod
    def setUpClass(cls):
        require_peers()
        from recorded_server import RecordedServer
        cls.server = RecordedServer(TESTDATA or None).start()
        cls.SECRETS = (cls.server.secret,)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        super().setUp()
        self.server.data.reset()
        self.server.set_faults({})

    def senv(self, **kw):
        return self.server.env(self.env, **kw)

    def health_list(self, *args):
        r = self.recoup("health", "list", "--output", "json", *args)
        self.assertEqual(r.returncode, 0, r)
        return r.json()

    def test_wrong_secret_is_refused_by_recorded_server(self):
        wrong = "x" + self.server.secret[1:]
        first = self.server.next_call()
        r = self.recoup("health", "sync", env=self.senv(secret=wrong))
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("InvalidSignatureException", r.stderr)
        refused = [c for c in self.server.calls() if c.get("error") == "InvalidSignatureException"]
        self.assertTrue(refused)
        self.assertEqual(self.server.next_call(), first)  # nothing was served
        self.assertNotIn(wrong, r.stdout + r.stderr)
        # The same command with the right key is served.
        r = self.recoup("health", "sync", env=self.senv())
        self.assertEqual(r.returncode, 0, r)

    def test_health_sync_account_view(self):
        t0 = ms_of(2026, 10, 5, 10)
        with self.server.data.lock:
            for n in range(5):  # more than a page (2)
                self.server.data.add_health_event(kms_health_event(
                    n, t0 + n * 3600000, t0 + n * 3600000 + 1800000,
                    region="us-east-1" if n % 2 == 0 else "eu-west-1", accounts=[ACCOUNT_A]))
        r = self.recoup("health", "sync", env=self.senv())
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("5 events, 5 new or updated, 5 affected entities", r.stdout)
        events = self.health_list()
        self.assertEqual(len(events), 5)  # the recorded EC2/ELB/... events are not KMS
        self.assertTrue(all(e["service"] == "KMS" and e["source"] == "health-api" for e in events))
        self.assertEqual(events[0]["start"], iso(t0))
        self.assertTrue(events[0]["description"].startswith("Increased KMS API error rates"))
        self.assertEqual(events[0]["accounts"], [ACCOUNT_A])
        ops = [c["operation"] for c in self.server.calls() if c["status"] == 200]
        self.assertEqual(ops.count("DescribeEvents"), 3)  # pages of 2
        describe = [c for c in self.server.calls() if c["operation"] == "DescribeEvents"][0]
        self.assertEqual(describe["input"]["filter"]["services"], ["APIGATEWAY", "CLOUDFRONT", "DYNAMODB", "KINESIS", "KMS", "LAMBDA", "S3", "SECRETSMANAGER", "SNS", "SQS"])
        self.assertEqual(describe["region"], "us-east-1")
        # A re-run changes nothing; --region filters.
        r = self.recoup("health", "sync", env=self.senv())
        self.assertIn("5 events, 0 new or updated", r.stdout)
        self.assertEqual(len(self.health_list("--region", "eu-west-1")), 2)
        self.assertEqual(len(self.health_list("--month", "2026-10")), 5)
        self.assertEqual(len(self.health_list("--month", "2026-09")), 0)

    def test_health_sync_organization_view(self):
        t0 = ms_of(2026, 10, 5, 10)
        accounts = ["111111111111", "222222222222", "333333333333"]
        with self.server.data.lock:
            self.server.data.add_health_event(kms_health_event(1, t0, None, accounts=accounts))
            self.server.data.add_health_event(kms_health_event(2, t0, t0 + 600000))
        r = self.recoup("health", "sync", "--organization", env=self.senv())
        self.assertEqual(r.returncode, 0, r)
        events = {e["arn"][-1]: e for e in self.health_list()}
        self.assertEqual(events["1"]["accounts"], accounts)  # two pages of accounts
        self.assertEqual(events["1"]["status"], "open")
        self.assertIsNone(events["1"]["end"])
        self.assertEqual(events["2"]["accounts"], [])
        self.assertEqual(events["1"]["source"], "health-org-api")
        ops = {c["operation"] for c in self.server.calls()}
        self.assertTrue({"DescribeEventsForOrganization", "DescribeAffectedAccountsForOrganization",
                         "DescribeEventDetailsForOrganization",
                         "DescribeAffectedEntitiesForOrganization"} <= ops, ops)

    def test_retries_on_500_503_and_throttling(self):
        with self.server.data.lock:
            self.server.data.add_health_event(kms_health_event(1, ms_of(2026, 10, 5), None))
        n = self.server.next_call()
        # DescribeEvents: 500, 503, then served; DescribeEventDetails: throttled twice.
        self.server.set_faults({n: "500", n + 1: "503", n + 3: "throttle", n + 4: "throttle-429"})
        r = self.recoup("health", "sync", env=self.senv())
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("1 events, 1 new or updated", r.stdout)
        calls = [(c["operation"], c["status"]) for c in self.server.calls()
                 if c["n"] is not None and c["n"] >= n]
        self.assertEqual(calls[:6], [("DescribeEvents", 500), ("DescribeEvents", 503),
                                     ("DescribeEvents", 200), ("DescribeEventDetails", 400),
                                     ("DescribeEventDetails", 429),
                                     ("DescribeEventDetails", 200)])

    def test_gives_up_after_the_retry_budget(self):
        n = self.server.next_call()
        self.server.set_faults({n + i: "503" for i in range(10)})
        r = self.recoup("health", "sync", env=self.senv())
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("ServiceUnavailable", r.stderr)
        self.assertEqual(len([c for c in self.server.calls() if c["n"] and c["n"] >= n]), 3)

    def test_wrappers_moto_lacks(self):
        r = self.harness("health-types", env=self.senv())
        self.assertEqual(r.returncode, 0, r)
        types = r.json()
        self.assertIn({"service": "KMS", "code": "AWS_KMS_OPERATIONAL_ISSUE"}, types)
        self.assertGreater(len(types), 2)  # several pages of 2
        case_id = sorted(self.server.data.cases)[0]  # a recorded case
        r = self.harness("support-recorded", case_id, env=self.senv())
        self.assertEqual(r.returncode, 0, r)
        out = r.json()
        self.assertEqual(out["service_code"], "key-management-service")
        self.assertEqual(out["severities"], 5)
        self.assertTrue(out["added"])
        self.assertEqual(out["communications"], 2)  # the recorded one + ours
        self.assertEqual(out["last_attachments"], 2)
        r = self.harness("support-recorded", "case-does-not-exist", env=self.senv())
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.json()["error"]["code"], "CaseIdNotFound")

    def _records(self, region, t0, ok, failing):
        recs = [ct_record(t0 + i * 1000, "ok-%s-%d" % (region, i), region=region)
                for i in range(ok)]
        recs += [ct_record(t0 + 60000 + i * 1000, "bad-%s-%d" % (region, i), region=region,
                           error="KMSInternalException") for i in range(failing)]
        return recs

    def test_cloudtrail_lookup_counts_like_trail_files_and_is_idempotent(self):
        t0 = ms_of(2026, 10, 14, 9)
        recs = self._records("us-east-1", t0, 9, 4)
        with self.server.data.lock:
            for r in recs:
                self.server.data.add_record(r)
        args = ("ingest", "cloudtrail-lookup", "--region", "us-east-1",
                "--start", iso(t0 - 3600000), "--end", iso(t0 + 3600000), "--output", "json")
        r = self.recoup(*args, env=self.senv())
        self.assertEqual(r.returncode, 0, r)
        s = r.json()
        self.assertEqual(s["events"], 13)
        self.assertEqual(s["pages"], 7)
        self.assertEqual(s["events_ingested"], 13)
        self.assertEqual(s["new_failures"], 4)
        lookups = [c for c in self.server.calls() if c["operation"] == "LookupEvents"]
        self.assertEqual(lookups[0]["input"]["LookupAttributes"],
                         [{"AttributeKey": "EventSource", "AttributeValue": "kms.amazonaws.com"}])
        self.assertEqual(lookups[0]["region"], "us-east-1")
        via_lookup = json.loads(self.report_json("--month", "2026-10"))
        # Re-run: nothing new.
        r = self.recoup(*args, env=self.senv())
        s = r.json()
        self.assertEqual((s["events_ingested"], s["events_already_ingested"]), (0, 13))
        self.assertEqual(json.loads(self.report_json("--month", "2026-10")), via_lookup)
        # The same records as a trail log file, in another store, count the same.
        other = self.path("other.db")
        path = self.path("trail.json")
        with open(path, "w") as f:
            json.dump({"Records": recs}, f)
        self.ingest(path, store=other)
        self.assertEqual(json.loads(self.report_json("--month", "2026-10", store=other)),
                         via_lookup)
        row = via_lookup[0]
        self.assertEqual((row["requests"], row["failed_requests"]), (13, 4))

    def test_health_import_names_bad_lines_and_keeps_good_events(self):
        good = {"source": "aws.health", "detail-type": "AWS Health Event",
                "account": ACCOUNT_A, "region": "us-east-1", "time": "2026-10-05T10:00:00Z",
                "detail": {"eventArn": "arn:aws:health:us-east-1::event/KMS/"
                                       "AWS_KMS_OPERATIONAL_ISSUE/IMPORT_1",
                           "service": "KMS", "eventTypeCode": "AWS_KMS_OPERATIONAL_ISSUE",
                           "eventTypeCategory": "issue", "statusCode": "closed",
                           "startTime": "Mon, 5 Oct 2026 10:00:00 GMT",
                           "endTime": "Mon, 5 Oct 2026 11:00:00 GMT"}}
        second = json.loads(json.dumps(good))
        second["detail"]["eventArn"] += "_2"
        lines = [json.dumps(good), "{broken", json.dumps({"source": "aws.ec2", "detail": {}}),
                 "", json.dumps(second)]
        jl = self.path("events.jsonl")
        with open(jl, "w") as f:
            f.write("\n".join(lines) + "\n")
        recorded = os.path.join(TESTDATA, "health/cloud-custodian/eventbridge/"
                                          "event-phd-ec2-retire.json")
        r = self.recoup("health", "import", jl, recorded)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("recoup: %s:2: not JSON" % jl, r.stderr)
        self.assertIn("recoup: %s:3: not an aws.health event" % jl, r.stderr)
        self.assertIn("3 events read, 3 new or updated, 2 bad records", r.stdout)
        events = self.health_list()
        self.assertEqual(len(events), 3)
        self.assertEqual({e["source"] for e in events}, {"eventbridge"})
        # Importing again changes nothing.
        r = self.recoup("health", "import", recorded)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("1 events read, 0 new or updated", r.stdout)

    def test_report_shows_overlapping_health_events(self):
        t0 = ms_of(2026, 10, 14, 9)
        trail = self.path("trail.json")
        with open(trail, "w") as f:
            json.dump({"Records": self._records("us-east-1", t0, 50, 30) +
                       self._records("eu-west-1", t0, 50, 30)}, f)
        self.ingest(trail)
        with self.server.data.lock:
            # Overlaps the us-east-1 failures; one before them; one elsewhere.
            self.server.data.add_health_event(kms_health_event(1, t0 - 600000, t0 + 3600000))
            self.server.data.add_health_event(kms_health_event(2, t0 - 86400000,
                                                               t0 - 80000000))
            self.server.data.add_health_event(kms_health_event(3, t0, t0 + 3600000,
                                                               region="ap-south-1"))
        r = self.recoup("health", "sync", env=self.senv())
        self.assertEqual(r.returncode, 0, r)
        rows = {x["region"]: x for x in json.loads(self.report_json("--month", "2026-10"))}
        us = rows["us-east-1"]
        self.assertEqual([e["arn"][-1] for e in us["health_events"]], ["1"])
        self.assertEqual(us["health_events"][0]["event_type_code"], "AWS_KMS_OPERATIONAL_ISSUE")
        self.assertEqual(us["health_events"][0]["start"], iso(t0 - 600000))
        self.assertEqual(us["health_events"][0]["end"], iso(t0 + 3600000))
        self.assertEqual(us["health_events"][0]["status"], "closed")
        self.assertNotIn("health_note", us)
        eu = rows["eu-west-1"]
        self.assertEqual(eu["health_events"], [])
        self.assertIn("AWS posted no Health event", eu["health_note"])
        table = self.recoup("report", "--month", "2026-10")
        self.assertIn("AWS_KMS_OPERATIONAL_ISSUE", table.stdout)
        self.assertRegex(table.stdout, r"eu-west-1 kms 2026-10: none")


if __name__ == "__main__":
    unittest.main()
