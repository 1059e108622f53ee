"""Hostile input through the real binary: every stored field is validated at
the edge, and no value can reach a file name or break the claims of a store.

CSM datagrams go over UDP (127.0.0.1) to `recoup serve`; CloudTrail files go
to `recoup ingest`. Each test reproduces one attack and checks what the store,
the claims commands and the file system hold afterwards.
"""

import functools
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import unittest

from aws_peers import free_port
import recoup_it
from recoup_it import RecoupTestCase, ACCOUNT_A, ct_record, ms_of, write_trail_file

wait_for = functools.partial(recoup_it.wait_for, every=0.1, timeout=60)


def breach_records(month=(2024, 5), region="us-east-1", n_fail=40, n_ok=60, prefix="b"):
    """A month with a clear breach: failing and good requests in one interval."""
    y, m = month
    t = ms_of(y, m, 3, 10)
    recs = [ct_record(t + i * 1000, "%s-fail-%d" % (prefix, i), region=region,
                      error="KMSInternalException") for i in range(n_fail)]
    recs += [ct_record(t + i * 1000, "%s-ok-%d" % (prefix, i), region=region)
             for i in range(n_ok)]
    return recs


def files_under(root):
    out = set()
    for d, _, fs in os.walk(root):
        for f in fs:
            out.add(os.path.relpath(os.path.join(d, f), root))
    return out


