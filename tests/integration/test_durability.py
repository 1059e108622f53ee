"""Durability: SIGKILL an ingest anywhere, re-run it, get exactly the clean result.

The corpus is `recoup demo`'s month of evidence (about 4,500 gzipped
CloudTrail objects plus an SDK CSM file). The reference is a clean run into a
fresh store; every killed-and-resumed store must end with a byte-identical
`report --output json --all-intervals`.
"""

import json
import os
import random
import shutil
import sys
import tempfile
import time
import unittest

from recoup_it import BINARY, RecoupTestCase, require_binary, run, start

DEMO_ACCOUNT = "111122223333"  # the CSM file's account (see `recoup demo` output)


class _Corpus:
    """Generated once per test process."""
    dir = None
    cloudtrail = None
    csm = None
    files = 0
    reference = None
    clean_seconds = 0.0

    @classmethod
    def ensure(cls):
        if cls.dir is not None:
            return
        cls.dir = tempfile.mkdtemp(prefix="recoup-it-corpus-")
        env = {k: v for k, v in os.environ.items() if k not in ("RECOUP_STORE", "XDG_DATA_HOME")}
        env["HOME"] = cls.dir
        env["TMPDIR"] = cls.dir
        out = os.path.join(cls.dir, "demo")
        r = run([BINARY, "--store", os.path.join(cls.dir, "demo.db"), "demo", "--out", out],
                env=env, timeout=600)
        if r.returncode != 0:
            raise AssertionError("recoup demo failed: %r" % r)
        cls.cloudtrail = os.path.join(out, "evidence", "cloudtrail")
        cls.csm = os.path.join(out, "evidence", "csm", "payments-app.csm.jsonl")
        assert os.path.isdir(cls.cloudtrail) and os.path.isfile(cls.csm), os.listdir(out)
        cls.files = sum(len(fn) for _, _, fn in os.walk(cls.cloudtrail))
        assert cls.files > 1000, cls.files
        # The reference: one clean run into a fresh store.
        store = os.path.join(cls.dir, "clean.db")
        t0 = time.monotonic()
        r = run([BINARY, "--store", store, "ingest", cls.cloudtrail, "--output", "json"], env=env)
        cls.clean_seconds = time.monotonic() - t0
        assert r.returncode == 0, r
        cls.clean_summary = r.json()
        r = run([BINARY, "--store", store, "ingest", cls.csm, "--format", "csm", "--account",
                 DEMO_ACCOUNT, "--output", "json"], env=env)
        assert r.returncode == 0, r
        r = run([BINARY, "--store", store, "report", "--output", "json", "--all-intervals"], env=env)
        assert r.returncode == 0, r
        cls.reference = r.stdout
        cls.reference_rows = {(x["account"], x["region"], x["service"], x["month"]): x
                              for x in json.loads(r.stdout)}

    @classmethod
    def cleanup(cls):
        if cls.dir is not None:
            shutil.rmtree(cls.dir, True)
            cls.dir = None


def tearDownModule():
    _Corpus.cleanup()


