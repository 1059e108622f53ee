#!/usr/bin/env python3
"""Plain-Python peer for the recoup ingest benchmark (stdlib gzip + json).

For every *.json.gz below the given paths: gzip-decompress, json.loads the whole
{"Records":[...]}, classify each record and count it in a dict keyed by
(recipientAccountId, awsRegion, eventSource, 5-minute bucket of eventTime, class).
The class rule is the one of bench/gen_corpus.py.

Usage: peer_python.py [--procs N] PATH...
Output: one human line and one JSON line ({"tool":"python",...}) on stdout.
"""
import argparse
import gzip
import json
import multiprocessing as mp
import os
import sys
import time

SERVER = frozenset(("KMSInternalException", "DependencyTimeoutException", "KeyUnavailableException",
                    "InternalFailure", "ServiceUnavailable"))


def count_file(path, groups=None):
    if groups is None:
        groups = {}
    with open(path, "rb") as f:
        raw = gzip.decompress(f.read())
    nbytes = len(raw)
    doc = json.loads(raw)
    del raw
    get = groups.get
    for r in doc.get("Records") or ():
        aed = r.get("additionalEventData")
        err = r.get("errorCode")
        if aed and aed.get("customKeyStoreId") is not None:
            cls = "cks"
        elif err is None:
            cls = "ok"
        elif err in SERVER:
            cls = "server"
        elif err == "ThrottlingException":
            cls = "throttle"
        else:
            cls = "client"
        t = r.get("eventTime") or ""
        m = int(t[14:16]) if len(t) >= 16 else 0
        key = (r.get("recipientAccountId"), r.get("awsRegion"), r.get("eventSource"),
               "%s%02d" % (t[:14], m - m % 5), cls)
        groups[key] = get(key, 0) + 1
    return groups, nbytes


def _worker(path):
    g, n = count_file(path)
    return g, n


def collect(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                out.extend(os.path.join(root, n) for n in names if n.endswith(".json.gz"))
        else:
            out.append(p)
    return sorted(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    files = collect(args.paths)
    t0 = time.perf_counter()
    groups = {}
    nbytes = 0
    if args.procs <= 1:
        for p in files:
            _, n = count_file(p, groups)
            nbytes += n
    else:
        with mp.Pool(args.procs) as pool:
            for g, n in pool.imap_unordered(_worker, files, chunksize=1):
                nbytes += n
                for k, v in g.items():
                    groups[k] = groups.get(k, 0) + v
    secs = time.perf_counter() - t0
    classes = {"ok": 0, "server": 0, "throttle": 0, "client": 0, "cks": 0}
    for k, v in groups.items():
        classes[k[4]] += v
    records = sum(classes.values())
    print("python: %d files, %d records, %d groups, %.1f MB in %.3f s, %.1f MB/s, %.0f records/s, procs=%d"
          % (len(files), records, len(groups), nbytes / 1e6, secs, nbytes / 1e6 / secs, records / secs, args.procs))
    print(json.dumps({"tool": "python", "threads": args.procs, "files": len(files), "records": records,
                      "groups": len(groups), "classes": classes, "uncompressed_bytes": nbytes,
                      "seconds": round(secs, 4), "mb_per_s": round(nbytes / 1e6 / secs, 2),
                      "records_per_s": round(records / secs)}))


if __name__ == "__main__":
    sys.exit(main())
