#!/usr/bin/env python3
"""CSM listener benchmark: datagrams/s on one core without loss, p99
event-to-MUP latency, and memory over the run.

    bench/csm_bench.py [--rate 100000] [--seconds 60] [--core 0] [--sender-core 1]

`recoup serve` (every thread of it) is pinned to one core with taskset; the
load generator (bench/csm_load.cc, built into bench/out/) to another. The
generator sends `rate` x `seconds` ApiCallAttempt datagrams, one in
`--fail-every` a KMSInternalException. recoup's own counters give what it
received and committed and the latency from a datagram's arrival to the
moment the running MUP includes it (the evaluation after its commit); RSS is
sampled every second from /proc. Prints one JSON object.
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=100000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--fail-every", type=int, default=1000)
    ap.add_argument("--core", default="0")
    ap.add_argument("--sender-core", default="1")
    ap.add_argument("--binary", default=os.environ.get(
        "RECOUP_BIN", os.path.join(ROOT, "build", "apps", "recoup", "recoup")))
    a = ap.parse_args()

    out = os.path.join(HERE, "out")
    os.makedirs(out, exist_ok=True)
    load = os.path.join(out, "csm_load")
    src = os.path.join(HERE, "csm_load.cc")
    if not os.path.exists(load) or os.path.getmtime(load) < os.path.getmtime(src):
        subprocess.check_call(["c++", "-O2", "-std=c++20", "-o", load, src])

    tmp = tempfile.mkdtemp(prefix="recoup-csm-bench-")
    port = free_udp_port()
    config = os.path.join(tmp, "recoup.toml")
    with open(config, "w") as f:
        f.write('[serve]\naccount = "111122223333"\n[sources.csm]\nlisten = "127.0.0.1:%d"\n'
                'receive_buffer_bytes = 33554432\n'
                '[sources.otlp]\nenabled = false\n[dashboard]\nenabled = false\n' % port)
    err_path = os.path.join(tmp, "serve.log")
    err = open(err_path, "wb")
    serve = subprocess.Popen(["taskset", "-c", a.core, a.binary, "--store",
                              os.path.join(tmp, "recoup.db"), "serve", "--config", config,
                              "--stats-every", "1"], stdout=subprocess.PIPE, stderr=err)
    while b"running" not in open(err_path, "rb").read():
        if serve.poll() is not None:
            sys.exit("recoup serve did not start:\n" + open(err_path).read())
        time.sleep(0.05)

    total = int(a.rate * a.seconds)
    rss = [rss_kb(serve.pid)]
    sender = subprocess.Popen(["taskset", "-c", a.sender_core, load, str(port), str(total),
                               str(a.rate), str(a.fail_every)], stdout=subprocess.PIPE)
    while sender.poll() is None:
        time.sleep(1)
        rss.append(rss_kb(serve.pid))
    sent = json.loads(sender.stdout.read())

    # Let the listener drain its socket buffer: until its count stops moving.
    last, still = -1, 0
    while still < 3:
        time.sleep(1)
        rss.append(rss_kb(serve.pid))
        lines = re.findall(rb"stats (\{.*\})", open(err_path, "rb").read())
        n = json.loads(lines[-1])["csm"]["datagrams"] if lines else 0
        still = still + 1 if n == last else 0
        last = n
    serve.send_signal(signal.SIGTERM)
    stats = json.loads(serve.communicate(timeout=120)[0])
    err.close()

    received = stats["csm"]["datagrams"]
    committed = stats["sources"].get("csm", {}).get("events_in", 0)
    series = stats["series"][0] if stats["series"] else {}
    result = {
        "rate_target": a.rate,
        "seconds": a.seconds,
        "sent": sent["sent"],
        "send_rate": sent["rate"],
        "received": received,
        "committed": committed,
        "lost": sent["sent"] - received,
        "store_requests": series.get("requests"),
        "store_failed": series.get("failed_requests"),
        "latency": stats["event_to_mup_latency"],
        "rss_kb_first": rss[0],
        "rss_kb_after_10s": rss[min(10, len(rss) - 1)],
        "rss_kb_last": rss[-1],
        "rss_kb_max": max(rss),
        "rss_kb_every_60s": rss[::60],
        "serve_core": a.core,
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
