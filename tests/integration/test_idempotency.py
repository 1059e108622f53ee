"""Idempotency and de-duplication: nothing is counted twice."""

import gzip
import json
import os
import shutil
import unittest

from recoup_it import (ACCOUNT_A, ACCOUNT_B, RecoupTestCase, csm_attempt, ct_record, make_corpus,
                       ms_of, write_trail_file)


class SameFilesAgain(RecoupTestCase):

    def setUp(self):
        super().setUp()
        self.src = self.mkdir("src")
        make_corpus(self.src, ACCOUNT_A, files=40, records_per_file=30, seed=1)
        make_corpus(self.src, ACCOUNT_B, files=20, records_per_file=30, seed=2)

    def test_same_folder_twice(self):
        first = self.ingest(self.src).json()
        self.assertEqual(first["files_ingested"], 60)
        self.assertEqual(first["accepted"], 60 * 30)
        report1 = self.report_json()
        table1 = self.run_recoup("report", "--intervals").stdout
        second = self.ingest(self.src).json()
        self.assertEqual(second["files_ingested"], 0)
        self.assertEqual(second["files_already_ingested"], 60)
        for k in ("records", "accepted", "rejected", "skipped", "duplicates",
                  "failed_requests_new"):
            self.assertEqual(second[k], 0, k)
        self.assertEqual(self.report_json(), report1)
        self.assertEqual(self.run_recoup("report", "--intervals").stdout, table1)

    def test_folder_then_file_inside_it(self):
        self.ingest(self.src)
        report1 = self.report_json()
        one = sorted(os.path.join(dp, f) for dp, _, fn in os.walk(self.src) for f in fn)[7]
        s = self.ingest(one).json()
        self.assertEqual((s["files_ingested"], s["files_already_ingested"]), (0, 1))
        self.assertEqual(self.report_json(), report1)

    def test_new_file_added_later(self):
        self.ingest(self.src)
        extra = self.mkdir("src", "late")
        write_trail_file(os.path.join(extra, "late.json.gz"),
                         [ct_record(ms_of(2024, 5, 20, 8, 0, i), "late-%d" % i) for i in range(9)])
        s = self.ingest(self.src).json()
        self.assertEqual((s["files_ingested"], s["files_already_ingested"], s["accepted"]),
                         (1, 60, 9))
        self.ingest(self.src, store=self.path("fresh.db"))
        self.assertEqual(self.report_json(), self.report_json(store=self.path("fresh.db")))

    def test_copy_under_another_name(self):
        self.ingest(self.src, store=self.path("ref.db"))
        ref = self.report_json(store=self.path("ref.db"))
        files = sorted(os.path.join(dp, f) for dp, _, fn in os.walk(self.src) for f in fn)
        copies = self.mkdir("copies")
        for i, f in enumerate(files[:5]):
            shutil.copy(f, os.path.join(copies, "renamed-%d.json.gz" % i))
        # In one run, with the originals.
        s = self.ingest(self.src, copies).json()
        self.assertEqual((s["files"], s["files_ingested"], s["files_already_ingested"]),
                         (65, 60, 5))
        self.assertEqual(s["accepted"], 60 * 30)
        self.assertEqual(self.report_json(), ref)
        # In a later run.
        more = self.mkdir("more")
        for i, f in enumerate(files[5:10]):
            shutil.copy(f, os.path.join(more, "again-%d.gz" % i))
        s = self.ingest(more).json()
        self.assertEqual((s["files_ingested"], s["files_already_ingested"]), (0, 5))
        self.assertEqual(self.report_json(), ref)

    def test_order_does_not_matter(self):
        a = os.path.join(self.src, "AWSLogs", ACCOUNT_A)
        b = os.path.join(self.src, "AWSLogs", ACCOUNT_B)
        self.ingest(a)
        self.ingest(b)
        self.ingest(b, a, store=self.path("ba.db"))
        self.assertEqual(self.report_json(), self.report_json(store=self.path("ba.db")))