class ServeHostileCsmTest(RecoupTestCase):
    """Findings 1, 2 and 6 (series): hostile CSM datagrams to `recoup serve`."""

    def start_serve(self, csm_port, extra="", tail="", web_port=None):
        config = os.path.join(self.tmp, "recoup.toml")
        dashboard = ("listen = \"127.0.0.1:%d\"" % web_port) if web_port else "enabled = false"
        with open(config, "w") as f:
            f.write("""
[serve]
account = "%s"
evaluate_every = "200ms"
commit_every = "50ms"
%s
[sources.csm]
listen = "127.0.0.1:%d"
[sources.otlp]
enabled = false
[dashboard]
%s
%s
""" % (ACCOUNT_A, extra, csm_port, dashboard, tail))
        self.log_path = os.path.join(self.tmp, "serve.log")
        log = open(self.log_path, "wb")
        self.addCleanup(log.close)
        p = subprocess.Popen([recoup_it.BINARY, "--store", self.store, "serve", "--config", config],
                             env=self.env, stdout=subprocess.PIPE, stderr=log, cwd=self.tmp)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        self.addCleanup(p.stdout.close)
        wait_for("recoup serve to start", lambda: b"running" in self.serve_log() or
                 p.poll() is not None)
        self.assertIsNone(p.poll(), self.serve_log())
        return p

    def serve_log(self):
        with open(self.log_path, "rb") as f:
            return f.read()

    def stop_serve(self, p):
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, self.serve_log())
        return json.loads(out)

    def send(self, port, datagrams):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            for d in datagrams:
                sock.sendto(d if isinstance(d, bytes) else json.dumps(d).encode(),
                            ("127.0.0.1", port))
        finally:
            sock.close()

    def db(self, sql, *args):
        db = sqlite3.connect(self.store)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def test_hostile_datagrams_never_reach_the_store_or_a_file_name(self):
        # A good month with a breach first (so there is a claim to build).
        write_trail_file(self.path("trail", "b.json.gz"), breach_records())
        self.ingest(self.path("trail"))
        port = free_port()
        serve = self.start_serve(port)
        now = int(time.time() * 1000)
        hostile = [
            recoup_it.csm_attempt(now, "trav-1", region="/../../../../elsewhere/x", status=500,
                                  error="KMSInternalException"),
            recoup_it.csm_attempt(2 ** 62, "ts-62", status=500, error="KMSInternalException"),
            recoup_it.csm_attempt(2 ** 63 - 1, "ts-63", status=500, error="KMSInternalException"),
            recoup_it.csm_attempt(-5, "ts-neg", status=500, error="KMSInternalException"),
            recoup_it.csm_attempt(now + 400 * 86400 * 1000, "future", status=500,
                                  error="KMSInternalException"),
            recoup_it.csm_attempt(now, "", status=500, error="KMSInternalException"),
            dict(recoup_it.csm_attempt(now, "num-rid", status=500, error="KMSInternalException"),
                 XAmznRequestId=12345),
            dict(recoup_it.csm_attempt(now, "str-ts"), Timestamp=str(now)),
        ]
        good = [recoup_it.csm_attempt(now + i, "good-%d" % i) for i in range(3)]
        self.send(port, hostile + good)
        wait_for("the good datagrams to be committed",
                 lambda: self.db("SELECT COALESCE(SUM(success), 0) FROM interval_counts "
                                 "WHERE source = 1")[0][0] >= 3)
        stats = self.stop_serve(serve)
        self.assertEqual(stats["csm"]["datagrams"], len(hostile) + len(good), stats)
        self.assertEqual(stats["csm"]["rejected"], len(hostile), stats)
        self.assertEqual(stats["sources"]["csm"]["events_in"], len(good), stats)
        # The first rejection is logged naming the field.
        self.assertIn(b"Region: '/../../../../elsewhere/x' is not an AWS Region", self.serve_log())

        # Nothing hostile was stored: only real Regions and months.
        regions = {r[0] for r in self.db("SELECT DISTINCT region FROM series")}
        self.assertEqual(regions, {"us-east-1"})
        for (rid,) in self.db("SELECT request_id FROM failures"):
            self.assertNotIn(rid, ("trav-1", "ts-62", "ts-63", "ts-neg", "future", "", "12345"))

        # claims list and build work for every claim, inside --out only.
        listed = self.run_recoup("claims", "list", "--output", "json")
        self.assertEqual(listed.returncode, 0, listed)
        self.assertNotIn("146140482", listed.stdout)
        out = self.mkdir("out")
        built = self.run_recoup("claims", "build", "--out", out)
        self.assertEqual(built.returncode, 0, built)
        self.assertTrue(files_under(out), built)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "elsewhere")))
        for rel in files_under(self.tmp):
            self.assertNotIn("elsewhere", rel)

    def test_a_flood_of_made_up_regions_is_bounded(self):
        port, web = free_port(), free_port()
        serve = self.start_serve(port, "max_series_per_source_month = 20", web_port=web)
        now = int(time.time() * 1000)
        # 3,000 datagrams: made-up names that are not Regions, and names that
        # follow the Region pattern but are invented (only the bound stops them).
        def word(i):
            w = ""
            while True:
                w += chr(ord("a") + i % 26)
                i //= 26
                if i == 0:
                    return w
        flood = []
        for i in range(3000):
            if i % 2 == 0:
                region = "made_up_%d" % i
            else:
                region = "zz-%s-1" % word(i)
            flood.append(recoup_it.csm_attempt(now + i, "flood-%d" % i, region=region,
                                               status=500, error="KMSInternalException"))
        self.send(port, flood)
        def refused_alert():
            rows = self.db("SELECT state, summary FROM serve_alerts WHERE kind = 'series_limit'")
            return rows if rows and "1480 events" in rows[0][1] else None
        alert = wait_for("the series-limit alert, with every refused event", refused_alert)
        self.assertEqual(len(alert), 1, alert)
        self.assertEqual(alert[0][0], "firing")
        self.assertIn("source csm reached the bound of 20 series", alert[0][1])
        # /metrics counts the refused events per source.
        import urllib.request
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % web, timeout=10) as resp:
            metrics = resp.read().decode()
        line = [x for x in metrics.splitlines()
                if x.startswith("recoup_source_series_refused_total{") and 'source="csm"' in x]
        self.assertEqual(len(line), 1, metrics)
        self.assertEqual(line[0].rsplit(" ", 1)[1], str(1500 - 20))
        stats = self.stop_serve(serve)
        self.assertEqual(stats["csm"]["datagrams"], 3000, stats)
        self.assertEqual(stats["csm"]["rejected"], 1500, stats)  # not Region names
        self.assertEqual(stats["sources"]["csm"]["series_refused"], 1500 - 20, stats)
        series = self.db("SELECT COUNT(*) FROM series")[0][0]
        self.assertEqual(series, 20)
        alerts = self.db("SELECT COUNT(*) FROM serve_alerts")[0][0]
        self.assertLessEqual(alerts, 20 + 2)

    def test_the_silent_alert_still_fires_after_a_far_future_event(self):
        port = free_port()
        serve = self.start_serve(port, tail='[alerts]\nsilent_after = "2s"')
        now = int(time.time() * 1000)
        self.send(port, [recoup_it.csm_attempt(now, "q-1"),
                         recoup_it.csm_attempt(2 ** 62, "far-1"),
                         recoup_it.csm_attempt(ms_of(9999, 12, 31, 23, 59, 59), "far-2")])

        def silent():
            rows = self.db("SELECT state FROM serve_alerts WHERE key = 'silent/csm' "
                           "AND state = 'firing'")
            return rows or None
        wait_for("the silent alert after the far-future datagrams", silent)
        stats = self.stop_serve(serve)
        self.assertEqual(stats["csm"]["rejected"], 2, stats)
        self.assertEqual(stats["sources"]["csm"]["events_in"], 1, stats)
        self.assertLess(stats["sources"]["csm"]["last_event_ms"], now + 60000, stats)


