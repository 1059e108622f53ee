#!/usr/bin/env python3
"""Writes the input files of the golden cases (tests/golden/<case>/inputs/).

The output is committed; re-running this script must reproduce it byte for
byte (fixed seeds, gzip mtime 0). The generator only lays out the traffic that
each case's README.md describes (how many requests of which kind in which
5-minute interval); it never computes an expected value. The expected values
live in each case's expected.json and were worked out by hand in its README.md.

Shapes:
  * CloudTrail: log objects `{"Records":[...]}` named and foldered as CloudTrail
    delivers them (AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/
    <acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json[.gz]); records
    shaped like the KMS developer guide examples (ct-decrypt-1.json).
  * CSM: one JSON object per line as botocore's monitoring.py publishes them
    (ApiCallAttempt per HTTP attempt, then one ApiCall summary per call).

Usage: python3 tests/golden/make_inputs.py [--check]
  --check  regenerate into a temp dir and fail if anything differs.
"""

import argparse
import calendar
import datetime as dt
import filecmp
import gzip
import json
import os
import random
import shutil
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))

INTERVAL = 300  # seconds

SERVER_ERRORS = {
    "KMSInternalException": (500, "An internal error has occurred. Try your request again."),
    "KeyUnavailableException": (500, "The request was rejected because the specified KMS key "
                                     "is not available. You can retry the request."),
    "DependencyTimeoutException": (503, "The system timed out while trying to fulfill the "
                                        "request. You can retry the request."),
}
THROTTLE_MSG = ("You have exceeded the rate at which you may call KMS. "
                "Reduce the frequency of your calls.")

BOTO_UA = ("Boto3/1.40.11 md/Botocore#1.43.11 ua/2.1 os/linux#5.10.240-238.959.amzn2.x86_64 "
           "md/arch#x86_64 lang/python#3.12.11 md/pyimpl#CPython exec-env/AWS_ECS_FARGATE "
           "cfg/retry-mode#standard Botocore/1.43.11")
JAVA_UA = ("aws-sdk-java/2.31.63 ua/2.1 os/Linux#5.10.238-231.953.amzn2.x86_64 "
           "lang/java#21.0.7 md/OpenJDK_64-Bit_Server_VM#21.0.7+6-LTS md/vendor#Amazon.com_Inc. "
           "md/en_US m/D,N,e cfg/retry-mode#standard")


def ts(s):
    """'2026-04-14T10:00:00Z' -> epoch seconds."""
    return calendar.timegm(dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timetuple())


