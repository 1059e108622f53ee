"""The command-line contract: exit codes, messages, store location, report formats."""

import csv
import io
import os
import re
import unittest
from fractions import Fraction

from recoup_it import (ACCOUNT_A, ACCOUNT_B, RecoupTestCase, ct_record, ms_of,
                       write_trail_file)

MONTH_RE = re.compile(r"^\d{4}-\d{2}$")
DECIMAL_RE = re.compile(r"^-?\d+(\.\d+)?$")
RATIONAL_RE = re.compile(r"^\d+(/\d+)?$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def one_line(stderr):
    lines = [l for l in stderr.splitlines() if l.strip()]
    return len(lines) == 1


class ExitCodes(RecoupTestCase):

    def test_unknown_flag_is_usage_error(self):
        for args in (["ingest", "x", "--bogus"], ["report", "--bogus"], ["--bogus", "report"]):
            r = self.run_recoup(*args)
            self.assertEqual(r.returncode, 2, r)
            self.assertTrue(one_line(r.stderr), r)
            self.assertIn("--bogus", r.stderr, r)
            self.assertEqual(r.stdout, "", r)

    def test_other_usage_errors(self):
        cases = [
            [],                                       # no subcommand
            ["ingest"],                               # no paths
            ["ingest", "x", "--format", "xml"],
            ["ingest", "x", "--output", "yaml"],
            ["report", "--output", "xml"],
        ]
        for args in cases:
            r = self.run_recoup(*args)
            self.assertEqual(r.returncode, 2, r)
            self.assertTrue(one_line(r.stderr), r)

    def test_bad_account_is_usage_error(self):
        os.makedirs(self.path("empty"))
        r = self.run_recoup("ingest", self.path("empty"), "--account", "12345")
        self.assertEqual(r.returncode, 2, r)
        self.assertTrue(one_line(r.stderr), r)
        self.assertIn("--account", r.stderr)

    def test_bad_month(self):
        self.ingest(self.mkdir("empty"))  # a store exists
        for month in ("2024-13", "2024-1", "junk", "2024-00", "24-05", ""):
            r = self.run_recoup("report", "--month", month)
            if month == "" and r.returncode == 0:
                continue  # an empty value may mean "no filter"
            self.assertIn(r.returncode, (1, 2), r)
            self.assertTrue(one_line(r.stderr), r)
            self.assertIn("--month", r.stderr, r)

    def test_missing_path_names_it(self):
        missing = self.path("no", "such", "folder")
        r = self.run_recoup("ingest", missing)
        self.assertEqual(r.returncode, 1, r)
        self.assertTrue(one_line(r.stderr), r)
        self.assertIn(missing, r.stderr)

    def test_missing_path_among_good_ones(self):
        good = write_trail_file(self.path("in", "a.json"),
                                [ct_record(ms_of(2024, 5, 1), "r1")], compress=False)
        missing = self.path("nope.json")
        r = self.run_recoup("ingest", good, missing)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(missing, r.stderr)

    def test_report_without_store(self):
        r = self.run_recoup("report")
        self.assertEqual(r.returncode, 1, r)
        self.assertTrue(one_line(r.stderr), r)
        self.assertIn(self.store, r.stderr)
        self.assertFalse(os.path.exists(self.store), "report must not create a store")

    def test_report_on_empty_store(self):
        s = self.ingest(self.mkdir("empty")).json()
        self.assertEqual(s["files"], 0)
        self.assertTrue(os.path.exists(self.store))
        r = self.run_recoup("report")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("no evidence", r.stdout)
        r = self.run_recoup("report", "--output", "json")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.json(), [])
        r = self.run_recoup("report", "--output", "csv")
        self.assertEqual(r.returncode, 0, r)
        rows = list(csv.reader(io.StringIO(r.stdout)))
        self.assertEqual(len(rows), 1, r.stdout)
        self.assertEqual(rows[0][:4], ["account", "region", "service", "month"])

    def test_store_not_a_database(self):
        p = self.path("junk.db")
        with open(p, "wb") as f:
            f.write(os.urandom(8192))
        for args in (["report"], ["ingest", self.mkdir("empty")]):
            r = self.run_recoup(*args, store=p)
            self.assertEqual(r.returncode, 1, r)
            self.assertTrue(one_line(r.stderr), r)
            self.assertIn(p, r.stderr)

    def test_unwritable_store_location(self):
        p = "/proc/recoup-it-no-such-dir/x.db"
        r = self.run_recoup("ingest", self.mkdir("empty"), store=p)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(p, r.stderr)

    def test_help_and_version(self):
        for args in (["--help"], ["ingest", "--help"], ["report", "--help"], ["--version"]):
            r = self.run_recoup(*args, use_store=False)
            self.assertEqual(r.returncode, 0, r)
            self.assertTrue(r.stdout.strip(), r)


