"""Shared helpers for the end-to-end tests of the recoup binary.

The binary comes from $RECOUP_BINARY and the public test data from
$RECOUP_TESTDATA (both set by CMake, see CMakeLists.txt here). Every test gets
its own temporary folder; HOME, XDG_DATA_HOME and RECOUP_STORE point into it so
that nothing outside the folder is ever read or written.
"""

import calendar
import gzip
import hashlib
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest

BINARY = os.environ.get("RECOUP_BINARY", "")
TESTDATA = os.environ.get("RECOUP_TESTDATA", "")

ACCOUNT_A = "111122223333"
ACCOUNT_B = "444455556666"


def require_binary():
    if not BINARY or not os.access(BINARY, os.X_OK):
        raise unittest.SkipTest("RECOUP_BINARY is not set to an executable recoup binary")


class Result:
    def __init__(self, args, returncode, stdout, stderr, maxrss_kb=None, seconds=0.0):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.maxrss_kb = maxrss_kb
        self.seconds = seconds

    def json(self):
        return json.loads(self.stdout)

    def warnings(self):
        return [l for l in self.stderr.splitlines() if l.startswith("recoup: warning: ")]

    def __repr__(self):
        return "recoup %s -> %d\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            " ".join(self.args), self.returncode, self.stdout[-3000:], self.stderr[-3000:])


class RecoupTestCase(unittest.TestCase):
    """A test case with a private temp folder, store and environment."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        require_binary()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="recoup-it-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.home = self.mkdir("home")
        self.store = os.path.join(self.tmp, "store", "recoup.db")
        self.env = self.clean_env()

    def clean_env(self, **extra):
        env = {k: v for k, v in os.environ.items()
               if k not in ("RECOUP_STORE", "XDG_DATA_HOME", "RECOUP_CATALOG")}
        env["HOME"] = self.home
        env["TMPDIR"] = self.tmp
        env.update(extra)
        return env

    def mkdir(self, *parts):
        p = os.path.join(self.tmp, *parts)
        os.makedirs(p, exist_ok=True)
        return p

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def run_recoup(self, *args, store=None, env=None, timeout=300, use_store=True):
        """Runs recoup; --store is passed unless use_store is False."""
        argv = [BINARY]
        if use_store:
            argv += ["--store", store or self.store]
        argv += list(args)
        return run(argv, env=env if env is not None else self.env, timeout=timeout)

    def ingest(self, *args, store=None, check=True, **kw):
        r = self.run_recoup("ingest", *args, "--output", "json", store=store, **kw)
        if check:
            self.assertEqual(r.returncode, 0, r)
        return r

    def report_json(self, *args, store=None, intervals=True):
        extra = ["--all-intervals"] if intervals else []  # every interval with traffic
        r = self.run_recoup("report", "--output", "json", *extra, *args, store=store)
        self.assertEqual(r.returncode, 0, r)
        return r.stdout

    def assert_no_crash(self, r):
        self.assertGreaterEqual(r.returncode, 0, "killed by signal %d: %r" % (-r.returncode, r))
        self.assertNotIn("terminate called", r.stderr, r)
        self.assertNotIn("Segmentation", r.stderr, r)
        self.assertNotIn("AddressSanitizer", r.stderr, r)

    def assert_summary_adds_up(self, s):
        self.assertEqual(s["records"], s["accepted"] + s["rejected"] + s["skipped"],
                         "records read != accepted + rejected + skipped: %s" % s)
        self.assertEqual(s["files"], s["files_ingested"] + s["files_already_ingested"] +
                         _opt(s, "files_failed") + _opt(s, "files_rejected"), s)


def _opt(d, k):
    return d.get(k, 0)


def wait_for(what, fn, timeout=120, every=0.05):
    """Polls fn() until it returns a true value, which it returns; fails
    after `timeout` seconds naming `what`."""
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(every)


def run(argv, env=None, timeout=300, stdin=subprocess.DEVNULL):
    """Runs a process and collects its own rusage (max RSS) via wait4."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=stdin, env=env)
        deadline = t0 + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.monotonic() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                raise AssertionError("timed out after %ss: %s" % (timeout, argv))
            time.sleep(0.005)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Result(argv[1:], p.returncode, out.read().decode("utf-8", "replace"),
                      err.read().decode("utf-8", "replace"), ru.ru_maxrss,
                      time.monotonic() - t0)