class IngestHostileCloudTrailTest(RecoupTestCase):
    """Findings 2 and 9 through `recoup ingest`: CloudTrail records with hostile
    times and wrong JSON types are rejected, counted and named."""

    def test_wrong_types_and_hostile_times_are_rejected_records(self):
        t = ms_of(2024, 5, 3, 10)
        good = breach_records()
        bad = [
            # Finding 9: a custom key store named by a number is not reinterpreted.
            ct_record(t, "cks-num", error="KMSInternalException",
                      additionalEventData={"customKeyStoreId": 7}),
            ct_record(t, "", error="KMSInternalException"),
            ct_record(t, "rid-num", error="KMSInternalException", requestID=12345),
            ct_record(t, "ec-num", errorCode=500),
            # Finding 2: a far-future time.
            ct_record(t, "far", eventTime="9999-12-31T23:59:59Z",
                      error="KMSInternalException"),
            ct_record(t, "old", eventTime="2014-11-18T21:39:19Z"),
            ct_record(t, "trav", region="/../../../../elsewhere/x",
                      error="KMSInternalException"),
            ct_record(t, "acct", account="1111", error="KMSInternalException"),
        ]
        write_trail_file(self.path("trail", "a.json"), good + bad, compress=False)
        r = self.ingest(self.path("trail"), check=False)
        self.assert_no_crash(r)
        s = json.loads(r.stdout)
        self.assert_summary_adds_up(s)
        self.assertEqual(s["accepted"], len(good), s)
        self.assertEqual(s["rejected"], len(bad), s)
        for named in ("additionalEventData.customKeyStoreId: a number where a string is expected",
                      "requestID: empty", "requestID: a number where a string is expected",
                      "errorCode: a number where a string is expected",
                      "eventTime: 9999-12-31T23:59:59Z is in the future",
                      "awsRegion: '/../../../../elsewhere/x' is not an AWS Region"):
            self.assertIn(named, r.stderr + r.stdout, named)
        listed = self.run_recoup("claims", "list", "--output", "json")
        self.assertEqual(listed.returncode, 0, listed)
        self.assertNotIn("9999-", listed.stdout)
        out = self.mkdir("out")
        built = self.run_recoup("claims", "build", "--out", out)
        self.assertEqual(built.returncode, 0, built)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "elsewhere")))


class IngestSeriesBoundTest(RecoupTestCase):
    """Finding 6 (series) through `recoup ingest`: Region-shaped invented names
    create at most --max-series-per-source-month series; the rest are rejected
    records naming the bound."""

    def test_invented_regions_are_bounded(self):
        t = ms_of(2024, 5, 3, 10)
        recs = [ct_record(t + i, "s-%d" % i, region="zz-%s-1" % chr(ord("a") + i % 26))
                for i in range(300)]
        write_trail_file(self.path("trail", "s.json"), recs, compress=False)
        r = self.ingest(self.path("trail"), "--max-series-per-source-month", "5", check=False)
        self.assert_no_crash(r)
        s = json.loads(r.stdout)
        self.assert_summary_adds_up(s)
        admitted = sum(1 for i in range(300) if i % 26 < 5)  # the first five Regions
        self.assertEqual((s["accepted"], s["rejected"]), (admitted, 300 - admitted), s)
        self.assertIn("series bound reached: more than 5", r.stderr)
        db = sqlite3.connect(self.store)
        try:
            self.assertEqual(db.execute("SELECT COUNT(*) FROM series").fetchone()[0], 5)
        finally:
            db.close()
        bad = self.run_recoup("ingest", self.path("trail"), "--max-series-per-source-month", "0")
        self.assertNotEqual(bad.returncode, 0, bad)


class PackagePathContainmentTest(RecoupTestCase):
    """Finding 1 where the files are written: a claim whose identifiers cannot
    be a file name (a store written before validation existed, or by hand) is
    refused by `claims build`; the other claims are still built, inside --out."""

    def test_a_claim_with_a_traversing_region_is_not_written(self):
        write_trail_file(self.path("trail", "b.json.gz"), breach_records())
        self.ingest(self.path("trail"))
        out = self.mkdir("out")
        first = self.run_recoup("claims", "build", "--out", out)
        self.assertEqual(first.returncode, 0, first)
        # Tamper with the store as an older version could have left it.
        db = sqlite3.connect(self.store)
        try:
            cols = [r[1] for r in db.execute("PRAGMA table_info(claims)")]
            row = db.execute("SELECT * FROM claims").fetchone()
            evil = dict(zip(cols, row))
            evil["region"] = "/../../../../elsewhere/x"
            evil["id"] = "%s-%s-kms-2024-05" % (ACCOUNT_A, evil["region"])
            db.execute("INSERT INTO claims (%s) VALUES (%s)" % (
                ",".join(cols), ",".join("?" * len(cols))), [evil[c] for c in cols])
            db.commit()
        finally:
            db.close()
        out2 = self.mkdir("deep", "a", "b", "c", "out2")
        r = self.run_recoup("claims", "build", "--out", out2)
        self.assert_no_crash(r)
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn("claim not built: region: '/../../../../elsewhere/x'", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "deep", "elsewhere")))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "elsewhere")))
        good_id = "%s-us-east-1-kms-2024-05" % ACCOUNT_A
        self.assertTrue(os.path.exists(os.path.join(out2, good_id, "manifest.json")), r)
        for rel in files_under(self.tmp):
            self.assertNotIn("elsewhere", rel)


if __name__ == "__main__":
    unittest.main()