class DefaultStorePath(RecoupTestCase):
    """--store, else $RECOUP_STORE, else $XDG_DATA_HOME/recoup/recoup.db, else ~/.local/share."""

    def setUp(self):
        super().setUp()
        self.input = write_trail_file(self.path("in", "a.json"),
                                      [ct_record(ms_of(2024, 5, 1), "r1")], compress=False)

    def ingest_env(self, env, *extra):
        r = self.run_recoup(*extra, "ingest", self.input, env=env, use_store=False)
        self.assertEqual(r.returncode, 0, r)
        return r

    def assert_report_sees_it(self, env, *extra):
        r = self.run_recoup(*extra, "report", "--output", "json", env=env, use_store=False)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(len(r.json()), 1, r)

    def test_home_fallback(self):
        env = self.clean_env()
        self.ingest_env(env)
        self.assertTrue(os.path.isfile(os.path.join(self.home, ".local/share/recoup/recoup.db")))
        self.assert_report_sees_it(env)

    def test_xdg_data_home(self):
        xdg = self.path("xdg")
        env = self.clean_env(XDG_DATA_HOME=xdg)
        self.ingest_env(env)
        self.assertTrue(os.path.isfile(os.path.join(xdg, "recoup", "recoup.db")))
        self.assertFalse(os.path.exists(os.path.join(self.home, ".local/share/recoup")))
        self.assert_report_sees_it(env)

    def test_recoup_store_wins_over_xdg(self):
        xdg = self.path("xdg")
        explicit = self.path("elsewhere", "mine.db")
        env = self.clean_env(XDG_DATA_HOME=xdg, RECOUP_STORE=explicit)
        self.ingest_env(env)
        self.assertTrue(os.path.isfile(explicit))
        self.assertFalse(os.path.exists(os.path.join(xdg, "recoup")))
        self.assertFalse(os.path.exists(os.path.join(self.home, ".local/share/recoup")))
        self.assert_report_sees_it(env)

    def test_store_flag_wins_over_env(self):
        explicit = self.path("env.db")
        flag = self.path("flag.db")
        env = self.clean_env(XDG_DATA_HOME=self.path("xdg"), RECOUP_STORE=explicit)
        self.ingest_env(env, "--store", flag)
        self.assertTrue(os.path.isfile(flag))
        self.assertFalse(os.path.exists(explicit))
        self.assert_report_sees_it(env, "--store", flag)

    def test_empty_variables_are_ignored(self):
        xdg = self.path("xdg")
        env = self.clean_env(XDG_DATA_HOME=xdg, RECOUP_STORE="")
        self.ingest_env(env)
        self.assertTrue(os.path.isfile(os.path.join(xdg, "recoup", "recoup.db")))
        env = self.clean_env(XDG_DATA_HOME="", RECOUP_STORE="")
        self.ingest_env(env)
        self.assertTrue(os.path.isfile(os.path.join(self.home, ".local/share/recoup/recoup.db")))


class IngestSummary(RecoupTestCase):

    def test_json_summary_fields(self):
        recs = [ct_record(ms_of(2024, 5, 1, 0, 0, i), "r%d" % i) for i in range(5)]
        recs.append(ct_record(ms_of(2024, 5, 1), "r-ec2", eventSource="ec2.amazonaws.com"))
        recs.append(ct_record(ms_of(2024, 5, 1), "r-bad", eventTime=None))
        write_trail_file(self.path("in", "a.json.gz"), recs)
        r = self.ingest(self.path("in"))
        s = r.json()
        for k in ("files", "records", "accepted", "rejected", "duplicates", "skipped",
                  "files_ingested", "files_already_ingested"):
            self.assertIn(k, s)
            self.assertIsInstance(s[k], int, k)
        self.assertEqual((s["files"], s["records"], s["accepted"], s["skipped"], s["rejected"]),
                         (1, 7, 5, 1, 1), s)
        self.assert_summary_adds_up(s)
        # The text summary carries the same numbers.
        r = self.run_recoup("ingest", self.path("in"))
        self.assertEqual(r.returncode, 0, r)
        self.assertRegex(r.stdout, r"files: 1 found, 0 ingested, 1 already ingested")


