"""Claims end to end: evidence packages, filing with AWS Support, the ledger.

AWS is played by moto (CreateCase, DescribeCases; signature checking on) and
by the recorded-response server (tests/peers/recorded_server.py: DescribeServices
and AddAttachmentsToSet, checked against the botocore Support model and the
SigV4 signature, with the same test key as moto). SupportPeer is the one
Support endpoint recoup sees: it forwards each request byte for byte (Host
header included, so each peer checks the signature recoup made) to the peer
that plays the operation. DescribeCommunications and AddCommunicationToCase
concern moto's cases, which the recorded server does not know, so SupportPeer
answers them itself in the documented shapes (the tests set AWS's replies).
"""

import atexit
import base64
import gzip
import hashlib
import http.client
import http.server
import json
import os
import shlex
import shutil
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
from recorded_server import RecordedServer  # noqa: E402
from billing_credits_server import BillingCreditsServer, epoch  # noqa: E402

from aws_peers import MotoServer
from recoup_it import ACCOUNT_A, ACCOUNT_B, RecoupTestCase

CLAIM_A = ACCOUNT_A + "-us-east-1-kms-2026-10"
CLAIM_B = ACCOUNT_B + "-us-east-1-kms-2026-10"
# Every breach of the demo month: KMS in both accounts (day 14) and, on day
# 20, payments' DynamoDB, Lambda, SQS and API Gateway and analytics' Lambda.
DEMO_CLAIMS = sorted([CLAIM_A, CLAIM_B] + [
    ACCOUNT_A + "-us-east-1-%s-2026-10" % s for s in ("apigateway", "dynamodb", "lambda", "sqs")
] + [ACCOUNT_B + "-us-east-1-lambda-2026-10"])
NOW = "2026-11-28T04:00:00Z"


class SupportPeer:
    """127.0.0.1 front for moto's Support backend (see the module docstring)."""

    RECORDED_OPS = {"DescribeServices", "AddAttachmentsToSet"}
    LOCAL_OPS = {"DescribeCommunications", "AddCommunicationToCase"}

    def __init__(self, moto, recorded):
        self.moto = moto
        self.recorded = recorded
        self.subscription_required = False
        self.communications = {}       # caseId -> list of communication dicts
        self.sent_communications = []  # (caseId, body)
        self.calls = []                # operation names, in order
        peer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                target = self.headers.get("X-Amz-Target", "")
                op = target.split(".")[-1]
                peer.calls.append(op)
                if "AWS4-HMAC-SHA256" not in self.headers.get("Authorization", ""):
                    return self.reply(403, {"__type": "MissingAuthenticationTokenException",
                                            "message": "unsigned"})
                if peer.subscription_required:
                    return self.reply(400, {
                        "__type": "SubscriptionRequiredException",
                        "message": "AWS Premium Support Subscription is required to use this "
                                   "service."})
                if op in SupportPeer.LOCAL_OPS:
                    return self.reply(200, peer.local(op, json.loads(body or b"{}")))
                port = peer.moto.port
                if op in SupportPeer.RECORDED_OPS:
                    port = peer.recorded.httpd.server_address[1]
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                headers = {k: v for k, v in self.headers.items()}
                conn.request("POST", self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection",
                                         "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def reply(self, status, obj):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-RequestId", "peer-%d" % len(peer.calls))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def local(self, op, req):
        if op == "DescribeCommunications":
            return {"communications": self.communications.get(req["caseId"], [])}
        if op == "AddCommunicationToCase":
            self.sent_communications.append((req["caseId"], req["communicationBody"]))
            return {"result": True}
        raise AssertionError(op)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


_DEMO = {}  # the demo store this module's tests copy (ClaimsTestBase.demo)


