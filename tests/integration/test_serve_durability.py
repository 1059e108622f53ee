"""`recoup serve` under kill -9: after restarts the counts are those of a run
that never stopped.

An application log (JSON lines) grows while `recoup serve` tails it; the
service is killed with SIGKILL several times at arbitrary points and
restarted. At the end, the store's verdict (requests, failures, excluded
requests, MUP, every interval) must equal the one of the same file ingested
once in one go into a fresh store: nothing lost, nothing counted twice.
"""

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
import unittest

import recoup_it
from recoup_it import RecoupTestCase, ACCOUNT_A, wait_for


def log_lines(rng, start_ms, n, first_id):
    """n application log lines: successes, server errors, throttles."""
    out = []
    for i in range(n):
        rid = "req-%08d" % (first_id + i)
        t = start_ms + (first_id + i) * 7  # several 5-minute intervals
        line = {"time": t, "account": ACCOUNT_A, "region": rng.choice(["us-east-1", "eu-west-1"]),
                "service": "kms", "operation": rng.choice(["Decrypt", "Encrypt"]),
                "request_id": rid, "http_status": 200}
        r = rng.random()
        if r < 0.03:
            line.update(http_status=500, error_code="KMSInternalException")
        elif r < 0.05:
            line.update(http_status=400, error_code="ThrottlingException")
        out.append(json.dumps(line))
    return out


class ServeKillTest(RecoupTestCase):

    def test_kill_9_and_restart_counts_like_a_run_that_never_stopped(self):
        rng = random.Random(5)
        self._serve_runs = []
        log = self.path("app.jsonl")
        open(log, "w").close()
        config = self.path("recoup.toml")
        with open(config, "w") as f:
            f.write("""
[serve]
commit_every = "20ms"
[sources.csm]
enabled = false
[sources.otlp]
enabled = false
[dashboard]
enabled = false
[[sources.jsonl]]
path = "%s"
poll = "10ms"
""" % log)
        month_start = int(time.mktime(time.strptime(time.strftime("%Y-%m-01", time.gmtime()),
                                                    "%Y-%m-%d"))) * 1000
        written = 0
        kills = mid_stream = 0
        for round_no in range(6):
            before = self.checkpoint_offset()
            p = self.start_serve(config)
            # Append while it runs; kill it mid-stream.
            chunk = log_lines(rng, month_start, 30000, written)
            pieces = [chunk[k:k + 5000] for k in range(0, len(chunk), 5000)]

            def append(ps):
                with open(log, "a") as f:
                    for piece in ps:
                        f.write("\n".join(piece) + "\n")
                        f.flush()

            append(pieces[:1])
            written += len(chunk)
            # Wait until this run has committed something new, then kill -9
            # right after appending more (a reader faster than this writer
            # would otherwise have read everything before the kill). What is
            # left of the round is appended while it is down.
            wait_for("progress", lambda: self.checkpoint_offset() > before)
            if round_no % 2 == 0:
                append(pieces[1:2])
                p.send_signal(signal.SIGKILL)
                p.wait(timeout=30)
                kills += 1
                if self.checkpoint_offset() < os.path.getsize(log):
                    mid_stream += 1
                append(pieces[2:])
            else:
                append(pieces[1:])
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=60)
                self.assertEqual(p.returncode, 0)
        self.assertGreater(kills, 2)
        self.assertGreater(mid_stream, 0)  # killed with lines still to read
        # A last run reads what is left and stops cleanly.
        p = self.start_serve(config)
        size = os.path.getsize(log)
        # The log may already be fully committed: wait until this run is up.
        wait_for("recoup serve to start", lambda: "running" in open(p.err_path).read())
        wait_for("the whole log", lambda: self.checkpoint_offset() == size)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
        self.assertEqual(p.returncode, 0)

        # The run that never stopped: the same file, ingested once.
        once = self.path("once.db")
        self.ingest("--format", "jsonl", log, store=once)
        live = json.loads(self.report_json(intervals=True))
        ref = json.loads(self.report_json(store=once, intervals=True))
        self.assertEqual(len(ref), 2)
        self.assertGreater(sum(r["failed_requests"] for r in ref), 100)
        for r in live + ref:
            for k in ("health_events", "health_note"):
                r.pop(k, None)
        self.assertEqual(live, ref)

    def checkpoint_offset(self):
        if not os.path.exists(self.store):
            return 0
        db = sqlite3.connect(self.store, timeout=30)
        try:
            row = db.execute("SELECT value FROM serve_checkpoints WHERE key LIKE 'jsonl:%'"
                             ).fetchone()
        except sqlite3.OperationalError:  # not created yet
            return 0
        finally:
            db.close()
        return int(row[0].split(":")[2]) if row else 0

    def start_serve(self, config):
        err_path = self.path("serve-%d.err" % len(self._serve_runs))
        self._serve_runs.append(err_path)
        with open(err_path, "w") as err:
            p = subprocess.Popen([recoup_it.BINARY, "--store", self.store, "serve", "--config",
                                  config], env=self.env, stdout=subprocess.DEVNULL, stderr=err)
        p.err_path = err_path
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        return p


if __name__ == "__main__":
    unittest.main()