class DurabilityBase(RecoupTestCase):

    @classmethod
    def setUpClass(cls):
        require_binary()
        _Corpus.ensure()
        cls.c = _Corpus

    def ingest_argv(self, store):
        return [BINARY, "--store", store, "ingest", self.c.cloudtrail, "--output", "json"]

    def killed_run(self, store, delay):
        """Starts the ingest, SIGKILLs it after `delay` s; True if it was killed."""
        n = len(os.listdir(self.tmp))
        p = start(self.ingest_argv(store), self.env, self.path("k%d.out" % n),
                  self.path("k%d.err" % n))
        time.sleep(delay)
        killed = p.poll() is None
        if killed:
            p.kill()
        rc = p.wait()
        if killed and rc != -9:
            killed = False  # it finished just before the signal
        if not killed:
            with open(self.path("k%d.err" % n)) as f:
                self.assertEqual(rc, 0, f.read())
        self.check_partial(store)
        return killed

    def check_partial(self, store):
        """A store after a kill is readable and never holds more than the truth."""
        if not os.path.exists(store):
            return
        r = self.run_recoup("report", "--output", "json", store=store)
        self.assertEqual(r.returncode, 0, r)
        for x in r.json():
            ref = self.c.reference_rows.get((x["account"], x["region"], x["service"], x["month"]))
            self.assertIsNotNone(ref, x)
            self.assertLessEqual(x["requests"], ref["requests"], "double counting after a kill")
            self.assertLessEqual(x["failed_requests"], ref["failed_requests"])

    def finish(self, store):
        r = run(self.ingest_argv(store), env=self.env)
        self.assertEqual(r.returncode, 0, r)
        s = r.json()
        self.assertEqual(s["files"], self.c.files)
        self.assertEqual(s["files_ingested"] + s["files_already_ingested"], self.c.files, s)
        r = self.ingest(self.c.csm, "--format", "csm", "--account", DEMO_ACCOUNT, store=store)
        got = self.report_json(store=store)
        self.assertEqual(got, self.c.reference,
                         "report after kill -9 and resume differs from a clean run")
        # And once more: nothing changes.
        r = run(self.ingest_argv(store), env=self.env)
        self.assertEqual(r.json()["files_ingested"], 0)
        self.assertEqual(self.report_json(store=store), self.c.reference)
        return s


class DurabilityTest(DurabilityBase):

    def test_clean_run_sanity(self):
        s = self.c.clean_summary
        self.assertEqual(s["files_ingested"], self.c.files)
        self.assertGreater(s["accepted"], 100000)
        rows = json.loads(self.c.reference)
        self.assertTrue(any(x["breached"] for x in rows))

    def test_kill_at_several_points_then_resume(self):
        store = self.path("s.db")
        d = max(self.c.clean_seconds, 0.5)
        # The first kill lands while the store is being created and migrated.
        delays = [0.02] + ([0.2, 0.5, 1.0] if d > 1.5 else [0.15 * d, 0.4 * d, 0.7 * d])
        killed = [self.killed_run(store, t) for t in delays]
        self.assertTrue(any(killed), "no run was still going when killed")
        self.finish(store)


class DurabilitySoakTest(DurabilityBase):
    """Slow: repeated random kills."""

    ROUNDS = int(os.environ.get("RECOUP_SOAK_ROUNDS", "5"))

    def test_random_kills(self):
        seed = int(os.environ.get("RECOUP_SOAK_SEED", str(int(time.time()))))
        rnd = random.Random(seed)
        sys.stderr.write("\n[durability soak seed %d; rerun with RECOUP_SOAK_SEED=%d]\n"
                         % (seed, seed))
        d = max(self.c.clean_seconds, 0.5)
        for i in range(self.ROUNDS):
            with self.subTest(round=i, seed=seed):
                store = self.path("soak-%d.db" % i)
                for _ in range(rnd.randint(1, 4)):
                    self.killed_run(store, rnd.uniform(0.01, 1.1 * d))
                self.finish(store)

    def test_kill_during_resume_runs_only(self):
        # A complete first run, then killed re-runs: they must change nothing.
        store = self.path("s.db")
        r = run(self.ingest_argv(store), env=self.env)
        self.assertEqual(r.returncode, 0, r)
        for t in (0.05, 0.2, 0.4):
            self.killed_run(store, t)
        self.finish(store)

    def test_kill_once_mid_run(self):
        store = self.path("s.db")
        self.killed_run(store, max(0.3, 0.5 * self.c.clean_seconds))
        s = self.finish(store)
        self.assertGreater(s["files_ingested"], 0)


    def test_kill_right_at_start(self):
        # Kill while the store is being created and migrated.
        store = self.path("s.db")
        for t in (0.005, 0.02, 0.05):
            self.killed_run(store, t)
        self.finish(store)


if __name__ == "__main__":
    unittest.main()
