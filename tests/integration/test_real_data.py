"""Real, third-party CloudTrail data from $RECOUP_TESTDATA/cloudtrail (read only).

Expectations are computed here from the data with Python's own JSON parser,
not copied from recoup's output.
"""

import concurrent.futures
import json
import os
import re
import unittest

from recoup_it import TESTDATA, RecoupTestCase, require_binary, tree_digest

CT = os.path.join(TESTDATA, "cloudtrail") if TESTDATA else ""
PANTHER_KMS = os.path.join(CT, "panther-analysis", "panther_cloudtrail_test_events.kms.jsonl")

# The nine AWS documentation blocks that are not valid JSON as published.
INVALID = [
    "awsdocs-kms-developer-guide/ct-encrypt-1.invalid-json.txt",
    "awsdocs-kms-developer-guide/ct-decrypt-enclave-1.invalid-json.txt",
    "awsdocs-kms-developer-guide/ct-replicate-key-1.invalid-json.txt",
    "awsdocs-kms-developer-guide/ct-decrypt-2.invalid-json.txt",
    "awsdocs-kms-developer-guide/services-cloudtrail-1.invalid-json.txt",
    "awsdocs-kms-developer-guide/services-cloudtrail-2.invalid-json.txt",
    "awsdocs-kms-developer-guide/services-cloudtrail-3.invalid-json.txt",
    "awsdocs-cloudtrail-user-guide/cloudtrail-log-file-examples-6.invalid-json.txt",
    "awsdocs-cloudtrail-user-guide/cloudtrail-event-reference-1.invalid-json.txt",
]

ARN_RE = re.compile(r"^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+){1,3}-\d+$")
TIME_RE = re.compile(r"^(\d{4})-(\d{2})-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?Z?$")
CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data",
                       "sla_catalog.json")


def first_month(effective_from):
    """A version published mid-month governs from the next full month."""
    y, m, d = (int(x) for x in effective_from[:10].split("-"))
    if d != 1:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return "%04d-%02d" % (y, m)


def catalog_services():
    """{event source: (service key, first month any version governs)}."""
    with open(CATALOG, encoding="utf-8") as f:
        cat = json.load(f)
    out = {}
    for key, s in cat["services"].items():
        months = [first_month(v["effective_from"]) for v in s["versions"]]
        out[s.get("event_source", key + ".amazonaws.com")] = (key, min(months))
    return out


SERVICES = catalog_services()
# Events older than their service's earliest SLA version are outside the SLA
# history: rejected, naming eventTime.
with open(CATALOG, encoding="utf-8") as _f:
    EARLIEST_DAY = {k: min(v["effective_from"][:10] for v in s["versions"])
                    for k, s in json.load(_f)["services"].items()}


def all_files():
    out = []
    for dp, dn, fn in os.walk(CT):
        dn[:] = sorted(d for d in dn if not d.startswith("."))
        out += [os.path.join(dp, f) for f in sorted(fn) if not f.startswith(".")]
    return out