class ReportFormats(RecoupTestCase):
    """One breached series with known numbers, one clean series."""

    def setUp(self):
        super().setUp()
        # 2024-05 (31 days = 8928 intervals), us-east-1: one interval with
        # 4 requests, 1 of them a server error; plus excluded throttling and
        # client errors, which count neither way.
        t = ms_of(2024, 5, 10, 12, 0)
        recs = [
            ct_record(t + 1000, "ok-1"),
            ct_record(t + 2000, "ok-2"),
            ct_record(t + 3000, "ok-3"),
            ct_record(t + 4000, "fail-1", error="KMSInternalException"),
            ct_record(t + 5000, "thr-1", error="ThrottlingException"),
            ct_record(t + 6000, "den-1", error="AccessDeniedException"),
            ct_record(t + 7000, "ok-b", account=ACCOUNT_B, region="eu-west-1"),
        ]
        write_trail_file(self.path("in", "a.json.gz"), recs)
        self.ingest(self.path("in"))
        r = self.run_recoup("billing", "set", "--account", ACCOUNT_A, "--region", "us-east-1",
                            "--month", "2024-05", "--amount", "100")
        self.assertEqual(r.returncode, 0, r)

    def test_json_fields_and_types(self):
        rows = self.run_recoup("report", "--output", "json")
        self.assertEqual(rows.returncode, 0, rows)
        rows = rows.json()
        self.assertEqual([(x["account"], x["region"]) for x in rows],
                         [(ACCOUNT_A, "us-east-1"), (ACCOUNT_B, "eu-west-1")])
        types = {
            "account": str, "region": str, "service": str, "month": str, "sla_version": str,
            "commitment_pct": str, "mup_pct": str, "intervals": int,
            "intervals_with_requests": int, "failing_intervals": int, "requests": int,
            "failed_requests": int, "excluded_requests": dict, "error_rate_sum": str,
            "breached": bool, "credit_pct": str, "below_minimum": bool,
            "minimum_credit_usd": str, "claim_deadline": str, "customer_view": dict,
        }
        nullable = {"charges_usd": str, "charges_source": str, "credit_usd": str,
                    "credit_before_minimum_usd": str, "charges_usd_exact": str,
                    "credit_usd_exact": str, "credit_before_minimum_usd_exact": str}
        for row in rows:
            for k, t in types.items():
                self.assertIn(k, row)
                self.assertIs(type(row[k]), t, "%s: %r" % (k, row[k]))
            for k, t in nullable.items():
                self.assertIn(k, row)
                if row[k] is not None:
                    self.assertIs(type(row[k]), t, k)
            self.assertRegex(row["month"], MONTH_RE)
            for k in ("commitment_pct", "mup_pct", "credit_pct", "minimum_credit_usd"):
                self.assertRegex(row[k], DECIMAL_RE, k)
            self.assertRegex(row["error_rate_sum"], RATIONAL_RE)
            self.assertRegex(row["claim_deadline"], TS_RE)
            self.assertEqual(set(row["excluded_requests"]),
                             {"throttling", "client_error", "custom_key_store"})
            self.assertNotIn("interval_detail", row)
        a, b = rows
        self.assertEqual(a["service"], "kms")
        self.assertEqual(a["month"], "2024-05")
        self.assertEqual(a["intervals"], 31 * 288)
        self.assertEqual(a["requests"], 4)
        self.assertEqual(a["failed_requests"], 1)
        self.assertEqual(a["excluded_requests"],
                         {"throttling": 1, "client_error": 1, "custom_key_store": 0})
        self.assertEqual(a["error_rate_sum"], "1/4")
        # MUP = 100 - 100 * (1/4) / 8928, truncated to 12 decimals.
        mup = 100 - Fraction(100, 4) / 8928
        self.assertEqual(a["mup_pct"], truncate(mup, 12))
        self.assertTrue(a["breached"])
        self.assertEqual(a["credit_pct"], "10")
        self.assertEqual(a["charges_usd"], "100.00")
        self.assertEqual(a["credit_usd"], "10.00")
        self.assertEqual(a["claim_deadline"], "2024-07-31T23:59:59Z")
        self.assertFalse(b["breached"])
        self.assertEqual(b["requests"], 1)
        self.assertEqual(b["mup_pct"], "100.000000000000")
        self.assertIsNone(b["charges_usd"])
        self.assertIsNone(b["credit_usd"])

    def test_filters(self):
        def accounts(*args):
            r = self.run_recoup("report", "--output", "json", *args)
            self.assertEqual(r.returncode, 0, r)
            return sorted((x["account"], x["region"]) for x in r.json())
        self.assertEqual(accounts("--account", ACCOUNT_B), [(ACCOUNT_B, "eu-west-1")])
        self.assertEqual(accounts("--region", "us-east-1"), [(ACCOUNT_A, "us-east-1")])
        self.assertEqual(accounts("--service", "kms", "--month", "2024-05"),
                         [(ACCOUNT_A, "us-east-1"), (ACCOUNT_B, "eu-west-1")])
        self.assertEqual(accounts("--month", "2024-06"), [])
        # A service the SLA catalog does not know is named, not "no evidence".
        r = self.run_recoup("report", "--output", "json", "--service", "ec2")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("unknown service 'ec2'", r.stderr)

    def test_csv_matches_json(self):
        js = self.run_recoup("report", "--output", "json").json()
        r = self.run_recoup("report", "--output", "csv")
        self.assertEqual(r.returncode, 0, r)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        header = r.stdout.splitlines()[0].split(",")
        for col in ("account", "region", "service", "month", "sla_version", "commitment_pct",
                    "mup_pct", "intervals", "requests", "failed_requests", "breached",
                    "credit_pct", "charges_usd", "credit_usd", "claim_deadline"):
            self.assertIn(col, header)
        self.assertEqual(len(header), len(set(header)), "duplicate CSV columns")
        self.assertEqual(len(rows), len(js))
        for c, j in zip(rows, js):
            self.assertNotIn(None, c.values(), "row has more fields than the header")
            for k in ("account", "region", "service", "month", "sla_version", "mup_pct",
                      "commitment_pct", "credit_pct", "claim_deadline"):
                self.assertEqual(c[k], j[k], k)
            for k in ("intervals", "requests", "failed_requests"):
                self.assertEqual(int(c[k]), j[k], k)
            self.assertEqual(c["breached"], "true" if j["breached"] else "false")
            for k in ("charges_usd", "charges_usd_exact", "credit_usd", "credit_usd_exact"):
                self.assertEqual(c[k], j[k] or "", k)

    def test_intervals_json(self):
        r = self.run_recoup("report", "--output", "json", "--intervals")
        self.assertEqual(r.returncode, 0, r)
        a = r.json()[0]
        detail = a["interval_detail"]
        self.assertIsInstance(detail, list)
        failing = [d for d in detail if d["failed_requests"] > 0]
        self.assertEqual(len(failing), 1)
        d = failing[0]
        self.assertEqual(d["start"], "2024-05-10T12:00:00Z")
        self.assertEqual((d["requests"], d["failed_requests"]), (4, 1))
        self.assertEqual(d["error_rate"], "1/4")
        self.assertEqual(d["error_rate_pct"], "25.000000000000")
        for d in detail:
            self.assertRegex(d["start"], TS_RE)
            self.assertIsInstance(d["requests"], int)
            self.assertIsInstance(d["no_response_requests"], int)
            self.assertEqual(set(d["excluded_requests"]),
                             {"throttling", "client_error", "custom_key_store"})
        self.assertEqual(sum(d["requests"] for d in detail), a["requests"])
        self.assertEqual(sum(d["failed_requests"] for d in detail), a["failed_requests"])

    def test_intervals_table(self):
        r = self.run_recoup("report", "--intervals", "--account", ACCOUNT_A)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("2024-05-10T12:00:00Z", r.stdout)
        self.assertIn("1/4", r.stdout)
        self.assertIn("MUP = ", r.stdout)

    def test_intervals_csv_single_series(self):
        r = self.run_recoup("report", "--output", "csv", "--intervals", "--account", ACCOUNT_A)
        self.assertEqual(r.returncode, 0, r)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertTrue(rows)
        failing = [x for x in rows if x.get("failed_requests") not in (None, "0")]
        self.assertEqual(len(failing), 1, r.stdout)
        self.assertEqual(failing[0]["interval_start"], "2024-05-10T12:00:00Z")

    def test_intervals_csv_several_series_is_one_table(self):
        # With more than one series, the per-interval CSV must still be one
        # CSV table (one header) whose rows say which series they belong to.
        r = self.run_recoup("report", "--output", "csv", "--intervals")
        self.assertEqual(r.returncode, 0, r)
        lines = r.stdout.splitlines()
        header = lines[0]
        self.assertEqual(lines.count(header), 1,
                         "header repeated per series: output is not one CSV table:\n" + r.stdout)
        cols = header.split(",")
        self.assertIn("account", cols, "per-interval rows do not name their series")
        self.assertIn("region", cols, "per-interval rows do not name their series")


def truncate(q, places):
    scale = 10 ** places
    n = (q.numerator * scale) // q.denominator
    s = str(n)
    return s[:-places] + "." + s[-places:]


class CsmAndCloudTrailTogether(RecoupTestCase):

    def test_format_flag_mismatch_is_reported(self):
        p = self.path("app.csm.jsonl")
        with open(p, "w") as f:
            f.write('{"Version":1,"Type":"ApiCallAttempt","Service":"KMS","Api":"Decrypt",'
                    '"Timestamp":1714557600000,"Region":"us-east-1","HttpStatusCode":200,'
                    '"XAmznRequestId":"x1"}\n')
        r = self.ingest(p, "--format", "cloudtrail", check=False)
        self.assertEqual(r.returncode, 1, r)  # nothing usable came out
        self.assertEqual(r.json()["accepted"], 0)
        self.assertTrue(any(p in w and "--format" in w for w in r.warnings()), r)


if __name__ == "__main__":
    unittest.main()
