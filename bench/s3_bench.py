#!/usr/bin/env python3
"""S3 ingest benchmark: `recoup ingest s3://...` against moto on loopback,
beside an ingest of the same objects from local disk and beside
`aws s3 sync` of the same prefix followed by a local ingest. One run, same
objects, same machine.

    python3 bench/s3_bench.py [--corpus DIR] [--repeat N] [--recoup BIN]

The corpus defaults to /tmp/recoup-bench/corpus (made by bench/gen_corpus.py,
as bench/run.sh does). moto runs without IAM/signature checking here: with it
on, moto refuses list requests whose prefix holds a '/', which `aws s3 sync`
sends; the signature path is covered by the integration tests instead.
Output: bench/out/s3_results.md and .json (also printed).
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUCKET = "bench-trail-logs"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    """User + system CPU seconds a live process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(argv, env, cwd=None):
    """Runs argv under /usr/bin/time -v: (wall seconds, peak RSS KiB, stdout);
    its user + system CPU seconds are left in timed.last_cpu."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name] + argv, env=env, cwd=cwd,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (argv[0], p.returncode, p.stderr[-2000:]))
        rss = 0
        cpu = 0.0
        for line in tf.read().splitlines():
            if "Maximum resident set size" in line:
                rss = int(line.split(":")[1])
            if "User time (seconds)" in line or "System time (seconds)" in line:
                cpu += float(line.split(":")[1])
        timed.last_cpu = cpu
        return wall, rss, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=os.environ.get("RECOUP_BENCH_CORPUS",
                                                       "/tmp/recoup-bench/corpus"))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--recoup", default=os.path.join(ROOT, "build/apps/recoup/recoup"))
    args = ap.parse_args()
    corpus = os.path.join(args.corpus, "AWSLogs")
    if not os.path.isdir(corpus):
        sys.exit("no corpus at %s: run bench/gen_corpus.py --out %s" % (corpus, args.corpus))
    files = [os.path.join(dp, f) for dp, _, fs in os.walk(corpus) for f in fs]
    stored = sum(os.path.getsize(f) for f in files)

    work = tempfile.mkdtemp(prefix="recoup-s3bench-")
    port = free_port()
    endpoint = "http://127.0.0.1:%d" % port
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="AKIABENCHBENCHBENCH0",
               AWS_SECRET_ACCESS_KEY="bench-secret-bench-secret-bench-secret00",
               AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
               HOME=work)
    rows = {"local": [], "s3": [], "sync": [], "floor": []}
    curl_config = os.path.join(work, "curl.cfg")
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/data.json", timeout=2).read()
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        subprocess.run(["aws", "s3api", "create-bucket", "--bucket", BUCKET], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["aws", "s3", "sync", "--only-show-errors", corpus,
                        "s3://%s/AWSLogs/" % BUCKET], env=env, check=True)
        # The peer's own floor: every object fetched by curl (C, 8 transfers
        # at a time, presigned GETs, bytes discarded, nothing parsed). No S3
        # client can ingest faster than moto can serve.
        import boto3
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
        with open(curl_config, "w") as cfg:
            for path in files:
                key = "AWSLogs/" + os.path.relpath(path, corpus)
                url = s3.generate_presigned_url("get_object", {"Bucket": BUCKET, "Key": key},
                                                ExpiresIn=7200)
                cfg.write('url = "%s"\noutput = "/dev/null"\n' % url)
        for f in files:  # warm the page cache for the local runs
            with open(f, "rb") as fh:
                while fh.read(1 << 20):
                    pass
        def measure(argv):
            """timed(argv) plus the CPU seconds of the command and of moto."""
            m0 = cpu_seconds(moto.pid)
            wall, rss, out = timed(argv, env)
            return wall, rss, out, timed.last_cpu, cpu_seconds(moto.pid) - m0

        for rep in range(args.repeat):
            store = os.path.join(work, "local-%d.db" % rep)
            wall, rss, out, cpu, mcpu = measure([args.recoup, "--store", store, "ingest", corpus,
                                                 "--output", "json"])
            rows["local"].append({"seconds": wall, "rss_kib": rss, "cpu": cpu, "moto_cpu": mcpu,
                                  "summary": json.loads(out)})

            store = os.path.join(work, "s3-%d.db" % rep)
            wall, rss, out, cpu, mcpu = measure([args.recoup, "--store", store, "ingest",
                                                 "s3://%s/AWSLogs" % BUCKET, "--output", "json"])
            rows["s3"].append({"seconds": wall, "rss_kib": rss, "cpu": cpu, "moto_cpu": mcpu,
                               "summary": json.loads(out)})

            dl = os.path.join(work, "sync-%d" % rep)
            store = os.path.join(work, "sync-%d.db" % rep)
            w1, r1, _, c1, m1 = measure(["aws", "s3", "sync", "--only-show-errors",
                                         "s3://%s/AWSLogs/" % BUCKET, dl])
            w2, r2, out, c2, m2 = measure([args.recoup, "--store", store, "ingest", dl,
                                           "--output", "json"])
            rows["sync"].append({"seconds": w1 + w2, "sync_seconds": w1, "ingest_seconds": w2,
                                 "rss_kib": max(r1, r2), "cpu": c1 + c2, "moto_cpu": m1 + m2,
                                 "summary": json.loads(out)})
            shutil.rmtree(dl, True)

            wall, rss, _, cpu, mcpu = measure(["curl", "--silent", "--fail", "--parallel",
                                               "--parallel-max", "8", "-K", curl_config])
            rows["floor"].append({"seconds": wall, "rss_kib": rss, "cpu": cpu, "moto_cpu": mcpu})
    finally:
        moto.kill()
        moto.wait()
        shutil.rmtree(work, True)

    best = {k: min(v, key=lambda r: r["seconds"]) for k, v in rows.items()}
    for k in ("s3", "sync"):
        if best[k]["summary"]["accepted"] != best["local"]["summary"]["accepted"]:
            sys.exit("%s accepted %d records, local %d" % (k, best[k]["summary"]["accepted"],
                                                         best["local"]["summary"]["accepted"]))
    json_mb = best["local"]["summary"]["json_bytes"] / 1e6
    lines = [
        "S3 ingest benchmark: %d objects, %.1f MB stored (gzip), %.1f MB of JSON, "
        "moto %s on loopback, best of %d" % (len(files), stored / 1e6, json_mb,
                                             _moto_version(), args.repeat),
        "",
        "| path | wall s | JSON MB/s | peak RSS MiB | vs local | CPU s (client) | CPU s (moto) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    names = {"local": "recoup ingest DIR (local disk)",
             "s3": "recoup ingest s3://bucket/AWSLogs",
             "sync": "aws s3 sync + recoup ingest DIR"}
    names["floor"] = "moto serving alone: curl --parallel 8, bytes discarded, no parse"
    for k in ("local", "s3", "sync", "floor"):
        r = best[k]
        extra = ""
        if k == "sync":
            extra = " (sync %.2f s + ingest %.2f s)" % (r["sync_seconds"], r["ingest_seconds"])
        lines.append("| %s%s | %.2f | %.0f | %.0f | %.2fx | %.2f | %.2f |" % (
            names[k], extra, r["seconds"], json_mb / r["seconds"], r["rss_kib"] / 1024,
            r["seconds"] / best["local"]["seconds"], r["cpu"], r["moto_cpu"]))
    lines.append("")
    lines.append("s3 / moto floor = %.2fx; moto floor / local = %.2fx" % (
        best["s3"]["seconds"] / best["floor"]["seconds"],
        best["floor"]["seconds"] / best["local"]["seconds"]))
    cores = os.cpu_count() or 1
    lines.append("CPU-bound floor of s3 on %d cores: (client + moto CPU) / cores = %.2f s = %.2fx "
                 "local" % (cores, (best["s3"]["cpu"] + best["s3"]["moto_cpu"]) / cores,
                            (best["s3"]["cpu"] + best["s3"]["moto_cpu"]) / cores /
                            best["local"]["seconds"]))
    lines.append("s3 / local = %.2fx (target <= 1.5x); aws s3 sync + ingest / s3 = %.2fx "
                 "(target >= 1.0x)" % (best["s3"]["seconds"] / best["local"]["seconds"],
                                       best["sync"]["seconds"] / best["s3"]["seconds"]))
    text = "\n".join(lines)
    print(text)
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "s3_results.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(HERE, "out", "s3_results.json"), "w") as f:
        json.dump({"objects": len(files), "stored_bytes": stored, "runs": rows}, f, indent=1)


def _moto_version():
    try:
        import moto
        return moto.__version__
    except ImportError:
        return "?"


if __name__ == "__main__":
    main()