def records_of(path):
    """Records in a file per Python's JSON parser; None if it is not JSON."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        docs = [json.loads(text)]
    except ValueError:
        docs = []
        for line in text.splitlines():
            if line.strip():
                try:
                    docs.append(json.loads(line))
                except ValueError:
                    return None
    out = []
    for d in docs:
        if isinstance(d, dict) and isinstance(d.get("Records"), list):
            out += d["Records"]
        elif isinstance(d, list):
            out += d
        else:
            out.append(d)
    return out


def as_cloudtrail(r):
    if not isinstance(r, dict):
        return None
    if isinstance(r.get("CloudTrailEvent"), str):
        return json.loads(r["CloudTrailEvent"])
    if isinstance(r.get("detail"), dict):
        return r["detail"]
    return r


def sla_call(r):
    """(account, region, service, month) of a usable API-call record of a
    service in the SLA catalog, else None."""
    r = as_cloudtrail(r)
    if r is None or r.get("eventSource") not in SERVICES:
        return None
    if r.get("eventType") not in (None, "AwsApiCall"):
        return None
    m = TIME_RE.match(r.get("eventTime") or "")
    # Anonymised logs carry made-up Regions ("ap-westeast-2r"): rejected.
    if not m or not REGION_RE.match(r.get("awsRegion") or ""):
        return None
    ident = r.get("userIdentity") if isinstance(r.get("userIdentity"), dict) else {}
    account = r.get("recipientAccountId") or ident.get("accountId")
    if not account or not re.match(r"^\d{12}$", str(account)):
        return None
    # A resource ARN must be one (test events carry "arn::::table/table").
    for res in r.get("resources") or []:
        if isinstance(res, dict) and "ARN" in res:
            if not ARN_RE.match(str(res["ARN"])):
                return None
            break
    if "sharedEventID" in r and ident.get("accountId") and ident.get("accountId") != account:
        return None
    return (account, r["awsRegion"], SERVICES[r["eventSource"]][0],
            "%s-%s" % (m.group(1), m.group(2)))


@unittest.skipUnless(TESTDATA and os.path.isdir(CT), "RECOUP_TESTDATA not set")
class RealCloudTrail(RecoupTestCase):

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.digest_before = tree_digest(CT)
        cls.files = all_files()
        cls.expected = []  # (account, region, service, month) per usable record
        cls.expected_old = []  # the usable records before the earliest SLA
        cls.unparseable = []
        for p in cls.files:
            recs = records_of(p)
            if recs is None:
                cls.unparseable.append(os.path.relpath(p, CT))
                continue
            cls.expected += [k for k in map(sla_call, recs) if k]
            cls.expected_old += [r for r in recs if sla_call(r) and
                                 as_cloudtrail(r)["eventTime"][:10] <
                                 EARLIEST_DAY[sla_call(r)[2]]]

    @classmethod
    def tearDownClass(cls):
        if CT and os.path.isdir(CT):
            assert tree_digest(CT) == cls.digest_before, "the test data was modified"

    def test_our_view_of_the_data(self):
        # Guards the expectations below: 9 invalid files, 80 usable KMS calls,
        # and calls of other services of the catalog.
        self.assertEqual(sorted(self.unparseable), sorted(INVALID))
        self.assertEqual(len([k for k in self.expected if k[2] == "kms"]), 80)
        self.assertGreater(len([k for k in self.expected if k[2] != "kms"]), 0)

    def test_whole_folder(self):
        r = self.ingest(CT)
        self.assert_no_crash(r)
        s = r.json()
        self.assertEqual(s["files"], len(self.files))
        # Files with no usable record are left out of the ledger (files_rejected).
        self.assertEqual(s["files_ingested"] + s["files_already_ingested"] + s["files_rejected"],
                         s["files"])
        # Every usable call of a catalog service within the SLA history is
        # accepted; older ones are rejected, naming eventTime.
        self.assertEqual(s["accepted"], len(self.expected) - len(self.expected_old))
        self.assertGreater(len(self.expected_old), 0)
        self.assertTrue(any("eventTime: " in w and "is before 2019-01-16T00:00:00Z" in w
                            for w in r.warnings()), r.warnings())
        self.assertEqual(s["duplicates"], 0)
        self.assertEqual(s["failed_requests_new"], 0)  # no server errors in public data
        # Each invalid file is named in a warning.
        for rel in INVALID:
            self.assertTrue(any(os.path.join(CT, rel) in w for w in r.warnings()),
                            "no warning names %s" % rel)
        # The report holds every (account, Region, service, month) the records
        # fall in, from the first month the service's SLA governs.
        rows = json.loads(self.report_json(intervals=False))
        got = sorted((x["account"], x["region"], x["service"], x["month"]) for x in rows)
        first = {key: month for key, month in SERVICES.values()}
        want = sorted({k for k in self.expected if k[3] >= first[k[2]]})
        self.assertEqual(got, want)
        for x in rows:
            self.assertEqual(x["failed_requests"], 0)
            self.assertFalse(x["breached"])

    def test_whole_folder_summary_adds_up(self):
        s = self.ingest(CT).json()
        self.assert_summary_adds_up(s)

    def test_invalid_files_alone_do_not_crash(self):
        paths = [os.path.join(CT, rel) for rel in INVALID]
        r = self.ingest(*paths, check=False)
        self.assert_no_crash(r)
        self.assertEqual(r.returncode, 1, r)  # no file is evidence: nothing usable came out
        s = r.json()
        self.assertEqual(s["files"], 9)
        for p in paths:
            self.assertTrue(any(p in w for w in r.warnings()), "no warning names " + p)
        # The rest of a damaged file still counts: the one record before the
        # "... additional entries ..." text is valid (not a KMS call).
        self.assertGreaterEqual(s["records"], 1)

    def test_panther_kms_events(self):
        r = self.ingest(PANTHER_KMS)
        s = r.json()
        # 10 events: one (PutKeyPolicy, 2024-01-01) has no account ID at all;
        # six are dated 2019-01-01, before the first KMS SLA (outside its history).
        self.assertEqual((s["records"], s["accepted"], s["rejected"]), (10, 3, 7), s)
        self.assertEqual(len(r.warnings()), 7, r)
        line8 = [w for w in r.warnings() if "line 8 " in w]
        self.assertEqual(len(line8), 1, r.warnings())
        self.assertIn(PANTHER_KMS, line8[0])
        self.assertIn("recipientAccountId", line8[0])
        old = [w for w in r.warnings() if "eventTime: 2019-01-01T00:00:00Z is before" in w]
        self.assertEqual(len(old), 6, r.warnings())
        rows = json.loads(self.report_json())
        got = [(x["account"], x["region"], x["month"], x["sla_version"], x["requests"],
                x["failed_requests"], x["breached"]) for x in rows]
        # The six 2019-01-01 events predate the first month the 2019 KMS SLA
        # governs (2019-02), so they have no verdict.
        self.assertEqual(got, [
            ("123456789012", "ap-east-1", "2021-10", "kms-2019-01-16", 1, 0, False),
            ("123456789012", "us-east-1", "2024-01", "kms-2022-11-29", 1, 0, False),
            ("123456789012", "us-west-2", "2025-03", "kms-2022-11-29", 1, 0, False),
        ])
        for x in rows:
            self.assertEqual(x["mup_pct"], "100.000000000000")
            self.assertEqual(len(x["interval_detail"]), 1)
        self.assertEqual(rows[0]["commitment_pct"], "99.9")
        self.assertEqual(rows[1]["commitment_pct"], "99.999")
        self.assertEqual(rows[0]["interval_detail"][0]["start"], "2021-10-19T00:55:00Z")
        self.assertEqual(rows[2]["interval_detail"][0]["start"], "2025-03-05T21:15:00Z")

    def test_reingest_changes_nothing(self):
        self.ingest(CT)
        before = self.report_json()
        s = self.ingest(CT).json()
        self.assertEqual(s["files_ingested"], 0)
        # Files with no usable record were not marked ingested: they are read
        # again (and rejected again), everything else is skipped.
        self.assertEqual(s["files_already_ingested"] + s["files_rejected"], s["files"])
        self.assertEqual(s["accepted"], 0)
        self.assertEqual(self.report_json(), before)


@unittest.skipUnless(TESTDATA and os.path.isdir(CT), "RECOUP_TESTDATA not set")
class RealCloudTrailPerFile(RecoupTestCase):
    """Slow: one recoup run per file (about 155 runs)."""

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.files = all_files()

    def test_each_file_alone(self):
        """Per file: no crash, counts add up, and they sum to the folder's."""
        def chunk(k):
            # One store per worker; every file is new to it (distinct bytes).
            store = self.path("s", "%d.db" % k)
            return [(p, self.ingest(p, store=store, check=False)) for p in self.files[k::2]]

        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            results = [x for part in ex.map(chunk, range(2)) for x in part]
        totals = {"records": 0, "accepted": 0, "rejected": 0, "skipped": 0}
        bad_accounting = []
        for p, r in results:
            self.assert_no_crash(r)
            s = r.json()
            # A file that gives nothing usable (not ingested, or no record) exits 1.
            nothing = s["files_ingested"] == 0 or s["records"] == 0
            self.assertEqual(r.returncode, 1 if nothing else 0, r)
            self.assertEqual((s["files"], s["files_ingested"] + s["files_rejected"]), (1, 1), r)
            for k in totals:
                totals[k] += s[k]
            if s["records"] != s["accepted"] + s["rejected"] + s["skipped"]:
                bad_accounting.append("%s: %s" % (os.path.relpath(p, CT), {
                    k: s[k] for k in totals}))
            if os.path.relpath(p, CT) in INVALID:
                self.assertTrue(r.warnings(), "no warning for %s" % p)
                for w in r.warnings():
                    self.assertIn(p, w)
                    if "no record accepted" in w:
                        continue  # the file-level note that follows the per-line ones
                    self.assertRegex(w, r"(:\d+:|line \d+)", "warning names no line: " + w)
        whole = self.ingest(CT, store=self.path("whole.db")).json()
        for k in totals:
            self.assertEqual(whole[k], totals[k], k)
        self.assertEqual(bad_accounting, [], "records read != accepted + rejected + skipped")


if __name__ == "__main__":
    unittest.main()