def start(argv, env, out_path, err_path):
    """Starts a process in the background; stdout/stderr go to files."""
    out = open(out_path, "wb")
    err = open(err_path, "wb")
    try:
        return subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
    finally:
        out.close()
        err.close()


# ---- evidence generators ----

def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + "Z"


def ms_of(y, mo, d, h=0, mi=0, s=0):
    return calendar.timegm((y, mo, d, h, mi, s)) * 1000


def ct_record(time_ms, request_id, account=ACCOUNT_A, region="us-east-1", error=None,
              event_name="Decrypt", **extra):
    r = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "AssumedRole", "accountId": account,
                         "principalId": "AROAEXAMPLE:app"},
        "eventTime": iso(time_ms),
        "eventSource": "kms.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": "10.0.0.1",
        "userAgent": "aws-sdk-go/1.44",
        "requestParameters": {"keyId": "arn:aws:kms:%s:%s:key/k1" % (region, account)},
        "responseElements": None,
        "requestID": request_id,
        "eventID": "ev-" + request_id,
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    if error:
        r["errorCode"] = error
        r["errorMessage"] = "synthetic " + error
    for k, v in extra.items():
        if v is None:
            r.pop(k, None)
        else:
            r[k] = v
    return r


def csm_attempt(time_ms, request_id, region="us-east-1", status=200, error=None, api="Decrypt"):
    a = {"Version": 1, "ClientId": "it-app", "Type": "ApiCallAttempt", "Service": "KMS",
         "Api": api, "Timestamp": time_ms, "AttemptLatency": 12,
         "Fqdn": "kms.%s.amazonaws.com" % region, "Region": region,
         "HttpStatusCode": status, "XAmznRequestId": request_id}
    if error:
        a["AwsException"] = error
        a["AwsExceptionMessage"] = "synthetic"
    return a


def write_trail_file(path, records, compress=True):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = json.dumps({"Records": records}, separators=(",", ":")).encode()
    if compress:
        with open(path, "wb") as f:
            f.write(gzip.compress(data, compresslevel=1, mtime=0))
    else:
        with open(path, "wb") as f:
            f.write(data)
    return path


def make_corpus(root, account, files, records_per_file, seed, month=(2024, 5),
                regions=("us-east-1", "eu-west-1")):
    """CloudTrail-style folder tree of gzipped log files for one account.

    Every file covers 5 minutes of one Region; some calls fail with server
    errors, some are throttled or refused. Request IDs are unique per
    (seed, account). Returns the list of file paths written.
    """
    rnd = random.Random(seed)
    y, mo = month
    start = ms_of(y, mo, 1)
    paths = []
    for i in range(files):
        region = regions[i % len(regions)]
        t0 = start + (i // len(regions)) * 300000
        recs = []
        for j in range(records_per_file):
            t = t0 + rnd.randrange(300000)
            x = rnd.random()
            err = None
            if x < 0.03:
                err = "KMSInternalException"
            elif x < 0.05:
                err = "ThrottlingException"
            elif x < 0.07:
                err = "AccessDeniedException"
            recs.append(ct_record(t, "%s-%d-%d-%d" % (account, seed, i, j), account=account,
                                  region=region, error=err))
        day = time.gmtime(t0 // 1000)
        name = "%s_CloudTrail_%s_%s_%04d.json.gz" % (account, region,
                                                    time.strftime("%Y%m%dT%H%MZ", day), i)
        p = os.path.join(root, "AWSLogs", account, "CloudTrail", region,
                         time.strftime("%Y/%m/%d", day), name)
        paths.append(write_trail_file(p, recs))
    return paths


def tree_digest(root):
    """sha256 over every file (path and bytes) under root."""
    h = hashlib.sha256()
    for dp, dn, fn in os.walk(root):
        dn.sort()
        for f in sorted(fn):
            p = os.path.join(dp, f)
            h.update(os.path.relpath(p, root).encode() + b"\0")
            with open(p, "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()