def iso(t):
    return dt.datetime.fromtimestamp(int(t), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Ids:
    def __init__(self, rng):
        self.rng = rng

    def uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def chars(self, n, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"):
        return "".join(self.rng.choice(alphabet) for _ in range(n))


def spread(rng, start, n, lo=0, hi=INTERVAL - 1):
    """n distinct-ish second offsets in [start+lo, start+hi], sorted."""
    return sorted(start + rng.randint(lo, hi) for _ in range(n))


# --------------------------------------------------------------------------
# CloudTrail


class Trail:
    """Collects CloudTrail records and writes them as delivered log objects."""

    def __init__(self, rng, account):
        self.rng = rng
        self.ids = Ids(rng)
        self.account = account
        self.records = []  # (time, region, record)
        self.keys = {}

    def key_arn(self, region, name="app"):
        k = (region, name)
        if k not in self.keys:
            self.keys[k] = "arn:aws:kms:%s:%s:key/%s" % (region, self.account, self.ids.uuid())
        return self.keys[k]

    def record(self, t, region, op="Decrypt", error=None, message=None, cks=None, xks=False,
               role="payments-api", via_s3=False, request_id=None, params=None):
        acct = self.account
        arn = self.key_arn(region)
        session = "i-0" + self.ids.chars(16, "0123456789abcdef")
        ident = {
            "type": "AssumedRole",
            "principalId": "AROA" + self.ids.chars(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") + ":" + session,
            "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, role, session),
            "accountId": acct,
            "accessKeyId": "ASIA" + self.ids.chars(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROA" + self.ids.chars(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
                    "arn": "arn:aws:iam::%s:role/%s" % (acct, role),
                    "accountId": acct,
                    "userName": role,
                },
                "attributes": {"creationDate": iso(t - 1800), "mfaAuthenticated": "false"},
            },
        }
        if via_s3:
            ident["invokedBy"] = "s3.amazonaws.com"
        if params is None:
            if op == "Decrypt":
                params = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                          "encryptionContext": {"aws:s3:arn": "arn:aws:s3:::%s-invoices/2026/%s.pdf"
                                                % (acct, self.ids.chars(8, "0123456789"))}
                          if via_s3 else {"tenant": "t-%s" % self.ids.chars(4, "0123456789")}}
                if not via_s3:
                    params["keyId"] = arn
            elif op == "GenerateDataKey":
                params = {"keyId": arn, "keySpec": "AES_256",
                          "encryptionContext": {"tenant": "t-%s" % self.ids.chars(4, "0123456789")}}
            elif op == "Encrypt":
                params = {"keyId": "alias/%s" % role, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
            else:
                params = {"keyId": arn}
        rec = {
            "eventVersion": "1.09",
            "userIdentity": ident,
            "eventTime": iso(t),
            "eventSource": "kms.amazonaws.com",
            "eventName": op,
            "awsRegion": region,
            "sourceIPAddress": "s3.amazonaws.com" if via_s3 else "10.%d.%d.%d" % (
                self.rng.randint(0, 31), self.rng.randint(0, 255), self.rng.randint(1, 254)),
            "userAgent": "s3.amazonaws.com" if via_s3 else BOTO_UA,
        }
        if error is not None:
            rec["errorCode"] = error
            if message is None:
                message = SERVER_ERRORS.get(error, (0, None))[1]
            if error == "ThrottlingException":
                message = THROTTLE_MSG
            if message is not None:
                rec["errorMessage"] = message
        rec["requestParameters"] = params
        rec["responseElements"] = None
        if cks is not None:
            extra = {"customKeyStoreId": cks}
            if xks:
                extra["xksKeyId"] = "xks-key-" + self.ids.chars(8, "0123456789abcdef")
            rec["additionalEventData"] = extra
        rec["requestID"] = request_id or self.ids.uuid()
        rec["eventID"] = self.ids.uuid()
        rec["readOnly"] = op in ("Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey")
        rec["resources"] = [{"accountId": acct, "type": "AWS::KMS::Key", "ARN": arn}]
        rec["eventType"] = "AwsApiCall"
        rec["managementEvent"] = True
        rec["recipientAccountId"] = acct
        rec["eventCategory"] = "Management"
        if not via_s3:
            rec["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                                 "clientProvidedHostHeader": "kms.%s.amazonaws.com" % region}
        self.records.append((t, region, rec))
        return rec

    def ok(self, t, region, **kw):
        op = kw.pop("op", None) or self.rng.choice(["Decrypt", "Decrypt", "Decrypt",
                                                    "GenerateDataKey", "Encrypt"])
        via_s3 = kw.pop("via_s3", None)
        if via_s3 is None:
            via_s3 = op == "Decrypt" and self.rng.random() < 0.25
        return self.record(t, region, op=op, via_s3=via_s3, **kw)

    def fail(self, t, region, code, **kw):
        op = kw.pop("op", None) or self.rng.choice(["Decrypt", "Decrypt", "GenerateDataKey"])
        return self.record(t, region, op=op, error=code, **kw)

    def write(self, root, gz_every=3, per_file=250, hour_files=True):
        """Groups records into delivered log objects: one object per region and
        clock hour of eventTime (split at `per_file` records), delivered a few
        minutes after the hour closes. Every `gz_every`-th object stays plain
        JSON (as if someone had unpacked it) if it is small; the others are .json.gz."""
        groups = {}
        for t, region, rec in self.records:
            bucket = t - t % 3600
            groups.setdefault((region, bucket), []).append((t, rec))
        n = 0
        for (region, bucket) in sorted(groups):
            items = sorted(groups[(region, bucket)], key=lambda x: x[0])
            for i in range(0, len(items), per_file):
                chunk = items[i:i + per_file]
                deliver = bucket + 3600 + 60 * self.rng.randint(1, 9) + 60 * (i // per_file)
                d = dt.datetime.fromtimestamp(deliver, dt.timezone.utc)
                folder = os.path.join(root, "AWSLogs", self.account, "CloudTrail", region,
                                      d.strftime("%Y"), d.strftime("%m"), d.strftime("%d"))
                name = "%s_CloudTrail_%s_%s_%s.json" % (self.account, region,
                                                         d.strftime("%Y%m%dT%H%MZ"),
                                                         self.ids.chars(16))
                n += 1
                body = json.dumps({"Records": [r for _, r in chunk]}, separators=(",", ":"))
                os.makedirs(folder, exist_ok=True)
                if n % gz_every == 0 and len(body) < 40000:
                    with open(os.path.join(folder, name), "w") as f:
                        f.write(body + "\n")
                else:
                    with open(os.path.join(folder, name + ".gz"), "wb") as f:
                        f.write(gzip.compress(body.encode(), mtime=0))
        self.records = []


# --------------------------------------------------------------------------
# SDK client-side monitoring (botocore monitoring.py)


class Csm:
    def __init__(self, rng, client_id, access_key):
        self.rng = rng
        self.ids = Ids(rng)
        self.client_id = client_id
        self.access_key = access_key
        self.lines = []  # (ms, seq, dict)
        self.seq = 0

    def _emit(self, ms, obj):
        self.lines.append((ms, self.seq, obj))
        self.seq += 1

    def call(self, t_ms, region, api, attempts, request_ids=None):
        """attempts: list of None (200 OK), an error code, or 'timeout' (no
        answer). Returns the request IDs used, one per answered attempt."""
        used = []
        start = t_ms
        cur = t_ms
        for i, a in enumerate(attempts):
            latency = self.rng.randint(8, 40) if a is None else self.rng.randint(20, 900)
            att = {
                "Version": 1, "ClientId": self.client_id, "Type": "ApiCallAttempt",
                "Service": "KMS", "Api": api, "Timestamp": cur, "AttemptLatency": latency,
                "Fqdn": "kms.%s.amazonaws.com" % region, "UserAgent": BOTO_UA,
                "AccessKey": self.access_key, "Region": region,
            }
            if a == "timeout":
                att["SdkException"] = "ReadTimeoutError"
                att["SdkExceptionMessage"] = ('Read timeout on endpoint URL: '
                                              '"https://kms.%s.amazonaws.com/"' % region)
            else:
                rid = request_ids[i] if request_ids and request_ids[i] else self.ids.uuid()
                used.append(rid)
                if a is None:
                    att["HttpStatusCode"] = 200
                    att["XAmznRequestId"] = rid
                else:
                    status = SERVER_ERRORS[a][0] if a in SERVER_ERRORS else 400
                    msg = SERVER_ERRORS[a][1] if a in SERVER_ERRORS else (
                        THROTTLE_MSG if a == "ThrottlingException" else "")
                    att["HttpStatusCode"] = status
                    att["XAmznRequestId"] = rid
                    att["AwsException"] = a
                    att["AwsExceptionMessage"] = msg
            self._emit(cur, att)
            cur += latency + (0 if i + 1 == len(attempts) else self.rng.randint(40, 400))
        last = attempts[-1]
        summary = {
            "Version": 1, "ClientId": self.client_id, "Type": "ApiCall", "Service": "KMS",
            "Api": api, "Timestamp": start, "AttemptCount": len(attempts), "Region": region,
            "UserAgent": BOTO_UA, "Latency": cur - start,
            "MaxRetriesExceeded": 1 if (last is not None and len(attempts) >= 3) else 0,
        }
        if last == "timeout":
            summary["FinalSdkException"] = "ReadTimeoutError"
            summary["FinalSdkExceptionMessage"] = ('Read timeout on endpoint URL: '
                                                   '"https://kms.%s.amazonaws.com/"' % region)
        elif last is None:
            summary["FinalHttpStatusCode"] = 200
        else:
            summary["FinalHttpStatusCode"] = SERVER_ERRORS[last][0] if last in SERVER_ERRORS else 400
            summary["FinalAwsException"] = last
            summary["FinalAwsExceptionMessage"] = (SERVER_ERRORS[last][1] if last in SERVER_ERRORS
                                                   else THROTTLE_MSG)
        self._emit(start, summary)
        return used

    def write(self, path, gz=False):
        self.lines.sort(key=lambda x: (x[0], x[1]))
        body = "".join(json.dumps(o, separators=(",", ":")) + "\n" for _, _, o in self.lines)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if gz:
            with open(path + ".gz", "wb") as f:
                f.write(gzip.compress(body.encode(), mtime=0))
        else:
            with open(path, "w") as f:
                f.write(body)
        self.lines = []


def in_interval_ms(rng, start_s, lo=0, hi=INTERVAL - 3):
    """A call start (ms) that leaves room for retries inside the interval."""
    return start_s * 1000 + rng.randint(lo * 1000, hi * 1000 - 1)


def background(rng, month_start, days, avoid, n, hours=6):
    """n success times (seconds) in `hours` random clock hours of the month,
    never inside an interval listed in `avoid` (interval starts, seconds)."""
    avoid = set(avoid)
    chosen = []
    while len(chosen) < hours:
        h = month_start + 3600 * rng.randrange(days * 24)
        if h not in chosen and not any(h <= a < h + 3600 for a in avoid):
            chosen.append(h)
    out = []
    while len(out) < n:
        t = rng.choice(chosen) + rng.randrange(3600)
        if t - t % INTERVAL not in avoid:
            out.append(t)
    return sorted(out)


# --------------------------------------------------------------------------
# The cases. Each function lays out exactly the traffic its README describes.


def case_01(root, rng):
    acct, month0 = "111122223333", ts("2026-04-01T00:00:00Z")
    tr = Trail(rng, acct)
    iv = ts("2026-04-14T10:00:00Z")
    for region, failed in (("us-east-1", 54), ("us-west-2", 55)):
        # One interval with 625 requests, `failed` of them KMSInternalException.
        times = spread(rng, iv, 625 - 2, 1, 298) + [iv, iv + 299]
        # The request at 10:00:00 succeeds, the one at 10:04:59 fails.
        kinds = ["F"] * (failed - 1) + ["S"] * (625 - failed - 1)
        rng.shuffle(kinds)
        kinds = ["S"] + kinds + ["F"]
        assert kinds.count("F") == failed and len(kinds) == 625
        for t, k in zip(sorted(times), kinds):
            if k == "F":
                tr.fail(t, region, "KMSInternalException")
            else:
                tr.ok(t, region)
        # 75 background successes elsewhere, two of them on the interval edges
        # (09:59:59 belongs to the previous interval, 10:05:00 to the next).
        tr.ok(iv - 1, region)
        tr.ok(iv + INTERVAL, region)
        for t in background(rng, month0, 30, [iv], 73):
            tr.ok(t, region)
    tr.write(os.path.join(root, "cloudtrail"))


def case_02(root, rng):
    acct, month0 = "444455556666", ts("2026-04-01T00:00:00Z")
    tr = Trail(rng, acct)
    outage0 = ts("2026-04-20T03:00:00Z")
    outage = [outage0 + INTERVAL * i for i in range(86)]
    partial = ts("2026-04-21T12:00:00Z")
    codes = ["KMSInternalException", "KeyUnavailableException", "DependencyTimeoutException"]
    for region, failed in (("eu-west-1", 50), ("eu-central-1", 51)):
        for s in outage:  # 86 intervals, 3 requests each, all server errors
            for j, t in enumerate(spread(rng, s, 3)):
                tr.fail(t, region, codes[j])
        kinds = ["F"] * failed + ["S"] * (125 - failed)
        rng.shuffle(kinds)
        for t, k in zip(spread(rng, partial, 125), kinds):
            if k == "F":
                tr.fail(t, region, rng.choice(codes))
            else:
                tr.ok(t, region)
        for t in background(rng, month0, 30, outage + [partial], 60):
            tr.ok(t, region)
    tr.write(os.path.join(root, "cloudtrail"), per_file=200)


def case_03(root, rng):
    month0 = ts("2026-04-01T00:00:00Z")
    outage0 = ts("2026-04-05T00:00:00Z")
    outage = [outage0 + INTERVAL * i for i in range(432)]
    busy = ts("2026-04-10T08:00:00Z")
    for region, client, key, extra_fail in (
            ("ap-southeast-2", "ledger-service", "AKIAZ7LEDGERSYD00001", False),
            ("ap-northeast-1", "ledger-service", "AKIAZ7LEDGERTYO00002", True)):
        csm = Csm(rng, client, key)
        for s in outage:  # one call per interval, 2 attempts, both server errors
            csm.call(in_interval_ms(rng, s, 0, 290), region, rng.choice(["Decrypt", "GenerateDataKey"]),
                     ["KMSInternalException", "DependencyTimeoutException"])
        # 125 single-attempt calls in one busy interval; on the "below" side
        # exactly one of them is a KMSInternalException.
        fail_at = rng.randrange(125) if extra_fail else -1
        for i in range(125):
            csm.call(in_interval_ms(rng, busy, 0, 296), region, "Decrypt",
                     ["KMSInternalException" if i == fail_at else None])
        for t in background(rng, month0, 30, outage + [busy], 50):
            csm.call(t * 1000 + rng.randrange(1000), region, "Decrypt", [None])
        csm.write(os.path.join(root, "csm", region, client + ".csm.jsonl"), gz=True)


def case_04(root, rng):
    acct = "210987654321"
    region = "eu-west-2"
    tr = Trail(rng, acct)
    months = [
        # (first second of month, days, interval A start, interval B start)
        ("2026-02", ts("2026-02-01T00:00:00Z"), 28, ts("2026-02-10T14:00:00Z"), ts("2026-02-28T23:55:00Z")),
        ("2024-02", ts("2024-02-01T00:00:00Z"), 29, ts("2024-02-10T14:00:00Z"), ts("2024-02-29T23:55:00Z")),
        ("2026-04", ts("2026-04-01T00:00:00Z"), 30, ts("2026-04-10T14:00:00Z"), ts("2026-04-30T23:55:00Z")),
        ("2026-03", ts("2026-03-01T00:00:00Z"), 31, ts("2026-03-01T00:00:00Z"), ts("2026-03-31T23:55:00Z")),
    ]
    for _, m0, days, a, b in months:
        # Interval A: 8 requests, 3 server errors (one of each KMS 5xx code).
        kinds = ["KMSInternalException", "KeyUnavailableException", "DependencyTimeoutException",
                 None, None, None, None, None]
        rng.shuffle(kinds)
        for t, k in zip(spread(rng, a, 8), kinds):
            tr.fail(t, region, k) if k else tr.ok(t, region)
        # Interval B: 4 requests, all KMSInternalException; the last one at
        # hh:59:59, the month's very last second.
        for t in spread(rng, b, 3) + [b + 299]:
            tr.fail(t, region, "KMSInternalException")
        for t in background(rng, m0, days, [a, b], 20, hours=3):
            tr.ok(t, region)
    tr.write(os.path.join(root, "cloudtrail"), gz_every=2)


def case_05(root, rng):
    acct, month0 = "777788889999", ts("2026-04-01T00:00:00Z")
    tr = Trail(rng, acct)
    iv = ts("2026-04-07T16:35:00Z")
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        kinds = ["F"] + ["S"] * 9
        rng.shuffle(kinds)
        for t, k in zip(spread(rng, iv, 10), kinds):
            tr.fail(t, region, "KMSInternalException") if k == "F" else tr.ok(t, region)
        for t in background(rng, month0, 30, [iv], 30, hours=3):
            tr.ok(t, region)
    tr.write(os.path.join(root, "cloudtrail"))


def case_06(root, rng):
    acct, region = "444455556666", "us-east-1"
    tr = Trail(rng, acct)
    i1, i2 = ts("2026-03-31T23:50:00Z"), ts("2026-03-31T23:55:00Z")
    i3, i4 = ts("2026-04-01T00:00:00Z"), ts("2026-04-01T00:05:00Z")
    for t in spread(rng, i1, 4):
        tr.fail(t, region, "KMSInternalException")
    for t in spread(rng, i2, 3, 0, 298) + [i2 + 299]:  # last one at 23:59:59
        tr.fail(t, region, rng.choice(["KMSInternalException", "DependencyTimeoutException"]))
    for t in [i3] + spread(rng, i3, 3, 1):  # first one at 00:00:00
        tr.fail(t, region, rng.choice(["KMSInternalException", "DependencyTimeoutException"]))
    kinds = ["F", "F", "S", "S"]
    rng.shuffle(kinds)
    for t, k in zip(spread(rng, i4, 4), kinds):
        tr.fail(t, region, "KMSInternalException") if k == "F" else tr.ok(t, region)
    tr.ok(i4 + INTERVAL, region)  # 00:10:00, recovered
    for t in background(rng, ts("2026-03-01T00:00:00Z"), 30, [i1, i2], 30, hours=3):
        tr.ok(t, region)  # March 1..30
    for t in background(rng, ts("2026-04-02T00:00:00Z"), 29, [], 29, hours=3):
        tr.ok(t, region)  # April 2..30
    tr.write(os.path.join(root, "cloudtrail"), gz_every=2)


def case_07(root, rng):
    acct, month0 = "111122223333", ts("2026-04-01T00:00:00Z")
    tr = Trail(rng, acct)
    storm0 = ts("2026-04-08T14:00:00Z")
    storm = [storm0 + INTERVAL * i for i in range(24)]
    xks0 = ts("2026-04-09T02:00:00Z")
    xks = [xks0 + INTERVAL * i for i in range(12)]
    cks_id = "cks-1a2b3c4d5e6f7a8b9"
    client_errs = [
        # (interval start, error code, message)
        (ts("2026-04-03T09:10:00Z"), "AccessDeniedException", "User: arn:aws:sts::%s:assumed-role/reporting/i-0 is not authorized to perform: kms:Decrypt on resource: %%s because no identity-based policy allows the kms:Decrypt action" % acct),
        (ts("2026-04-03T09:10:00Z"), "AccessDeniedException", None),
        (ts("2026-04-03T09:15:00Z"), "AccessDeniedException", None),
        (ts("2026-04-12T21:40:00Z"), "AccessDeniedException", None),
        (ts("2026-04-12T21:40:00Z"), "AccessDeniedException", None),
        (ts("2026-04-15T06:00:00Z"), "NotFoundException", "Alias arn:aws:kms:%%s:%s:alias/legacy-app is not found." % acct),
        (ts("2026-04-15T06:00:00Z"), "NotFoundException", None),
        (ts("2026-04-15T06:05:00Z"), "NotFoundException", None),
        (ts("2026-04-18T11:20:00Z"), "DisabledException", "%s is disabled."),
        (ts("2026-04-18T11:20:00Z"), "DisabledException", None),
        (ts("2026-04-18T11:20:00Z"), "DisabledException", None),
        (ts("2026-04-18T11:25:00Z"), "DisabledException", None),
        (ts("2026-04-22T17:45:00Z"), "KMSInvalidStateException", "%s is pending deletion."),
        (ts("2026-04-22T17:45:00Z"), "KMSInvalidStateException", None),
        (ts("2026-04-22T17:50:00Z"), "KMSInvalidStateException", None),
        (ts("2026-04-25T04:30:00Z"), "IncorrectKeyException", "The key ID in the request does not identify a KMS key that can perform this operation."),
        (ts("2026-04-25T04:30:00Z"), "IncorrectKeyException", None),
        (ts("2026-04-27T13:05:00Z"), "InvalidCiphertextException", None),
        (ts("2026-04-27T13:05:00Z"), "InvalidCiphertextException", None),
    ]
    assert len(client_errs) == 19
    for region, real_failure in (("us-east-1", False), ("us-west-2", True)):
        arn = tr.key_arn(region)
        # Throttling storm: 24 intervals x (3 ThrottlingException + 2 OK) = 60% throttled.
        for s in storm:
            kinds = ["T", "T", "T", "S", "S"]
            rng.shuffle(kinds)
            for t, k in zip(spread(rng, s, 5), kinds):
                if k == "T":
                    tr.fail(t, region, "ThrottlingException", op="GenerateDataKey")
                else:
                    tr.ok(t, region, op="GenerateDataKey")
            if real_failure and s == storm0:
                tr.fail(s + rng.randint(0, 299), region, "KMSInternalException", op="GenerateDataKey")
        # External key store outage: 12 intervals x 3 records with customKeyStoreId
        # (1 OK, 1 KMSInvalidStateException, 1 KMSInternalException): all excluded.
        for s in xks:
            t1, t2, t3 = spread(rng, s, 3)
            tr.ok(t1, region, op="Decrypt", cks=cks_id, xks=True, role="vault-xks", via_s3=False)
            tr.fail(t2, region, "KMSInvalidStateException", op="Decrypt", cks=cks_id, xks=True,
                    role="vault-xks",
                    message="Unable to validate the external key store proxy response; "
                            "the proxy did not respond within the timeout interval.")
            tr.fail(t3, region, "KMSInternalException", op="Encrypt", cks=cks_id, xks=True,
                    role="vault-xks")
        # A CreateKey in the disconnected key store: excluded by its error code.
        tr.fail(xks0 + 3600 + 17, region, "CustomKeyStoreInvalidStateException", op="CreateKey",
                role="platform-admin",
                message="The request was rejected because the custom key store %s is not connected."
                        % cks_id,
                params={"customKeyStoreId": cks_id, "origin": "EXTERNAL_KEY_STORE",
                        "keyUsage": "ENCRYPT_DECRYPT", "keySpec": "SYMMETRIC_DEFAULT",
                        "xksKeyId": "xks-key-7e21"})
        # 19 client errors (each code keeps the message of its first example).
        first_msg = {}
        for _, code, msg in client_errs:
            first_msg.setdefault(code, msg)
        for s, code, msg in client_errs:
            msg = msg if msg is not None else first_msg[code]
            if msg is not None and "%s" in msg:
                msg = msg % (arn if code != "NotFoundException" else region)
            tr.fail(s + rng.randint(0, 299), region, code, message=msg,
                    op="Decrypt" if code != "NotFoundException" else "DescribeKey")
        # 40 background successes, away from every interval above.
        avoid = storm + xks + [xks0 + 3600] + [c[0] for c in client_errs]
        for t in background(rng, month0, 30, avoid, 40, hours=4):
            tr.ok(t, region)
    tr.write(os.path.join(root, "cloudtrail"))


def case_08(root, rng):
    acct, region, month0 = "111122223333", "us-east-1", ts("2026-04-01T00:00:00Z")
    tr = Trail(rng, acct)
    csm = Csm(rng, "checkout", "AKIAZ7CHECKOUT000003")
    ids = Ids(rng)
    i1, i2, i3, i4 = (ts("2026-04-16T09:15:00Z"), ts("2026-04-16T09:20:00Z"),
                      ts("2026-04-16T09:25:00Z"), ts("2026-04-16T09:30:00Z"))
    # I1: CloudTrail 7 OK + r1..r3 (KMSInternalException) + 1 throttled (rt);
    #     CSM 5 OK (CloudTrail saw them too) + r1..r3 + r4 (CSM only) + rt.
    r = [ids.uuid() for _ in range(4)]
    rt = ids.uuid()
    shared_ok = [ids.uuid() for _ in range(5)]
    t_ok = spread(rng, i1, 7, 0, 290)
    for j, t in enumerate(t_ok):
        tr.ok(t, region, op="Decrypt", via_s3=False, role="checkout",
              request_id=shared_ok[j] if j < 5 else None)
        if j < 5:
            csm.call(t * 1000 + rng.randrange(1000), region, "Decrypt", [None], [shared_ok[j]])
    for k in range(3):
        t = i1 + 20 + 60 * k
        tr.fail(t, region, "KMSInternalException", op="Decrypt", role="checkout", request_id=r[k])
        csm.call(t * 1000 + 250, region, "Decrypt", ["KMSInternalException"], [r[k]])
    csm.call((i1 + 230) * 1000 + 5, region, "Decrypt", ["KMSInternalException"], [r[3]])
    tt = i1 + 250
    tr.fail(tt, region, "ThrottlingException", op="Decrypt", role="checkout", request_id=rt)
    csm.call(tt * 1000 + 400, region, "Decrypt", ["ThrottlingException"], [rt])
    # I2: CloudTrail 4 OK + r5, r6 (KeyUnavailableException); CSM 8 OK + r5, r6.
    r56 = [ids.uuid(), ids.uuid()]
    ok2 = [ids.uuid() for _ in range(8)]
    for j, t in enumerate(spread(rng, i2, 8, 0, 290)):
        csm.call(t * 1000 + rng.randrange(1000), region, "GenerateDataKey", [None], [ok2[j]])
        if j < 4:
            tr.ok(t, region, op="GenerateDataKey", role="checkout", request_id=ok2[j])
    for k in range(2):
        t = i2 + 100 + 90 * k
        tr.fail(t, region, "KeyUnavailableException", op="GenerateDataKey", role="checkout",
                request_id=r56[k])
        csm.call(t * 1000 + 120, region, "GenerateDataKey", ["KeyUnavailableException"], [r56[k]])
    # I3: CSM only: 3 OK + r7 (KMSInternalException).
    for t in spread(rng, i3, 3, 0, 290):
        csm.call(t * 1000 + rng.randrange(1000), region, "Decrypt", [None])
    csm.call((i3 + 140) * 1000 + 77, region, "Decrypt", ["KMSInternalException"])
    # I4: CloudTrail 5 OK; CSM 3 OK (the same calls).
    for j, t in enumerate(spread(rng, i4, 5, 0, 290)):
        rid = ids.uuid()
        tr.ok(t, region, op="Decrypt", via_s3=False, role="checkout", request_id=rid)
        if j < 3:
            csm.call(t * 1000 + rng.randrange(1000), region, "Decrypt", [None], [rid])
    # CloudTrail background: 30 OK on other days.
    for t in background(rng, month0, 30, [], 30, hours=3):
        if ts("2026-04-16T00:00:00Z") <= t < ts("2026-04-17T00:00:00Z"):
            t += 3 * 86400
        tr.ok(t, region)
    tr.write(os.path.join(root, "cloudtrail"))
    csm.write(os.path.join(root, "csm", "checkout.csm.jsonl"))


def case_09(root, rng):
    region = "us-east-1"
    jun0 = ts("2021-06-01T00:00:00Z")
    # (account, month start, days, full intervals, partial (requests, failed) or None)
    plan = [
        ("111122223333", jun0, 30, [ts("2021-06-09T13:00:00Z") + INTERVAL * i for i in range(8)], (25, 16)),
        ("222233334444", jun0, 30, [ts("2021-06-09T13:00:00Z") + INTERVAL * i for i in range(8)], (25, 17)),
        ("333344445555", jun0, 30, [ts("2021-06-21T06:00:00Z") + INTERVAL * i for i in range(433)], None),
    ]
    for acct, m0, days, full, partial in plan:
        tr = Trail(rng, acct)
        per = 2 if len(full) < 100 else 1
        for s in full:
            for t in spread(rng, s, per):
                tr.fail(t, region, rng.choice(["KMSInternalException", "KeyUnavailableException"]))
        avoid = list(full)
        if partial:
            p = ts("2021-06-09T13:40:00Z")
            avoid.append(p)
            n, f = partial
            kinds = ["F"] * f + ["S"] * (n - f)
            rng.shuffle(kinds)
            for t, k in zip(spread(rng, p, n), kinds):
                tr.fail(t, region, "DependencyTimeoutException") if k == "F" else tr.ok(t, region)
        for t in background(rng, m0, days, avoid, 20, hours=3):
            tr.ok(t, region)
        tr.write(os.path.join(root, "cloudtrail"))
    # Version boundary: the same single failed interval in 2022-11 and 2022-12.
    tr = Trail(rng, "444455556666")
    for s, m0, days in ((ts("2022-11-29T12:00:00Z"), ts("2022-11-01T00:00:00Z"), 30),
                        (ts("2022-12-01T00:00:00Z"), ts("2022-12-01T00:00:00Z"), 31)):
        for t in spread(rng, s, 2):
            tr.fail(t, region, "KMSInternalException")
        for t in background(rng, m0, days, [s], 20, hours=3):
            tr.ok(t, region)
    tr.write(os.path.join(root, "cloudtrail"))


def case_10(root, rng):
    acct, region = "111122223333", "us-east-1"
    tr = Trail(rng, acct)
    iv = ts("2026-04-22T18:00:00Z")
    kinds = ["F"] + ["S"] * 9
    rng.shuffle(kinds)
    for t, k in zip(spread(rng, iv, 10), kinds):
        tr.fail(t, region, "KMSInternalException") if k == "F" else tr.ok(t, region)
    a = os.path.join(root, "s3-sync")
    tr.write(a, gz_every=1000)  # one .json.gz log object
    # The same log object, unpacked by hand into another folder: same records,
    # same eventIDs, different bytes (plain JSON).
    for dirpath, _, files in os.walk(a):
        for fn in files:
            src = os.path.join(dirpath, fn)
            with gzip.open(src, "rb") as f:
                body = f.read()
            dst = os.path.join(root, "unpacked", fn[:-3])
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "wb") as f:
                f.write(body)


# --------------------------------------------------------------------------
# Other services' evidence: CloudTrail data events (S3 object-level, DynamoDB,
# Lambda Invoke) and management events, botocore CSM of any service, and
# API Gateway access logs ($context variables as JSON).

SERVICE_SOURCES = {
    "s3": "s3.amazonaws.com", "dynamodb": "dynamodb.amazonaws.com",
    "lambda": "lambda.amazonaws.com", "secretsmanager": "secretsmanager.amazonaws.com",
}
DATA_EVENT_SERVICES = ("s3", "dynamodb", "lambda")


class ServiceTrail(Trail):
    """CloudTrail records of services other than KMS, as CloudTrail delivers
    them: data events for S3, DynamoDB and Lambda, management events for
    Secrets Manager."""

    def call(self, t, region, service, op, resource_arn, error=None, message=None,
             request_id=None, role="orders-api"):
        acct = self.account
        session = "i-0" + self.ids.chars(16, "0123456789abcdef")
        data = service in DATA_EVENT_SERVICES
        rec = {
            "eventVersion": "1.10" if data else "1.09",
            "userIdentity": {
                "type": "AssumedRole",
                "principalId": "AROA" + self.ids.chars(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                + ":" + session,
                "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, role, session),
                "accountId": acct,
                "accessKeyId": "ASIA" + self.ids.chars(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
            },
            "eventTime": iso(t),
            "eventSource": SERVICE_SOURCES[service],
            "eventName": op,
            "awsRegion": region,
            "sourceIPAddress": "10.%d.%d.%d" % (self.rng.randint(0, 31), self.rng.randint(0, 255),
                                                self.rng.randint(1, 254)),
            "userAgent": BOTO_UA,
        }
        if error is not None:
            rec["errorCode"] = error
            if message is not None:
                rec["errorMessage"] = message
        if service == "s3":
            bucket, _, key = resource_arn[len("arn:aws:s3:::"):].partition("/")
            rec["requestParameters"] = {"bucketName": bucket, "key": key,
                                        "Host": "%s.s3.%s.amazonaws.com" % (bucket, region)}
            resources = [{"type": "AWS::S3::Object", "ARN": resource_arn},
                         {"accountId": acct, "type": "AWS::S3::Bucket",
                          "ARN": "arn:aws:s3:::" + bucket}]
        elif service == "dynamodb":
            rec["requestParameters"] = {"tableName": resource_arn.rsplit("/", 1)[1]}
            resources = [{"accountId": acct, "type": "AWS::DynamoDB::Table", "ARN": resource_arn}]
        elif service == "lambda":
            rec["requestParameters"] = {"functionName": resource_arn}
            resources = [{"accountId": acct, "type": "AWS::Lambda::Function",
                          "ARN": resource_arn}]
        else:
            rec["requestParameters"] = {"secretId": resource_arn}
            resources = [{"accountId": acct, "type": "AWS::SecretsManager::Secret",
                          "ARN": resource_arn}]
        rec["responseElements"] = None
        rec["requestID"] = request_id or self.ids.uuid()
        rec["eventID"] = self.ids.uuid()
        rec["readOnly"] = op.startswith(("Get", "Query", "Scan", "List", "Describe", "Head"))
        rec["resources"] = resources
        rec["eventType"] = "AwsApiCall"
        rec["managementEvent"] = not data
        rec["recipientAccountId"] = acct
        rec["eventCategory"] = "Data" if data else "Management"
        rec["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                             "clientProvidedHostHeader": "%s.%s.amazonaws.com" % (service, region)}
        self.records.append((t, region, rec))
        return rec


class ServiceCsm:
    """botocore CSM lines (one attempt and its ApiCall summary per call) of
    any service: `service` as botocore names it ("DynamoDB", "Lambda")."""

    def __init__(self, rng, client_id, access_key, service, endpoint_prefix):
        self.rng = rng
        self.ids = Ids(rng)
        self.client_id = client_id
        self.access_key = access_key
        self.service = service
        self.prefix = endpoint_prefix
        self.lines = []
        self.seq = 0

    def call(self, t_ms, region, api, status, error=None, request_id=None):
        rid = request_id or self.ids.uuid()
        latency = self.rng.randint(8, 40) if status < 400 else self.rng.randint(20, 900)
        att = {"Version": 1, "ClientId": self.client_id, "Type": "ApiCallAttempt",
               "Service": self.service, "Api": api, "Timestamp": t_ms,
               "AttemptLatency": latency, "Fqdn": "%s.%s.amazonaws.com" % (self.prefix, region),
               "UserAgent": BOTO_UA, "AccessKey": self.access_key, "Region": region,
               "HttpStatusCode": status, "XAmznRequestId": rid}
        summary = {"Version": 1, "ClientId": self.client_id, "Type": "ApiCall",
                   "Service": self.service, "Api": api, "Timestamp": t_ms, "AttemptCount": 1,
                   "Region": region, "UserAgent": BOTO_UA, "Latency": latency + 2,
                   "MaxRetriesExceeded": 0, "FinalHttpStatusCode": status}
        if error is not None:
            att["AwsException"] = error
            att["AwsExceptionMessage"] = "Internal server error"
            summary["FinalAwsException"] = error
            summary["FinalAwsExceptionMessage"] = "Internal server error"
        for obj in (att, summary):
            self.lines.append((t_ms, self.seq, obj))
            self.seq += 1
        return rid

    def write(self, path):
        self.lines.sort(key=lambda x: (x[0], x[1]))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            for _, _, o in self.lines:
                f.write(json.dumps(o, separators=(",", ":")) + "\n")
        self.lines = []


def apigw_line(ids, t_ms, account, region, api_id, status, integration_status=None,
               response_type=None):
    """One API Gateway access log line, with the $context variables the API
    Gateway developer guide names."""
    rid = ids.uuid()
    obj = {"requestId": rid, "extendedRequestId": ids.chars(16),
           "requestTimeEpoch": t_ms, "httpMethod": "POST", "resourcePath": "/orders",
           "status": str(status), "protocol": "HTTP/1.1", "responseLength": "112",
           "apiId": api_id, "accountId": account, "stage": "prod",
           "domainName": "%s.execute-api.%s.amazonaws.com" % (api_id, region),
           "integrationStatus": "-" if integration_status is None else str(integration_status),
           "integrationLatency": "-" if integration_status is None else "30004",
           "error": {"responseType": response_type or "-",
                     "message": "-" if status < 400 else "Internal server error"}}
    return json.dumps(obj, separators=(",", ":"))


def write_lines(path, lines, gz=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    body = "".join(line + "\n" for line in lines)
    if gz:
        with open(path + ".gz", "wb") as f:
            f.write(gzip.compress(body.encode(), mtime=0))
    else:
        with open(path, "w") as f:
            f.write(body)


def partial_interval(rng, start, n, failed):
    """n sorted times in one interval and a shuffled list of n kinds, `failed`
    of them "F" and the rest "S"."""
    kinds = ["F"] * failed + ["S"] * (n - failed)
    rng.shuffle(kinds)
    return list(zip(spread(rng, start, n, 0, 298), kinds))


def case_11(root, rng):
    acct, month0 = "111122223333", ts("2025-10-01T00:00:00Z")
    tr = ServiceTrail(rng, acct)
    full = [ts("2025-10-20T07:00:00Z") + INTERVAL * i for i in range(8)]
    part = ts("2025-10-20T08:00:00Z")
    slow = [ts("2025-10-22T12:00:00Z") + INTERVAL * i for i in range(20)]
    for region, failed in (("us-east-1", 116), ("us-west-2", 117)):
        bucket = "arn:aws:s3:::invoices-%s-%s" % (acct, region)
        obj = lambda: "%s/2025/10/%s.pdf" % (bucket, tr.ids.chars(10, "0123456789"))
        for s in full:  # 4 requests, all server errors (2 InternalError, 2 ServiceUnavailable)
            for j, t in enumerate(spread(rng, s, 4)):
                code = "InternalError" if j % 2 == 0 else "ServiceUnavailable"
                tr.call(t, region, "s3", "GetObject", obj(), error=code)
        for t, k in partial_interval(rng, part, 125, failed):
            tr.call(t, region, "s3", "GetObject" if k == "S" else rng.choice(["GetObject", "PutObject"]),
                    obj(), error="InternalError" if k == "F" else None)
        for t in spread(rng, part, 50):  # SlowDown inside the partial interval
            tr.call(t, region, "s3", "PutObject", obj(), error="SlowDown",
                    message="Please reduce your request rate.")
        for s in slow:  # 1 SlowDown in each of 20 other intervals
            tr.call(s + rng.randint(0, 298), region, "s3", "PutObject", obj(), error="SlowDown",
                    message="Please reduce your request rate.")
        for t in spread(rng, ts("2025-10-23T09:00:00Z"), 10):  # client errors
            tr.call(t, region, "s3", "GetObject", obj(), error="NoSuchKey",
                    message="The specified key does not exist.")
        for t in background(rng, month0, 31, full + [part] + slow, 100):
            tr.call(t, region, "s3", "GetObject", obj())
    tr.write(os.path.join(root, "cloudtrail"), per_file=200)


def case_12(root, rng):
    acct, month0 = "444455556666", ts("2025-10-01T00:00:00Z")
    tr = ServiceTrail(rng, acct)
    iv = ts("2025-10-20T07:30:00Z")
    for region, failed in (("eu-west-1", 558), ("eu-central-1", 559)):
        orders = "arn:aws:dynamodb:%s:%s:table/orders" % (region, acct)
        carts = "arn:aws:dynamodb:%s:%s:table/carts" % (region, acct)
        for t, k in partial_interval(rng, iv, 625, failed):
            table = orders if rng.random() < 0.7 else carts
            op = rng.choice(["GetItem", "PutItem", "Query", "UpdateItem"])
            tr.call(t, region, "dynamodb", op, table,
                    error="InternalServerError" if k == "F" else None,
                    message="Internal server error" if k == "F" else None)
        for t in spread(rng, iv, 40):
            tr.call(t, region, "dynamodb", "PutItem", orders,
                    error="ProvisionedThroughputExceededException",
                    message="The level of configured provisioned throughput for the table was "
                            "exceeded. Consider increasing your provisioning level with the "
                            "UpdateTable API.")
        for t in spread(rng, iv, 10):
            tr.call(t, region, "dynamodb", "UpdateItem", carts,
                    error="ConditionalCheckFailedException",
                    message="The conditional request failed")
        for t in background(rng, month0, 31, [iv], 50):
            tr.call(t, region, "dynamodb", "GetItem", orders)
    tr.write(os.path.join(root, "cloudtrail"), per_file=250)


def case_13(root, rng):
    acct, month0 = "210987654321", ts("2025-10-01T00:00:00Z")
    tr = ServiceTrail(rng, acct)
    ids = Ids(rng)
    full = [ts("2025-10-20T07:00:00Z") + INTERVAL * i for i in range(4)]
    part = ts("2025-10-20T07:20:00Z")
    csm_ok = ts("2025-10-21T10:00:00Z")
    for region, failed, api_id in (("us-east-1", 58, "a1b2c3d4e5"), ("us-west-2", 59, "f6g7h8i9j0")):
        fn = "arn:aws:lambda:%s:%s:function:resize-image" % (region, acct)
        # Lambda, CloudTrail data events.
        for s in full:
            for t in spread(rng, s, 5):
                tr.call(t, region, "lambda", "Invoke", fn, error="ServiceException",
                        message="Lambda encountered an internal error.")
        for t, k in partial_interval(rng, part, 125, failed):
            tr.call(t, region, "lambda", "Invoke", fn,
                    error="ServiceException" if k == "F" else None)
        for t in spread(rng, part, 30):
            tr.call(t, region, "lambda", "Invoke", fn, error="TooManyRequestsException",
                    message="Rate Exceeded.")
        for t in background(rng, month0, 31, full + [part, csm_ok], 40):
            tr.call(t, region, "lambda", "Invoke", fn)
        # Lambda, SDK telemetry: 20 Invoke calls whose function failed. The
        # service answered 200 (the failure is in X-Amz-Function-Error), so
        # the SDK reports a success: a function error is not the service's.
        csm = ServiceCsm(rng, "thumbnailer", "AKIAZ7THUMBS00000001", "Lambda", "lambda")
        for t in spread(rng, csm_ok, 20):
            csm.call(t * 1000 + rng.randrange(1000), region, "Invoke", 200)
        csm.write(os.path.join(root, "csm", region, "thumbnailer.csm.jsonl"))
        # API Gateway access log.
        lines = []
        for s in full:  # 5 requests, all API Gateway's own 5xx
            for t in spread(rng, s, 5):
                lines.append((t, apigw_line(ids, t * 1000 + rng.randrange(1000), acct, region,
                                            api_id, 503, None, "DEFAULT_5XX")))
        for t, k in partial_interval(rng, part, 125, failed):
            lines.append((t, apigw_line(ids, t * 1000 + rng.randrange(1000), acct, region, api_id,
                                        500 if k == "F" else 200,
                                        None if k == "F" else 200,
                                        "DEFAULT_5XX" if k == "F" else None)))
        for t in spread(rng, part, 40):  # the integration (the customer's back end) failed
            lines.append((t, apigw_line(ids, t * 1000 + rng.randrange(1000), acct, region, api_id,
                                        502, 500, "INTEGRATION_FAILURE")))
        for t in spread(rng, part, 10):
            lines.append((t, apigw_line(ids, t * 1000 + rng.randrange(1000), acct, region, api_id,
                                        504, None, "INTEGRATION_TIMEOUT")))
        for t in spread(rng, part, 15):
            lines.append((t, apigw_line(ids, t * 1000 + rng.randrange(1000), acct, region, api_id,
                                        429, None, "THROTTLED")))
        for t in background(rng, month0, 31, full + [part], 60):
            lines.append((t, apigw_line(ids, t * 1000 + rng.randrange(1000), acct, region, api_id,
                                        200, 200, None)))
        lines.sort(key=lambda x: x[0])
        write_lines(os.path.join(root, "apigateway", region, "access-2025-10.jsonl"),
                    [l for _, l in lines], gz=region == "us-west-2")
    tr.write(os.path.join(root, "cloudtrail"), per_file=250)


def case_14(root, rng):
    acct, region = "111122223333", "us-east-1"
    tr = ServiceTrail(rng, acct)
    secret = "arn:aws:secretsmanager:us-east-1:%s:secret:prod/db-AbCdEf" % acct
    months = [  # (month start, days, [(interval, requests, failed)])
        (ts("2023-11-01T00:00:00Z"), 30,
         [(ts("2023-11-14T03:00:00Z") + INTERVAL * i, 3, 3) for i in range(8)]
         + [(ts("2023-11-14T03:40:00Z"), 25, 16)]),
        (ts("2023-12-01T00:00:00Z"), 31,
         [(ts("2023-12-14T03:00:00Z") + INTERVAL * i, 3, 3) for i in range(8)]
         + [(ts("2023-12-14T03:40:00Z"), 25, 16)]),
        (ts("2024-01-01T00:00:00Z"), 31, [(ts("2024-01-17T16:00:00Z"), 625, 558)]),
    ]
    for m0, days, ivs in months:
        for s, n, failed in ivs:
            for t, k in partial_interval(rng, s, n, failed):
                tr.call(t, region, "secretsmanager", "GetSecretValue", secret,
                        error="InternalServiceError" if k == "F" else None,
                        message="An error occurred on the server side." if k == "F" else None)
        for t in background(rng, m0, days, [s for s, _, _ in ivs], 30, hours=3):
            tr.call(t, region, "secretsmanager", "GetSecretValue", secret)
    tr.write(os.path.join(root, "cloudtrail"), per_file=250)


def case_15(root, rng):
    acct, region, month0 = "111122223333", "us-east-1", ts("2025-10-01T00:00:00Z")
    tr = ServiceTrail(rng, acct)
    csm = ServiceCsm(rng, "checkout", "AKIAZ7CHECKOUT000015", "DynamoDB", "dynamodb")
    outage = [ts("2025-10-20T07:00:00Z") + INTERVAL * i for i in range(30)]
    table = "arn:aws:dynamodb:us-east-1:%s:table/orders" % acct
    fn = "arn:aws:lambda:us-east-1:%s:function:checkout" % acct
    for i, s in enumerate(outage):
        # DynamoDB: 4 requests, all InternalServerError, seen by CloudTrail and
        # by the SDK (same request IDs).
        for t in spread(rng, s, 4, 0, 290):
            rid = tr.ids.uuid()
            tr.call(t, region, "dynamodb", "GetItem", table, error="InternalServerError",
                    message="Internal server error", request_id=rid)
            csm.call(t * 1000 + rng.randrange(1000), region, "GetItem", 500,
                     "InternalServerError", rid)
        # Lambda: 2 requests, both ServiceException, except in interval 15
        # (07:15), where nothing called Lambda.
        if i != 15:
            for t in spread(rng, s, 2):
                tr.call(t, region, "lambda", "Invoke", fn, error="ServiceException",
                        message="Lambda encountered an internal error.")
    for t in background(rng, month0, 31, outage, 60):
        tr.call(t, region, "dynamodb", "GetItem", table)
    for t in background(rng, month0, 31, outage, 40):
        tr.call(t, region, "lambda", "Invoke", fn)
    tr.write(os.path.join(root, "cloudtrail"), per_file=250)
    csm.write(os.path.join(root, "csm", "checkout.csm.jsonl"))


def case_16(root, rng):
    acct, month0 = "111122223333", ts("2025-10-01T00:00:00Z")
    tr = ServiceTrail(rng, acct)
    full = [ts("2025-10-06T00:00:00Z") + INTERVAL * i for i in range(89)]
    part = ts("2025-10-06T08:00:00Z")
    std = [ts("2025-10-09T12:00:00Z") + INTERVAL * i for i in range(5)]
    for region, failed in (("us-east-1", 7), ("us-west-2", 8)):
        archive = "arn:aws:s3:::archive-logs-%s-%s" % (acct, region)
        live = "arn:aws:s3:::live-assets-%s-%s" % (acct, region)
        key = lambda b: "%s/2025/10/%s.gz" % (b, tr.ids.chars(10, "0123456789"))
        for s in full:  # the archive bucket: 2 GetObject, both InternalError
            for t in spread(rng, s, 2):
                tr.call(t, region, "s3", "GetObject", key(archive), error="InternalError")
        for t, k in partial_interval(rng, part, 25, failed):
            tr.call(t, region, "s3", "GetObject", key(archive),
                    error="InternalError" if k == "F" else None)
        for s in std:  # the live bucket: 2 GetObject, both ServiceUnavailable
            for t in spread(rng, s, 2):
                tr.call(t, region, "s3", "GetObject", key(live), error="ServiceUnavailable")
        for t in background(rng, month0, 31, full + [part] + std, 50):
            tr.call(t, region, "s3", "GetObject", key(live))
        for t in background(rng, month0, 31, full + [part] + std, 30):
            tr.call(t, region, "s3", "GetObject", key(archive))
    tr.write(os.path.join(root, "cloudtrail"), per_file=250)
    # The month's S3 rows of a legacy CUR: storage and requests per class.
    rows = []
    for region, prefix in (("us-east-1", "USE1"), ("us-west-2", "USW2")):
        rows += [(region, prefix + "-TimedStorage-ByteHrs", "500.00"),
                 (region, prefix + "-Requests-Tier1", "35.50"),
                 (region, prefix + "-TimedStorage-SIA-ByteHrs", "200.00"),
                 (region, prefix + "-Requests-SIA-Tier1", "40.00")]
    os.makedirs(os.path.join(root, "cur"), exist_ok=True)
    with open(os.path.join(root, "cur", "cur-2025-10.csv"), "w") as f:
        f.write("identity/LineItemId,bill/BillingPeriodStartDate,lineItem/UsageAccountId,"
                "lineItem/LineItemType,lineItem/ProductCode,lineItem/UsageType,"
                "lineItem/UnblendedCost,lineItem/CurrencyCode,product/region\n")
        for region, usage, cost in rows:
            f.write("%s,2025-10-01T00:00:00Z,%s,Usage,AmazonS3,%s,%s,USD,%s\n"
                    % (tr.ids.chars(52, "abcdefghijklmnopqrstuvwxyz234567"), acct, usage, cost,
                       region))


CASES = {
    "01_commitment_99999": case_01,
    "02_tier_99_0": case_02,
    "03_tier_95_0": case_03,
    "04_month_lengths": case_04,
    "05_credit_minimum": case_05,
    "06_month_boundary_outage": case_06,
    "07_exclusions": case_07,
    "08_cross_source_dedupe": case_08,
    "09_sla_versions": case_09,
    "10_redelivered_log_object": case_10,
    "11_s3_error_rate": case_11,
    "12_dynamodb_99_99": case_12,
    "13_lambda_apigateway_99_95": case_13,
    "14_secretsmanager_versions": case_14,
    "15_two_services_one_region": case_15,
    "16_s3_infrequent_access": case_16,
}


def generate(base):
    for name, fn in CASES.items():
        root = os.path.join(base, name, "inputs")
        if os.path.isdir(root):
            shutil.rmtree(root)
        os.makedirs(root)
        fn(root, random.Random("recoup-golden/" + name))


def same_tree(a, b):
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.diff_files or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(same_tree(os.path.join(a, d), os.path.join(b, d)) for d in cmp.common_dirs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="verify the committed inputs")
    args = ap.parse_args()
    if not args.check:
        generate(HERE)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        bad = [n for n in CASES if not same_tree(os.path.join(tmp, n, "inputs"),
                                                 os.path.join(HERE, n, "inputs"))]
    for n in bad:
        print("inputs of %s differ from make_inputs.py output" % n, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