class SameRecordsOtherBytes(RecoupTestCase):
    """The same log records reach recoup twice in files that differ as bytes."""

    def records(self):
        t = ms_of(2024, 5, 3, 9, 0)
        return [ct_record(t + i * 1000, "s%d" % i,
                          error="KMSInternalException" if i % 25 == 0 else None)
                for i in range(200)]

    def reference(self):
        p = write_trail_file(self.path("ref", "a.json.gz"), self.records())
        self.ingest(p, store=self.path("ref.db"))
        return self.report_json(store=self.path("ref.db"))

    def test_plain_and_gzipped_copy(self):
        # e.g. `gunzip -k` next to the original CloudTrail object.
        ref = self.reference()
        gz = write_trail_file(self.path("in", "o.json.gz"), self.records())
        with gzip.open(gz, "rb") as f, open(self.path("in", "o.json"), "wb") as g:
            g.write(f.read())
        self.ingest(self.path("in"))
        self.assertEqual(self.report_json(), ref,
                         "the same 200 requests as .json and .json.gz were counted twice")

    def test_truncated_copy_then_complete_file(self):
        # A partial download is ingested (records before the damage are kept),
        # later the complete object arrives: the kept records must not count twice.
        ref = self.reference()
        data = gzip.compress("".join(json.dumps(r) + "\n" for r in self.records()).encode(),
                             mtime=0)
        part = self.path("dl", "o.jsonl.gz.part")
        os.makedirs(os.path.dirname(part))
        with open(part, "wb") as f:
            f.write(data[: len(data) * 2 // 3])
        s = self.ingest(part).json()
        self.assertGreater(s["accepted"], 0)
        full = self.path("dl2", "o.jsonl.gz")
        os.makedirs(os.path.dirname(full))
        with open(full, "wb") as f:
            f.write(data)
        self.ingest(full)
        got = json.loads(self.report_json(intervals=False))
        self.assertEqual(
            [(x["requests"], x["failed_requests"]) for x in got],
            [(x["requests"], x["failed_requests"]) for x in json.loads(ref)],
            "records of the truncated copy were counted again with the complete file")


class CrossSource(RecoupTestCase):
    """CloudTrail and SDK CSM see the same requests; each failure counts once."""

    def setUp(self):
        super().setUp()
        t0 = ms_of(2024, 5, 14, 9, 10)
        ct, csm = [], []
        # 30 calls in one 5-minute interval: 0-5 fail on the server (both
        # sources see them), 6 fails but only the SDK saw it (CloudTrail does
        # not log every server-side failure), 7 is throttled, the rest succeed.
        for i in range(30):
            t = t0 + i * 5000
            rid = "x-%02d" % i
            if i < 6:
                ct.append(ct_record(t, rid, error="KMSInternalException"))
                csm.append(csm_attempt(t + 3, rid, status=500, error="KMSInternalException"))
            elif i == 6:
                csm.append(csm_attempt(t + 3, rid, status=500, error="KMSInternalException"))
            elif i == 7:
                ct.append(ct_record(t, rid, error="ThrottlingException"))
                csm.append(csm_attempt(t + 3, rid, status=400, error="ThrottlingException"))
            else:
                ct.append(ct_record(t, rid))
                csm.append(csm_attempt(t + 3, rid))
        self.ct = write_trail_file(self.path("ct", "trail.json.gz"), ct)
        self.csm = self.path("csm", "app.csm.jsonl")
        os.makedirs(os.path.dirname(self.csm))
        with open(self.csm, "w") as f:
            for a in csm:
                f.write(json.dumps(a) + "\n")
        self.csm_args = ("--format", "csm", "--account", ACCOUNT_A)

    def check(self, store):
        rows = json.loads(self.report_json(store=store))
        self.assertEqual(len(rows), 1)
        r = rows[0]
        self.assertEqual(r["failed_requests"], 7)
        self.assertEqual(r["requests"], 29)  # 30 calls, 1 throttled and excluded
        self.assertEqual(r["excluded_requests"]["throttling"], 1)
        self.assertEqual(r["error_rate_sum"], "7/29")
        return self.report_json(store=store)

    def test_cloudtrail_then_csm(self):
        a = self.ingest(self.ct).json()
        self.assertEqual(a["failed_requests_new"], 6)
        b = self.ingest(self.csm, *self.csm_args).json()
        self.assertEqual((b["failed_requests_new"], b["cross_source_matches"]), (1, 6))
        self.check(self.store)

    def test_csm_then_cloudtrail(self):
        self.ingest(self.csm, *self.csm_args)
        b = self.ingest(self.ct).json()
        self.assertEqual((b["failed_requests_new"], b["cross_source_matches"]), (0, 6))
        self.check(self.store)

    def test_both_orders_and_one_run_agree(self):
        s1, s2 = self.path("1.db"), self.path("2.db")
        self.ingest(self.ct, store=s1)
        self.ingest(self.csm, *self.csm_args, store=s1)
        self.ingest(self.csm, *self.csm_args, store=s2)
        self.ingest(self.ct, store=s2)
        self.assertEqual(self.check(s1), self.check(s2))
        # Again: nothing changes.
        self.ingest(self.ct, store=s1)
        self.ingest(self.csm, *self.csm_args, store=s1)
        self.assertEqual(self.check(s1), self.check(s2))

    def test_same_failure_in_two_cloudtrail_files(self):
        t = ms_of(2024, 5, 14, 9, 10)
        write_trail_file(self.path("dup", "1.json.gz"),
                         [ct_record(t, "dup-1", error="KMSInternalException"),
                          ct_record(t + 1, "one-1")])
        write_trail_file(self.path("dup", "2.json.gz"),
                         [ct_record(t, "dup-1", error="KMSInternalException"),
                          ct_record(t + 2, "two-1")])
        s = self.ingest(self.path("dup"), "--threads", "1").json()
        self.assertEqual((s["failed_requests_new"], s["duplicates"]), (1, 1), s)
        r = json.loads(self.report_json(intervals=False))[0]
        self.assertEqual((r["requests"], r["failed_requests"]), (3, 1))


if __name__ == "__main__":
    unittest.main()