class ClaimsTestBase(RecoupTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.env["RECOUP_NOW"] = NOW

    def recoup(self, *args, env=None):
        return self.run_recoup(*args, env=env, use_store=False)

    def demo(self, where="demo", fresh=False):
        """A store holding the demo month. The month is generated and ingested
        once per run of this module and copied for each test (a test changes
        its store); `fresh` generates it anew (reproducibility checks)."""
        out = os.path.join(self.tmp, where)
        if fresh:
            r = self.recoup("demo", "--out", out, env=self.env_without_store())
            self.assertEqual(r.returncode, 0, r)
            return os.path.join(out, "recoup.db")
        if "store" not in _DEMO:
            cache = tempfile.mkdtemp(prefix="recoup-claims-demo-")
            atexit.register(shutil.rmtree, cache, True)
            r = self.recoup("demo", "--out", os.path.join(cache, "demo"),
                            env=self.env_without_store())
            self.assertEqual(r.returncode, 0, r)
            _DEMO["store"] = os.path.join(cache, "demo", "recoup.db")
        os.makedirs(out, exist_ok=True)
        store = os.path.join(out, "recoup.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(_DEMO["store"] + suffix):
                shutil.copyfile(_DEMO["store"] + suffix, store + suffix)
        return store

    def env_without_store(self):
        return {k: v for k, v in self.env.items() if k != "RECOUP_STORE"}

    def claims(self, store, *args, env=None):
        return self.recoup("--store", store, "claims", *args, env=env or self.env)

    def ledger(self, store):
        r = self.claims(store, "list", "--output", "json")
        self.assertEqual(r.returncode, 0, r)
        return {c["id"]: c for c in r.json()["claims"]}


def read(path, mode="r"):
    with open(path, mode) as fh:
        return fh.read()


def tree_hashes(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


class ClaimsPackageTest(ClaimsTestBase):
    def test_demo_breach_package_is_complete_and_reproducible(self):
        store1 = self.demo("demo1", fresh=True)
        store2 = self.demo("demo2", fresh=True)
        out1, out2, out3 = (os.path.join(self.tmp, n) for n in ("p1", "p2", "p3"))
        for store, out in ((store1, out1), (store1, out2), (store2, out3)):
            r = self.claims(store, "build", "--month", "2026-10", "--out", out)
            self.assertEqual(r.returncode, 0, r)
        h1, h2, h3 = tree_hashes(out1), tree_hashes(out2), tree_hashes(out3)
        self.assertEqual(h1, h2)  # same store, two builds
        self.assertEqual(h1, h3)  # another store made from the same evidence
        self.assertEqual(sorted({p.split(os.sep)[0] for p in h1}), DEMO_CLAIMS)

        pkg = os.path.join(out1, CLAIM_A)
        manifest = json.loads(read(os.path.join(pkg, "manifest.json")))
        listed = {f["path"]: f["sha256"] for f in manifest["files"]}
        on_disk = {p.replace(os.sep, "/"): h for p, h in tree_hashes(pkg).items()
                   if p != "manifest.json"}
        self.assertEqual(listed, on_disk)
        for key in ("recoup_version", "sla_catalog_version", "sla_version"):
            self.assertTrue(manifest[key], key)
        for key in ("intervals_sha256", "failures_sha256", "charges_sha256",
                    "health_events_sha256", "sla_catalog_sha256"):
            self.assertRegex(manifest["inputs"][key], "^[0-9a-f]{64}$")

        subject = read(os.path.join(pkg, "case-subject.txt"))
        for word in ("SLA Credit Request", "Key Management Service", "us-east-1",
                     "October 2026", CLAIM_A):
            self.assertIn(word, subject)
        body = read(os.path.join(pkg, "case-body.txt"))
        self.assertLessEqual(len(body), 8000)
        for word in (ACCOUNT_A, "us-east-1", "2026-10-14T09:10:00Z", "MUP =", "10%",
                     "kms-2022-11-29"):
            self.assertIn(word, body)
        self.assertNotIn(NOW[:10], "".join(read(os.path.join(pkg, f)) for f in
                                           ("case-body.txt", "report.html", "manifest.json")))

        atts = manifest["attachments"]
        self.assertLessEqual(len(atts), 3)
        for a in atts:
            self.assertLessEqual(os.path.getsize(os.path.join(pkg, a["path"])), 5_000_000)
        gz = [a for a in atts if a["file_name"].endswith(".gz")][0]
        with gzip.open(os.path.join(pkg, gz["path"])) as fh:
            self.assertEqual(fh.read(), read(os.path.join(pkg, "requests.csv"), "rb"))
        with open(os.path.join(pkg, gz["path"]), "rb") as fh:
            header = fh.read(10)
        self.assertEqual(header[4:8], b"\0\0\0\0")  # no mtime

        # The interval table of the analytics account (CloudTrail only) is the
        # generator's truth, interval by interval.
        truth = json.loads(read(os.path.join(self.tmp, "demo1", "evidence", "truth.json")))
        cell = [c for c in truth["cells"] if c["account_id"] == ACCOUNT_B and
                c["region"] == "us-east-1"][0]
        rows = read(os.path.join(out1, CLAIM_B, "intervals.csv")).splitlines()[1:]
        got = [(r.split(",")[0], int(r.split(",")[2]), int(r.split(",")[3])) for r in rows]
        want = [(i["start"], i["requests"], i["server_errors"])
                for i in cell["server_error_intervals"]]
        self.assertEqual(got, want)

        ledger = self.ledger(store1)
        self.assertEqual(ledger[CLAIM_A]["state"], "ready")
        self.assertEqual(ledger[CLAIM_A]["deadline"], "2026-12-31T23:59:59Z")
        self.assertEqual(ledger[CLAIM_A]["days_left"], 33)

    def test_masking_is_configurable(self):
        store = self.demo()
        out = os.path.join(self.tmp, "p")
        r = self.claims(store, "build", CLAIM_A, "--out", out, "--mask", "key_id")
        self.assertEqual(r.returncode, 0, r)
        csv = read(os.path.join(out, CLAIM_A, "requests.csv"))
        self.assertIn(":key/****", csv)
        self.assertNotRegex(csv, r":key/[0-9a-f]{8}-")
        manifest = json.loads(read(os.path.join(out, CLAIM_A, "manifest.json")))
        self.assertEqual(manifest["masked_fields"], "key_id")
        r = self.claims(store, "build", CLAIM_A, "--out", out, "--mask", "passwords")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("--mask", r.stderr)

    def test_refusals_say_why(self):
        store = self.demo()
        # Credit at or below the $1 minimum.
        r = self.recoup("--store", store, "billing", "set", "--account", ACCOUNT_A, "--region",
                        "us-east-1", "--month", "2026-10", "--amount", "9.99")
        self.assertEqual(r.returncode, 0, r)
        r = self.claims(store, "file", CLAIM_A)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("minimum", r.stdout)
        self.assertNotIn("DRY RUN", r.stdout)
        # Past the deadline: the claim expires and filing says so.
        late = dict(self.env, RECOUP_NOW="2027-01-01T00:00:00Z")
        r = self.claims(store, "file", CLAIM_B, "--yes", env=late)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("deadline", r.stdout)
        self.assertEqual(self.ledger(store)[CLAIM_B]["state"], "expired")

    def test_overlapping_health_events_are_cited(self):
        store = self.demo()
        def event(arn_suffix, region, start, end):
            return {"version": "0", "id": arn_suffix, "detail-type": "AWS Health Event",
                    "source": "aws.health", "account": ACCOUNT_A, "time": start,
                    "region": region, "resources": [],
                    "detail": {
                        "eventArn": "arn:aws:health:%s::event/KMS/AWS_KMS_OPERATIONAL_ISSUE/%s"
                                    % (region, arn_suffix),
                        "service": "KMS", "eventTypeCode": "AWS_KMS_OPERATIONAL_ISSUE",
                        "eventTypeCategory": "issue", "startTime": start, "endTime": end,
                        "statusCode": "closed",
                        "eventDescription": [{"language": "en_US",
                                              "latestDescription": "Increased error rates."}]}}
        events = [event("OVERLAPS", "us-east-1", "Wed, 14 Oct 2026 09:05:00 GMT",
                        "Wed, 14 Oct 2026 10:00:00 GMT"),
                  event("OTHER_REGION", "eu-west-1", "Wed, 14 Oct 2026 09:05:00 GMT",
                        "Wed, 14 Oct 2026 10:00:00 GMT"),
                  event("LATER", "us-east-1", "Thu, 15 Oct 2026 09:05:00 GMT",
                        "Thu, 15 Oct 2026 10:00:00 GMT")]
        path = os.path.join(self.tmp, "health.jsonl")
        with open(path, "w") as f:
            f.write("".join(json.dumps(e) + "\n" for e in events))
        r = self.recoup("--store", store, "health", "import", path)
        self.assertEqual(r.returncode, 0, r)
        out = os.path.join(self.tmp, "p")
        r = self.claims(store, "build", CLAIM_A, "--out", out)
        self.assertEqual(r.returncode, 0, r)
        health = json.loads(read(os.path.join(out, CLAIM_A, "health-events.json")))
        self.assertEqual([e["arn"].rsplit("/", 1)[1] for e in health["events"]], ["OVERLAPS"])
        body = read(os.path.join(out, CLAIM_A, "case-body.txt"))
        self.assertIn(health["events"][0]["arn"], body)
        self.assertNotIn("OTHER_REGION", body)

    def test_reminders_before_the_deadline(self):
        store = self.demo()
        soon = dict(self.env, RECOUP_NOW="2026-12-20T00:00:00Z")
        r = self.claims(store, "list", "--output", "json", env=soon)
        self.assertEqual(r.returncode, 0, r)
        claim = [c for c in r.json()["claims"] if c["id"] == CLAIM_A][0]
        self.assertEqual(claim["days_left"], 11)
        self.assertTrue(claim["reminder"])
        self.assertIn("recoup: reminder: claim " + CLAIM_A, r.stderr)
        r = self.claims(store, "list", "--output", "json", "--remind-days", "5", env=soon)
        self.assertFalse([c for c in r.json()["claims"] if c["id"] == CLAIM_A][0]["reminder"])
        r = self.claims(store, "list", "--output", "csv", env=soon)
        self.assertTrue(r.stdout.startswith("id,account,region,service,month,state,"))
        self.assertEqual(len(r.stdout.splitlines()), 1 + len(DEMO_CLAIMS))

    def test_dry_run_is_the_default_and_sends_nothing(self):
        store = self.demo()
        env = dict(self.env, AWS_ENDPOINT_URL="http://127.0.0.1:9")  # nothing listens
        r = self.claims(store, "file", CLAIM_A, env=env)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("DRY RUN", r.stdout)
        self.assertIn('"issueType": "customer-service"', r.stdout)
        self.assertIn("SLA Credit Request", r.stdout)
        self.assertEqual(self.ledger(store)[CLAIM_A]["state"], "detected")


class AwsPeersTestBase(ClaimsTestBase):
    """moto, the recorded-response servers and SupportPeer, as AWS."""

    def setUp(self):
        super().setUp()
        # moto's credentials are account A's: claims of account B must not be
        # filed with them.
        self.moto = MotoServer(extra_env={"MOTO_ACCOUNT_ID": ACCOUNT_A})
        self.addCleanup(self.moto.stop)
        self.recorded = RecordedServer(os.environ.get("RECOUP_TESTDATA") or None,
                                       key_id=self.moto.key_id, secret=self.moto.secret).start()
        self.addCleanup(self.recorded.stop)
        self.peer = SupportPeer(self.moto, self.recorded)
        self.addCleanup(self.peer.stop)
        self.aws_env = self.moto.env(self.env)
        self.aws_env["AWS_ENDPOINT_URL_SUPPORT"] = self.peer.endpoint
        self.billing = BillingCreditsServer({self.moto.key_id: self.moto.secret}).start()
        self.addCleanup(self.billing.stop)
        self.aws_env["AWS_ENDPOINT_URL_BILLING"] = self.billing.endpoint
        self.aws_env["RECOUP_ACCOUNTS_CONFIG"] = ""
        self.aws_env["XDG_CONFIG_HOME"] = os.path.join(self.tmp, "xdg")  # no accounts file
        self.support = self.moto.client("support")

    def cases(self):
        return self.support.describe_cases(includeResolvedCases=True,
                                           includeCommunications=False)["cases"]


class ClaimsFilingTest(AwsPeersTestBase):

    def test_kill_between_create_case_and_store_never_files_twice(self):
        store = self.demo()
        crash = dict(self.aws_env, RECOUP_TEST_CRASH_AFTER_CREATE_CASE="1")
        r = self.claims(store, "file", CLAIM_A, "--yes", env=crash)
        self.assertEqual(r.returncode, 86, r)  # died after AWS created the case
        self.assertEqual(len(self.cases()), 1)
        self.assertIsNone(self.ledger(store)[CLAIM_A]["case_id"])

        r = self.claims(store, "file", CLAIM_A, "--yes", env=self.aws_env)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("earlier attempt", r.stdout)
        cases = self.cases()
        self.assertEqual(len(cases), 1)
        self.assertIn("SLA Credit Request", cases[0]["subject"])
        self.assertEqual(self.peer.calls.count("CreateCase"), 1)
        entry = self.ledger(store)[CLAIM_A]
        self.assertEqual(entry["state"], "filed")
        self.assertEqual(entry["case_id"], cases[0]["caseId"])

        r = self.claims(store, "file", "--all", "--yes", env=self.aws_env)
        # --all: CLAIM_A is not filed again; the other account's claim is not
        # filed with account A's credentials.
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("claim %s: not filed" % CLAIM_B, r.stdout)
        # Account A's other claims of the month may be filed with its
        # credentials (those under terms the catalog marks unverified are
        # held back without --accept-unverified); none of account B's.
        subjects = sorted(c["subject"] for c in self.cases())
        self.assertEqual(sum(CLAIM_A in s for s in subjects), 1)
        self.assertFalse([s for s in subjects if ACCOUNT_B in s], subjects)
        self.assertTrue(all(ACCOUNT_A + "-us-east-1-" in s for s in subjects), subjects)
        self.assertEqual(self.peer.calls.count("CreateCase"), len(subjects))

    def test_file_sync_note_and_credit(self):
        store = self.demo()
        r = self.claims(store, "file", CLAIM_A, "--yes", env=self.aws_env)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("filed as AWS Support case", r.stdout)
        # What AWS received: customer-service case with the package attached.
        case = self.cases()[0]
        # DescribeServices offered "Account and billing" (customer-account).
        self.assertEqual(case["serviceCode"], "customer-account")
        self.assertEqual(case["categoryCode"], "other")
        recorded = [c for c in self.recorded.calls() if c["operation"] == "AddAttachmentsToSet"]
        self.assertEqual([c["status"] for c in recorded], [200])  # model and signature OK
        atts = recorded[0]["input"]["attachments"]
        self.assertEqual(len(atts), 3)
        self.assertTrue(all(len(base64.b64decode(a["data"])) <= 5_000_000 for a in atts))
        gz = [a for a in atts if a["fileName"].endswith("requests.csv.gz")]
        self.assertEqual(len(gz), 1)
        self.assertIn(b"KMSInternalException", gzip.decompress(base64.b64decode(gz[0]["data"])))
        case_id = case["caseId"]

        # AWS answers; moto moves the case through its statuses on each look.
        self.peer.communications[case_id] = [{
            "caseId": case_id, "submittedBy": "Amazon Web Services",
            "timeCreated": "2026-12-03T10:00:00.000Z",
            "body": "Your SLA credit request has been approved. The credit will appear on your "
                    "next bill."}]
        seen = []
        for _ in range(8):
            r = self.claims(store, "sync", env=self.aws_env)
            self.assertEqual(r.returncode, 0, r)
            seen.append(self.ledger(store)[CLAIM_A]["state"])
            if seen[-1] == "approved":
                break
        self.assertEqual(seen[-1], "approved")
        r = self.claims(store, "show", CLAIM_A, "--output", "json")
        self.assertEqual(r.json()["case_status"], "resolved")
        self.assertIn("approved", r.json()["communications"][0]["body"])

        r = self.claims(store, "note", CLAIM_A, "Thank you.", env=self.aws_env)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(self.peer.sent_communications, [(case_id, "Thank you.")])

        # December's bill carries the credit.
        cur = os.path.join(self.tmp, "cur-2026-12.csv")
        with open(cur, "w") as f:
            f.write("lineItem/UsageAccountId,lineItem/LineItemType,lineItem/ProductCode,"
                    "product/region,lineItem/UnblendedCost,bill/BillingPeriodStartDate,"
                    "lineItem/CurrencyCode\n")
            f.write("%s,Usage,awskms,us-east-1,400.00,2026-12-01T00:00:00Z,USD\n" % ACCOUNT_A)
            f.write("%s,Credit,awskms,us-east-1,-41.24,2026-12-01T00:00:00Z,USD\n" % ACCOUNT_A)
        r = self.recoup("--store", store, "billing", "import", cur)
        self.assertEqual(r.returncode, 0, r)
        r = self.claims(store, "sync", "--offline")
        self.assertEqual(r.returncode, 0, r)
        entry = self.ledger(store)[CLAIM_A]
        self.assertEqual(entry["state"], "credited")
        self.assertEqual(entry["credit_received"], "41.24")
        r = self.claims(store, "list", "--output", "json")
        totals = r.json()["totals"]
        self.assertEqual(totals["by_month"][0]["credit_received"], "41.24")
        kms = [t for t in totals["by_service"] if t["service"] == "kms"]
        self.assertEqual(len(kms), 1, totals)
        self.assertEqual(kms[0]["credit_received"], "41.24")

        r = self.claims(store, "show", CLAIM_A, "--output", "json")
        hist = [(t["from"], t["to"]) for t in r.json()["transitions"]]
        self.assertEqual(hist[:3], [("", "detected"), ("detected", "ready"), ("ready", "filed")])
        self.assertEqual(hist[-1], ("approved", "credited"))
        self.assertTrue(all(t["reason"] and t["at"] for t in r.json()["transitions"]))

    def test_no_support_plan_prepares_manual_filing(self):
        store = self.demo()
        self.peer.subscription_required = True
        out = os.path.join(self.tmp, "manual")
        r = self.claims(store, "file", CLAIM_A, "--yes", "--out", out, env=self.aws_env)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("Create case", r.stdout)
        self.assertIn("SubscriptionRequiredException", r.stdout)
        self.assertTrue(os.path.exists(os.path.join(out, CLAIM_A, "case-body.txt")))
        self.assertEqual(self.ledger(store)[CLAIM_A]["state"], "ready")
        self.assertEqual(self.peer.calls.count("CreateCase"), 0)
        self.assertEqual(self.cases(), [])
        # Filed by hand, then recorded.
        r = self.claims(store, "note", CLAIM_A, "filed in the console", "--case-id",
                        "case-manual-1")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(self.ledger(store)[CLAIM_A]["state"], "filed")


class ClaimsTrustTest(AwsPeersTestBase):
    """What recoup says and does for a claim holds: console filing, AWS Health,
    closed months only, the filing account, credits on the bill."""

    def test_console_instructions_run_verbatim(self):
        store = self.demo()
        self.peer.subscription_required = True
        out = os.path.join(self.tmp, "manual")
        r = self.claims(store, "file", CLAIM_A, "--yes", "--out", out, env=self.aws_env)
        self.assertEqual(r.returncode, 0, r)
        steps = read(os.path.join(out, CLAIM_A, "how-to-file-in-console.txt"))
        commands = [ln.strip() for ln in steps.splitlines() if ln.strip().startswith("recoup ")]
        self.assertTrue(commands, steps)
        soon = dict(self.env, RECOUP_NOW="2026-12-20T00:00:00Z", RECOUP_STORE=store)
        r = self.recoup("claims", "list", "--output", "json", env=soon)
        self.assertIn("recoup: reminder: claim " + CLAIM_A, r.stderr)
        case_id = "case-111122223333-muen-2026-7c1e2b9d"
        for cmd in commands:
            self.assertIn("CASE_ID", cmd)
            argv = shlex.split(cmd.replace("CASE_ID", case_id))
            self.assertEqual(argv[0], "recoup")
            r = self.recoup(*argv[1:], env=soon)
            self.assertEqual(r.returncode, 0, (cmd, r))
        entry = self.ledger(store)[CLAIM_A]
        self.assertEqual(entry["state"], "filed")
        self.assertEqual(entry["case_id"], case_id)
        r = self.recoup("claims", "list", "--output", "json", env=soon)
        self.assertEqual(r.returncode, 0, r)
        self.assertNotIn("reminder: claim " + CLAIM_A, r.stderr)
        self.assertFalse([c for c in r.json()["claims"] if c["id"] == CLAIM_A][0]["reminder"])

    def health_of(self, store, claim=CLAIM_A):
        out = os.path.join(self.tmp, "pkg-" + str(len(os.listdir(self.tmp))))
        r = self.claims(store, "build", claim, "--out", out)
        self.assertEqual(r.returncode, 0, r)
        pkg = os.path.join(out, claim)
        return (json.loads(read(os.path.join(pkg, "health-events.json"))),
                read(os.path.join(pkg, "case-body.txt")), read(os.path.join(pkg, "report.html")))

    def test_aws_health_is_stated_only_when_checked(self):
        store = self.demo()
        health, body, html = self.health_of(store)
        self.assertEqual((health["checked"], health["checked_through"], health["sources"],
                          health["events"]), (False, None, [], []))
        for text in (body, html, json.dumps(health)):
            self.assertNotIn("shows no", text)
            self.assertIn("recoup did not check AWS Health", text)
        # An EventBridge file whose events span only part of the month is no check
        # of the incident windows outside it.
        def event(n, start, end):
            return {"version": "0", "id": "e%d" % n, "detail-type": "AWS Health Event",
                    "source": "aws.health", "account": ACCOUNT_A, "time": start,
                    "region": "us-east-1", "resources": [],
                    "detail": {"eventArn": "arn:aws:health:us-east-1::event/EC2/X/%d" % n,
                               "service": "EC2", "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE",
                               "eventTypeCategory": "issue", "startTime": start,
                               "endTime": end, "statusCode": "closed"}}
        part = os.path.join(self.tmp, "part.jsonl")
        with open(part, "w") as f:
            f.write(json.dumps(event(1, "2026-10-20T00:00:00Z", "2026-10-21T00:00:00Z")) + "\n")
        r = self.recoup("--store", store, "health", "import", part)
        self.assertEqual(r.returncode, 0, r)
        self.assertFalse(self.health_of(store)[0]["checked"])
        # The Health API read with account A's credentials covers the last 90 days.
        recorded = RecordedServer(os.environ.get("RECOUP_TESTDATA") or None,
                                  key_id=self.moto.key_id, secret=self.moto.secret).start()
        self.addCleanup(recorded.stop)
        env = dict(self.aws_env, AWS_ENDPOINT_URL_HEALTH=recorded.endpoint)
        r = self.recoup("--store", store, "health", "sync", env=env)
        self.assertEqual(r.returncode, 0, r)
        health, body, html = self.health_of(store)
        self.assertTrue(health["checked"])
        self.assertEqual(health["checked_through"], NOW)
        self.assertEqual(health["sources"], ["health-api"])
        for text in (body, html):
            self.assertIn("AWS Health shows no KMS event in us-east-1", text)
            self.assertNotIn("did not check", text)
        # Account B was not covered by account A's read.
        self.assertFalse(self.health_of(store, CLAIM_B)[0]["checked"])

    def test_a_month_that_is_not_over_stays_forming(self):
        during = dict(self.env, RECOUP_NOW="2026-10-25T00:00:00Z")
        store = self.demo()
        ledger = self.claims(store, "list", "--output", "json", env=during).json()
        states = {c["id"]: c["state"] for c in ledger["claims"]}
        self.assertEqual(states[CLAIM_A], "forming")
        out = os.path.join(self.tmp, "p")
        r = self.claims(store, "build", CLAIM_A, "--out", out, env=during)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("is not over", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(out, CLAIM_A)))
        aws_during = dict(self.aws_env, RECOUP_NOW=during["RECOUP_NOW"])
        r = self.claims(store, "file", CLAIM_A, "--yes", env=aws_during)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("is not over", r.stdout)
        r = self.claims(store, "file", "--all", "--yes", env=aws_during)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(self.cases(), [])
        self.assertEqual(self.peer.calls.count("CreateCase"), 0)
        # Once the month is over the claims can be filed; --all files closed months only.
        r = self.claims(store, "file", "--all", "--yes", env=self.aws_env)
        self.assertIn("claim %s: filed as AWS Support case" % CLAIM_A, r.stdout)
        self.assertEqual(self.ledger(store)[CLAIM_A]["state"], "filed")

    def test_files_only_with_the_claims_own_account(self):
        store = self.demo()
        r = self.claims(store, "file", "--all", env=self.aws_env)  # dry run
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("would file as arn:aws:iam::%s:user/recoup" % ACCOUNT_A, r.stdout)
        b = r.stdout[r.stdout.index("claim %s would be refused" % CLAIM_B):]
        self.assertIn(ACCOUNT_B, b.splitlines()[1])
        self.assertIn(ACCOUNT_A, b.splitlines()[1])
        self.assertEqual(self.peer.calls.count("CreateCase"), 0)
        r = self.claims(store, "file", CLAIM_B, "--yes", env=self.aws_env)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("account %s" % ACCOUNT_B, r.stdout)
        self.assertIn("account %s's" % ACCOUNT_A, r.stdout)
        self.assertEqual(self.peer.calls.count("CreateCase"), 0)
        self.assertEqual(self.ledger(store)[CLAIM_B]["case_id"], None)

        # A role per account, assumed from one set of credentials.
        iam = self.moto.client("iam")
        iam.create_role(RoleName="RecoupClaims", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:user/recoup" % ACCOUNT_A},
                "Action": "sts:AssumeRole"}]}))
        iam.put_role_policy(RoleName="RecoupClaims", PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        cfg = os.path.join(self.tmp, "xdg", "recoup", "accounts.toml")
        os.makedirs(os.path.dirname(cfg))
        with open(cfg, "w") as f:
            f.write('role_arn = "arn:aws:iam::{account}:role/RecoupClaims"\n')
        r = self.claims(store, "file", CLAIM_A, env=self.aws_env)
        self.assertIn("would file as arn:aws:sts::%s:assumed-role/RecoupClaims/" % ACCOUNT_A,
                      r.stdout)
        # A profile per account: its own credentials, even where the environment
        # holds others (here: keys AWS refuses).
        creds = os.path.join(self.tmp, "credentials")
        with open(creds, "w") as f:
            f.write("[claims-a]\naws_access_key_id = %s\naws_secret_access_key = %s\n" %
                    (self.moto.key_id, self.moto.secret))
        with open(cfg, "w") as f:
            f.write('[accounts."%s"]\nprofile = "claims-a"\n' % ACCOUNT_A)
        env = dict(self.aws_env, AWS_SHARED_CREDENTIALS_FILE=creds,
                   AWS_SECRET_ACCESS_KEY="x" + self.moto.secret[1:])
        r = self.claims(store, "file", CLAIM_A, "--yes", env=env)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("(as arn:aws:iam::%s:user/recoup)" % ACCOUNT_A, r.stdout)
        self.assertEqual(len(self.cases()), 1)
        # A bad accounts file is named with its line.
        with open(cfg, "w") as f:
            f.write('[accounts."%s"]\nprofle = "x"\n' % ACCOUNT_A)
        r = self.claims(store, "file", CLAIM_A, env=self.aws_env)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(cfg + ":2: accounts.%s.profle: unknown key" % ACCOUNT_A, r.stderr)

    def test_sync_finds_the_credit_with_the_billing_api(self):
        store = self.demo()
        r = self.claims(store, "file", CLAIM_A, "--yes", env=self.aws_env)
        self.assertEqual(r.returncode, 0, r)
        asked = self.ledger(store)[CLAIM_A]["credit_asked"]
        amount = lambda v: {"currencyAmount": v, "currencyCode": "USD"}  # noqa: E731
        self.billing.credits = [
            {"accountId": ACCOUNT_A, "creditId": "1001", "creditType": "Promotion",
             "description": "AWS Activate", "initialAmount": amount("1000.00"),
             "remainingAmount": amount("900.00"), "startDate": epoch("2026-03-01T00:00:00Z"),
             "applicableProductNames": []},
            {"accountId": ACCOUNT_A, "creditId": "2002", "creditType": "Refund",
             "description": "SLA credit", "initialAmount": amount("41.24"),
             "remainingAmount": amount("0.00"), "startDate": epoch("2026-12-04T00:00:00Z"),
             "applicableProductNames": ["AWS Key Management Service"]}]
        alloc = lambda cid, svc, month, v, est: {  # noqa: E731
            "accountId": ACCOUNT_A, "creditId": cid, "appliedServiceName": svc,
            "billingMonth": month, "creditAmount": amount(v), "isEstimatedBill": est}
        self.billing.allocations = [
            alloc("1001", "AWS Key Management Service", "2026-12", "-50.00", False),
            alloc("2002", "AWS Key Management Service", "2026-12", "-30.00", False),
            alloc("2002", "Amazon Simple Storage Service", "2026-12", "-1.00", False),
            alloc("2002", "AWS Key Management Service", "2027-01", "-11.24", True)]
        later = dict(self.aws_env, RECOUP_NOW="2027-01-20T00:00:00Z")
        r = self.claims(store, "sync", env=later)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("%s: asked $%s, granted $41.24 (credit 2002), applied $41.24" %
                      (CLAIM_A, asked), r.stdout)
        self.assertIn("2026-12: applied $30.00", r.stdout)
        self.assertIn("2027-01: applied $11.24", r.stdout)
        entry = self.ledger(store)[CLAIM_A]
        self.assertEqual(entry["state"], "credited")
        self.assertEqual(entry["credit_received"], "41.24")
        calls = [c for c in self.billing.calls() if c["status"] == 200]
        self.assertEqual({c["operation"] for c in calls},
                         {"GetCredits", "GetCreditAllocationHistory"})
        self.assertTrue(all(c["input"]["accountId"] == ACCOUNT_A for c in calls))
        self.assertGreaterEqual(sum(c["operation"] == "GetCreditAllocationHistory"
                                    for c in calls), 2)  # paginated
        # An account whose policy refuses the credits API: a note, not a failure.
        self.billing.denied.add(ACCOUNT_A)
        r = self.claims(store, "sync", env=later)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("AccessDeniedException", r.stderr)


if __name__ == "__main__":
    unittest.main()
