"""Bad input: clear messages naming file/line/field, no crash, good records kept."""

import gzip
import json
import os
import random
import unittest
import zlib

from recoup_it import ACCOUNT_A, RecoupTestCase, csm_attempt, ct_record, ms_of, write_trail_file

MB = 1 << 20
# A run over a 100 MiB line must not hold the line: recoup caps a record at
# 16 MiB, so its memory should stay far below the input size.
RSS_LIMIT_KB = 80 * 1024
# Sanitizer builds (the asan ctest preset sets ASAN_OPTIONS) carry shadow memory
# and quarantine: memory bounds are checked on the optimised build only.
CHECK_RSS = not os.environ.get("ASAN_OPTIONS")


def jsonl(path, objs):
    with open(path, "w") as f:
        for o in objs:
            f.write((o if isinstance(o, str) else json.dumps(o)) + "\n")
    return path


class Truncation(RecoupTestCase):

    def check_truncated(self, data, record_ends, name):
        gz = gzip.compress(data, compresslevel=6, mtime=0)
        cut = gz[: int(len(gz) * 0.6)]
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(cut)
        # What any gzip reader can recover from the damaged file.
        prefix = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut)
        self.assertEqual(prefix, data[: len(prefix)])
        complete = sum(1 for e in record_ends if e <= len(prefix))
        self.assertGreater(complete, 0)
        r = self.ingest(p)
        self.assert_no_crash(r)
        s = r.json()
        self.assertEqual(s["accepted"], complete, "records before the damage must be kept")
        self.assertEqual(s["files_ingested"], 1)
        msgs = [w for w in r.warnings() if p in w]
        self.assertTrue(msgs, r)
        self.assertTrue(any("gzip" in w or "truncated" in w for w in msgs), r)
        rows = json.loads(self.report_json(intervals=False))
        self.assertEqual(sum(x["requests"] for x in rows), complete)

    def test_truncated_gzip_json_lines(self):
        data, ends = b"", []
        for i in range(400):
            data += json.dumps(ct_record(ms_of(2024, 5, 1, 10, i // 60, i % 60), "t%d" % i)).encode()
            ends.append(len(data))
            data += b"\n"
        self.check_truncated(data, ends, "lines.jsonl.gz")

    def test_truncated_gzip_cloudtrail_file(self):
        # A CloudTrail log object: {"Records":[...]} on one line, large enough
        # that the damage is several read buffers in.
        recs = [json.dumps(ct_record(ms_of(2024, 5, 1, 10, (i // 60) % 60, i % 60), "c%d" % i,
                                     error="KMSInternalException" if i % 7 == 0 else None),
                           separators=(",", ":")).encode() for i in range(3000)]
        data, ends = b'{"Records":[', []
        for i, r in enumerate(recs):
            data += (b"," if i else b"") + r
            ends.append(len(data))
        data += b"]}"
        self.check_truncated(data, ends, "trail.json.gz")

    def test_corrupt_gzip(self):
        good = gzip.compress(b"\n".join(
            json.dumps(ct_record(ms_of(2024, 5, 1, 10, 0, i), "z%d" % i)).encode()
            for i in range(50)) + b"\n", mtime=0)
        bad = bytearray(good)
        for i in range(len(bad) // 2, len(bad) // 2 + 40):
            bad[i] ^= 0x5A
        p = self.path("corrupt.json.gz")
        with open(p, "wb") as f:
            f.write(bad)
        r = self.ingest(p, check=False)
        self.assert_no_crash(r)
        self.assertTrue(any(p in w for w in r.warnings()), r)
        s = r.json()
        self.assertLessEqual(s["accepted"], 50)
        # exit 1 exactly when nothing usable came out of the damaged file
        self.assertEqual(r.returncode, 0 if s["accepted"] > 0 else 1, r)


class RecordErrors(RecoupTestCase):

    def test_missing_event_time_names_field_and_line(self):
        p = jsonl(self.path("a.jsonl"), [
            ct_record(ms_of(2024, 5, 1, 10), "g1"),
            ct_record(ms_of(2024, 5, 1, 10), "b1", eventTime=None),
            ct_record(ms_of(2024, 5, 1, 10), "g2"),
        ])
        r = self.ingest(p)
        s = r.json()
        self.assertEqual((s["records"], s["accepted"], s["rejected"]), (3, 2, 1), s)
        w = r.warnings()
        self.assertEqual(len(w), 1, r)
        self.assertIn(p, w[0])
        self.assertIn("line 2", w[0])
        self.assertIn("eventTime", w[0])

    def test_missing_event_time_in_a_cloudtrail_file(self):
        # A valid CloudTrail log object (pretty-printed, as AWS docs show it):
        # the message names the file, the field and the line the record starts.
        t = ms_of(2024, 5, 1, 10)
        recs = [ct_record(t, "g1"), ct_record(t, "b1", eventTime=None), ct_record(t, "g2")]
        text = json.dumps({"Records": recs}, indent=2)
        p = self.path("trail.json")
        with open(p, "w") as f:
            f.write(text)
        start = [i + 1 for i, l in enumerate(text.splitlines()) if l == "    {"][1]
        r = self.ingest(p)
        s = r.json()
        self.assertEqual((s["records"], s["accepted"], s["rejected"]), (3, 2, 1), s)
        w = r.warnings()
        self.assertEqual(len(w), 1, r)
        self.assertIn(p, w[0])
        self.assertIn("eventTime", w[0])
        self.assertIn("line %d" % start, w[0])

    def test_good_records_around_bad_ones(self):
        t = ms_of(2024, 5, 1, 10)
        recs = [
            ct_record(t, "g1"),
            ct_record(t, "b1", eventTime=None),
            ct_record(t, "g2", error="KMSInternalException"),
            ct_record(t, "b2", eventTime="yesterday"),
            ct_record(t, "g3"),
            ct_record(t, "b3", awsRegion=None),
            ct_record(t, "g4"),
            ct_record(t, "b4", recipientAccountId=None, userIdentity={"type": "AWSService"}),
            ct_record(t, "g5"),
        ]
        parts = [json.dumps(x, indent=2) for x in recs]
        # One record that is not JSON at all, in the middle.
        parts.insert(5, '{\n  "requestID": "b5",\n  "x": \n}')
        text = '{"Records": [\n' + ",\n".join(parts) + "\n]}\n"
        p = self.path("mixed.json")
        with open(p, "w") as f:
            f.write(text)
        r = self.ingest(p)
        self.assert_no_crash(r)
        s = r.json()
        self.assertEqual(s["accepted"], 5, s)
        self.assertEqual(s["rejected"], 5, s)
        self.assert_summary_adds_up(s)
        w = r.warnings()
        self.assertEqual(len(w), 5, r)
        for field in ("eventTime", "awsRegion", "recipientAccountId"):
            self.assertTrue(any(field in x for x in w), field)
        for x in w:
            self.assertIn(p, x)
            self.assertRegex(x, r"line \d+")
        # The line of each message is where that record starts.
        lines = text.splitlines()
        for x in w:
            n = int(x.split("line ")[1].split()[0].rstrip(":"))
            self.assertEqual(lines[n - 1].strip()[:1], "{", x)
        rows = json.loads(self.report_json(intervals=False))
        self.assertEqual((rows[0]["requests"], rows[0]["failed_requests"]), (5, 1))

    def test_binary_garbage(self):
        rnd = random.Random(7)
        p = self.path("garbage.bin")
        with open(p, "wb") as f:
            f.write(bytes(rnd.getrandbits(8) for _ in range(512 * 1024)))
        r = self.ingest(p, check=False)
        self.assert_no_crash(r)
        self.assertEqual(r.returncode, 1, r)  # nothing usable came out
        s = r.json()
        self.assertEqual(s["accepted"], 0)
        self.assertTrue(r.warnings())
        self.assertTrue(all(p in w for w in r.warnings() if "more" not in w), r)

    def test_good_records_around_garbage(self):
        rnd = random.Random(11)
        good = [json.dumps(ct_record(ms_of(2024, 5, 1, 10, 0, i), "g%d" % i)).encode()
                for i in range(4)]
        junk = bytes(b for b in (rnd.getrandbits(8) for _ in range(64 * 1024)) if b != 10)
        p = self.path("mix.jsonl")
        with open(p, "wb") as f:
            f.write(good[0] + b"\n" + junk + b"\n" + good[1] + b"\n" + b"\0" * 1000 + b"\n" +
                    good[2] + b"\n{\"unterminated\": \"x\n" + good[3] + b"\n")
        r = self.ingest(p)
        self.assert_no_crash(r)
        self.assertEqual(r.json()["accepted"], 4)

    def test_gzip_magic_then_garbage(self):
        p = self.path("fake.json.gz")
        with open(p, "wb") as f:
            f.write(b"\x1f\x8b" + bytes(random.Random(3).getrandbits(8) for _ in range(4096)))
        r = self.ingest(p, check=False)
        self.assert_no_crash(r)
        self.assertEqual(r.returncode, 1, r)  # nothing usable came out
        self.assertEqual(r.json()["accepted"], 0)
        self.assertTrue(any(p in w for w in r.warnings()), r)

    def test_deeply_nested(self):
        p = self.path("deep.json")
        with open(p, "w") as f:
            f.write('{"a":' * 200000 + "1" + "}" * 200000 + "\n")
        r = self.ingest(p, check=False)
        self.assert_no_crash(r)
        self.assertEqual(r.returncode, 1, r)  # nothing usable came out
        self.assertEqual(r.json()["accepted"], 0)
        self.assertTrue(any(p in w for w in r.warnings()), r)

    def test_unclosed_brackets(self):
        for name, body in (("braces.json", "{" * 100000), ("brackets.json", "[" * 100000)):
            p = self.path(name)
            with open(p, "w") as f:
                f.write(body)
            r = self.ingest(p, store=self.path(name + ".db"), check=False)
            self.assert_no_crash(r)
            self.assertEqual(r.returncode, 1, r)  # nothing usable came out
            self.assertEqual(r.json()["accepted"], 0)
            self.assertTrue(any(p in w for w in r.warnings()), r)

    def test_empty_file(self):
        for name in ("empty.json", "empty.json.gz"):
            p = self.path(name)
            open(p, "wb").close()
            r = self.ingest(p, store=self.path(name + ".db"), check=False)
            self.assert_no_crash(r)
            self.assertEqual(r.returncode, 1, r)  # nothing usable came out
            s = r.json()
            self.assertEqual((s["files"], s["records"], s["accepted"]), (1, 0, 0), s)

    def test_empty_gzip_member(self):
        p = self.path("empty-member.json.gz")
        with open(p, "wb") as f:
            f.write(gzip.compress(b"", mtime=0))
        r = self.ingest(p, check=False)
        self.assert_no_crash(r)
        self.assertEqual(r.returncode, 1, r)  # nothing usable came out
        self.assertEqual(r.json()["records"], 0)

    def test_concatenated_gzip_members(self):
        a = [ct_record(ms_of(2024, 5, 1, 10, 0, i), "m%d" % i) for i in range(3)]
        b = [ct_record(ms_of(2024, 5, 1, 10, 1, i), "n%d" % i) for i in range(4)]
        p = self.path("two.jsonl.gz")
        with open(p, "wb") as f:
            f.write(gzip.compress("".join(json.dumps(x) + "\n" for x in a).encode(), mtime=0))
            f.write(gzip.compress("".join(json.dumps(x) + "\n" for x in b).encode(), mtime=0))
        self.assertEqual(self.ingest(p).json()["accepted"], 7)

    def test_csm_without_account(self):
        t = ms_of(2024, 5, 1, 10)
        p = jsonl(self.path("app.csm.jsonl"),
                  [csm_attempt(t + i, "q%d" % i, status=500 if i == 0 else 200,
                               error="KMSInternalException" if i == 0 else None)
                   for i in range(5)])
        r = self.run_recoup("ingest", p, "--format", "csm")
        self.assert_no_crash(r)
        self.assertIn("--account", r.stderr)
        self.assertIn(p, r.stderr)
        # Nothing was accepted; then the user does what the message says.
        r = self.ingest(p, "--format", "csm", "--account", ACCOUNT_A)
        s = r.json()
        self.assertEqual(s["accepted"], 5,
                         "after a run rejected for a missing --account, the retry with "
                         "--account must ingest the file: %s" % s)
        rows = json.loads(self.report_json(intervals=False))
        self.assertEqual([(x["account"], x["requests"], x["failed_requests"]) for x in rows],
                         [(ACCOUNT_A, 5, 1)])

    def test_not_evidence(self):
        p = jsonl(self.path("other.json"), [{"hello": "world"}, [1, 2, 3], "just a string"])
        r = self.ingest(p, check=False)
        self.assert_no_crash(r)
        self.assertEqual(r.returncode, 1, r)  # nothing usable came out
        self.assertEqual(r.json()["accepted"], 0)
        self.assertTrue(any(p in w for w in r.warnings()), r)


class HugeLines(RecoupTestCase):
    """100 MiB on one line: clear message, memory bounded well below the input."""

    def write_huge(self, name, head, filler, tail, size=100 * MB, before=b"", after=b""):
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(before)
            f.write(head)
            n = 0
            block = filler * max(1, (4 * MB) // len(filler))
            while n < size:
                f.write(block)
                n += len(block)
            f.write(tail)
            f.write(after)
        return p

    def good_line(self, i):
        return json.dumps(ct_record(ms_of(2024, 5, 1, 10, 0, i), "h%d" % i)).encode() + b"\n"

    def check_oversize(self, p, expect_accepted):
        r = self.ingest(p, "--threads", "1")
        self.assert_no_crash(r)
        s = r.json()
        self.assertEqual(s["accepted"], expect_accepted, s)
        w = [x for x in r.warnings() if p in x]
        self.assertTrue(w, r)
        self.assertTrue(any("larger" in x or "too large" in x or "MiB" in x for x in w), r)
        if CHECK_RSS:
          self.assertLess(r.maxrss_kb, RSS_LIMIT_KB,
                        "max RSS %.0f MiB for a %d MiB line" % (r.maxrss_kb / 1024,
                                                               os.path.getsize(p) >> 20))
        return r

    def test_one_record_of_many_small_values(self):
        rec = json.dumps(ct_record(ms_of(2024, 5, 1, 10), "big"))[:-1].encode()
        p = self.write_huge("objects.jsonl", rec + b',"junk":[', b'{"a":1},', b'{"a":1}]}\n',
                            before=self.good_line(1), after=self.good_line(2))
        self.check_oversize(p, 2)

    def test_one_record_with_a_huge_string(self):
        rec = json.dumps(ct_record(ms_of(2024, 5, 1, 10), "big"))[:-1].encode()
        p = self.write_huge("string.jsonl", rec + b',"junk":"', b"A" * 4096, b'"}\n',
                            before=self.good_line(1), after=self.good_line(2))
        self.check_oversize(p, 2)

    def test_huge_valid_cloudtrail_file_on_one_line(self):
        # Real CloudTrail log objects are one line; this one holds ~190k records.
        p = self.path("trail.json")
        n = 0
        with open(p, "wb") as f:
            f.write(b'{"Records":[')
            size = 0
            tpl = json.dumps(
                ct_record(ms_of(2024, 5, 1, 12), "@ID@", additionalEventData={"pad": "p" * 200}),
                separators=(",", ":"))
            while size < 100 * MB:
                parts = [tpl.replace("@ID@", "v%d" % (n + i)) for i in range(5000)]
                n += len(parts)
                block = (b"," if size else b"") + ",".join(parts).encode()
                f.write(block)
                size += len(block)
            f.write(b"]}")
        r = self.ingest(p, "--threads", "1")
        s = r.json()
        self.assertEqual((s["records"], s["accepted"], s["rejected"]), (n, n, 0), s)
        if CHECK_RSS:
            self.assertLess(r.maxrss_kb, RSS_LIMIT_KB, "max RSS %.0f MiB" % (r.maxrss_kb / 1024))
        rows = json.loads(self.report_json(intervals=False))
        self.assertEqual(sum(x["requests"] for x in rows), n)


if __name__ == "__main__":
    unittest.main()
