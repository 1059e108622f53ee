"""Concurrency: several recoup processes on one store at once."""

import json
import os
import shutil
import tempfile
import time
import unittest

from recoup_it import (ACCOUNT_A, ACCOUNT_B, BINARY, RecoupTestCase, make_corpus, require_binary,
                       run, start)


class Concurrency(RecoupTestCase):

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.corpus = tempfile.mkdtemp(prefix="recoup-it-conc-")
        cls.a = os.path.join(cls.corpus, "a")
        cls.b = os.path.join(cls.corpus, "b")
        make_corpus(cls.a, ACCOUNT_A, files=150, records_per_file=40, seed=10)
        make_corpus(cls.b, ACCOUNT_B, files=150, records_per_file=40, seed=20,
                    regions=("us-east-1", "ap-southeast-2"))
        # Reference: sequential ingestion into a fresh store.
        cls.ref_dir = tempfile.mkdtemp(prefix="recoup-it-conc-ref-")
        env = dict(os.environ, HOME=cls.ref_dir)
        env.pop("RECOUP_STORE", None)
        store = os.path.join(cls.ref_dir, "ref.db")
        for d in (cls.a, cls.b):
            r = run([BINARY, "--store", store, "ingest", d], env=env)
            assert r.returncode == 0, r
        r = run([BINARY, "--store", store, "report", "--output", "json", "--all-intervals"], env=env)
        assert r.returncode == 0, r
        cls.reference = r.stdout

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.corpus, True)
        shutil.rmtree(cls.ref_dir, True)

    def together(self, store, *arg_lists):
        procs = []
        for i, args in enumerate(arg_lists):
            out, err = self.path("p%d.out" % i), self.path("p%d.err" % i)
            procs.append((start([BINARY, "--store", store] + list(args), self.env, out, err),
                          out, err))
        results = []
        for p, out, err in procs:
            rc = p.wait(timeout=300)
            with open(out) as o, open(err) as e:
                results.append((rc, o.read(), e.read()))
        return results

    def test_two_folders_into_a_fresh_store(self):
        # Repeated: the race is at store creation.
        for attempt in range(4):
            with self.subTest(attempt=attempt):
                store = self.path("fresh-%d.db" % attempt)
                res = self.together(store, ["ingest", self.a], ["ingest", self.b])
                for rc, out, err in res:
                    self.assertEqual(rc, 0, "concurrent ingest into a new store failed: " + err)
                self.assertEqual(self.report_json(store=store), self.reference)

    def test_two_folders_into_an_existing_store(self):
        self.ingest(self.mkdir("empty"))  # creates the store
        res = self.together(self.store, ["ingest", self.a], ["ingest", self.b])
        for rc, out, err in res:
            self.assertEqual(rc, 0, err)
        self.assertEqual(self.report_json(), self.reference)

    def test_same_folders_twice_at_once(self):
        self.ingest(self.mkdir("empty"))
        res = self.together(self.store,
                            ["ingest", self.a, self.b, "--output", "json"],
                            ["ingest", self.b, self.a, "--output", "json"])
        ingested = 0
        for rc, out, err in res:
            self.assertEqual(rc, 0, err)
            s = json.loads(out)
            self.assertEqual(s["files"], 300)
            ingested += s["files_ingested"]
        self.assertEqual(ingested, 300, "each file must be ingested by exactly one process")
        self.assertEqual(self.report_json(), self.reference)

    def test_report_while_ingesting(self):
        self.ingest(self.a)
        p = start([BINARY, "--store", self.store, "ingest", self.b], self.env,
                  self.path("i.out"), self.path("i.err"))
        reports = 0
        try:
            while p.poll() is None or reports == 0:
                r = self.run_recoup("report", "--output", "json")
                self.assertEqual(r.returncode, 0, r)
                reports += 1
                if p.poll() is not None:
                    break
                time.sleep(0.05)
        finally:
            rc = p.wait(timeout=300)
        self.assertEqual(rc, 0)
        self.assertEqual(self.report_json(), self.reference)


if __name__ == "__main__":
    unittest.main()
