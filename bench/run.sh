#!/usr/bin/env bash
# recoup ingest benchmark: every tool on the same corpus, in one run.
#
#   bench/run.sh                      # corpus in /tmp/recoup-bench/corpus (generated if missing)
#
# Environment:
#   RECOUP_BENCH_CORPUS  corpus dir (default /tmp/recoup-bench/corpus)
#   RECOUP_BENCH_MB      size when generating (default 1024 MiB uncompressed)
#   RECOUP_BENCH_BUILD   build dir for bench_bare_pass (default bench/out/build)
#   BARE_PASS_BIN        use this bench_bare_pass instead of building one
#   RECOUP_BIN           recoup binary (default build/apps/recoup/recoup, then build/recoup)
#   RECOUP_BENCH_SKIP    space-separated tools to skip: bare duckdb python jq recoup
#   RECOUP_BENCH_REPEAT  runs per row (default 1)
#   RECOUP_BENCH_PICK    which repetition the table shows: min (default, least disturbed) or median
#   RECOUP_BENCH_IDLE_WAIT  before each run, wait up to this many seconds (default 0) for a
#                        2-second window in which other processes use < 10% of the machine
#
# Each run is wrapped in /usr/bin/time -v (wall time, peak RSS). The page cache cannot be
# dropped here, so every file is read once before the first run (all runs are warm-cache).
# Output: bench/out/results.md (also printed), bench/out/results.json, bench/out/logs/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
corpus=${RECOUP_BENCH_CORPUS:-/tmp/recoup-bench/corpus}
mb=${RECOUP_BENCH_MB:-1024}
out="$here/out"
logs="$out/logs"
skip=" ${RECOUP_BENCH_SKIP:-} "
repeat=${RECOUP_BENCH_REPEAT:-1}
export RECOUP_BENCH_PICK=${RECOUP_BENCH_PICK:-min}
idle_wait=${RECOUP_BENCH_IDLE_WAIT:-0}
mkdir -p "$logs"
# One run at a time: runs share bench/out/ and would also disturb each other's timings.
exec 9>"$out/.lock"
if ! flock -n 9; then
  echo "run.sh: another bench/run.sh is running (lock $out/.lock); waiting for it" >&2
  flock 9
fi
rm -f "$logs"/*.txt "$out/runs.jsonl"

say() { printf '== %s\n' "$*" >&2; }
skipped() { [[ $skip == *" $1 "* ]]; }

# --- corpus -------------------------------------------------------------------------------
if [[ ! -f $corpus/corpus.json ]]; then
  if [[ -e $corpus/AWSLogs ]]; then
    echo "error: $corpus has AWSLogs/ but no corpus.json (interrupted generation?); delete it" >&2
    exit 1
  fi
  say "generating ${mb} MiB corpus in $corpus"
  python3 "$here/gen_corpus.py" --mb "$mb" --out "$corpus" >&2
fi

# --- tools --------------------------------------------------------------------------------
bare=${BARE_PASS_BIN:-}
if [[ -z $bare ]] && ! skipped bare; then
  build=${RECOUP_BENCH_BUILD:-$out/build}
  say "building bench_bare_pass in $build"
  cmake -S "$here" -B "$build" >"$logs/cmake.log" 2>&1 || { cat "$logs/cmake.log" >&2; exit 1; }
  cmake --build "$build" -j "$(nproc)" >>"$logs/cmake.log" 2>&1 || { cat "$logs/cmake.log" >&2; exit 1; }
  bare="$build/bench_bare_pass"
fi
if ! skipped duckdb && [[ ! -d $here/node_modules/@duckdb/node-api ]]; then
  say "npm ci (DuckDB peer)"
  (cd "$here" && npm ci --no-audit --no-fund >&2)
fi
recoup_bin=${RECOUP_BIN:-}
if [[ -z $recoup_bin ]]; then
  for c in "$root/build/apps/recoup/recoup" "$root/build/recoup"; do
    [[ -x $c ]] && { recoup_bin=$c; break; }
  done
fi

# --- warm-up: one read of every file (page cache cannot be dropped) ------------------------
say "warm-up read of $corpus"
find "$corpus" -type f -name '*.json.gz' -print0 | xargs -0 cat >/dev/null

tmp=$(mktemp -d "${TMPDIR:-/tmp}/recoup-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Busy CPU jiffies of the whole machine (to estimate CPU used by other processes).
busy_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }

# Wait (bounded) until the machine is nearly idle: shared build machines are noisy.
wait_idle() {
  ((idle_wait > 0)) || return 0
  local deadline=$((SECONDS + idle_wait)) hz ncpu b0 b1
  hz=$(getconf CLK_TCK); ncpu=$(nproc)
  while ((SECONDS < deadline)); do
    b0=$(busy_jiffies); sleep 2; b1=$(busy_jiffies)
    # busy fraction over 2 s < 10%
    (((b1 - b0) * 100 < 10 * 2 * hz * ncpu)) && return 0
  done
  say "machine still busy after ${idle_wait}s; running anyway"
}

# run NAME THREADS CMD...   -> appends one JSON line per repetition to out/runs.jsonl
# If $pre_hook is set, it is eval'ed before every repetition (e.g. to reset a store).
pre_hook=
run() {
  local name=$1 threads=$2; shift 2
  local rep
  for ((rep = 1; rep <= repeat; rep++)); do
    local tag="${name}-${threads}-${rep}"
    say "$tag: $*"
    local rc=0 b0 b1 load
    [[ -n $pre_hook ]] && eval "$pre_hook"
    wait_idle
    load=$(cut -d' ' -f1 /proc/loadavg)
    b0=$(busy_jiffies)
    /usr/bin/time -v -o "$logs/$tag.time.txt" "$@" >"$logs/$tag.stdout.txt" 2>"$logs/$tag.stderr.txt" || rc=$?
    b1=$(busy_jiffies)
    if [[ $rc -ne 0 ]]; then
      echo "   exit $rc (see $logs/$tag.stderr.txt)" >&2
      tail -5 "$logs/$tag.stderr.txt" >&2
    fi
    grep -v '^{' "$logs/$tag.stdout.txt" | head -3 | sed 's/^/   /' >&2 || true
    python3 - "$name" "$threads" "$rc" "$logs/$tag.time.txt" "$logs/$tag.stdout.txt" "$b0" "$b1" "$load" "$rep" "$logs/$tag.stderr.txt" \
      >>"$out/runs.jsonl" <<'PY'
import json, os, sys
name, threads, rc, tfile, ofile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
b0, b1, load, rep = int(sys.argv[6]), int(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9])
efile = sys.argv[10]
wall = rss = None
cpu = 0.0
for line in open(tfile):
    line = line.strip()
    if line.startswith("Elapsed (wall clock) time"):
        v = line.rsplit(": ", 1)[1].split(":")
        wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(v)))
    elif line.startswith("Maximum resident set size"):
        rss = int(line.rsplit(": ", 1)[1]) / 1024
    elif line.startswith(("User time (seconds)", "System time (seconds)")):
        cpu += float(line.rsplit(": ", 1)[1])
rep_json = {}
for line in list(open(ofile)) + list(open(efile)):
    if line.startswith("{"):
        try:
            rep_json = json.loads(line)
        except ValueError:
            pass
    elif line.startswith("records: ") and " read" in line:  # recoup text summary
        try:
            rep_json["records_read"] = int(line.split()[1].replace(",", ""))
        except ValueError:
            pass
hz = os.sysconf("SC_CLK_TCK")
other = max(0.0, (b1 - b0) / hz - cpu)
print(json.dumps({"tool": name, "threads": threads, "rep": rep, "rc": rc, "wall_s": wall, "cpu_s": round(cpu, 2),
                  "other_cpu_s": round(other, 2), "loadavg_1m_at_start": load, "peak_rss_mib": rss,
                  "report": rep_json}))
PY
  done
}

nthreads=$(nproc)
if ! skipped bare; then
  run bare_pass 1 "$bare" --threads 1 "$corpus"
  run bare_pass 2 "$bare" --threads 2 "$corpus"
fi
if ! skipped duckdb; then
  run duckdb 1 node "$here/peer_duckdb.mjs" --threads 1 "$corpus"
  run duckdb 2 node "$here/peer_duckdb.mjs" --threads 2 "$corpus"
fi
skipped python || run python 1 python3 "$here/peer_python.py" "$corpus"
skipped jq || run jq "$nthreads" "$here/peer_jq.sh" --threads "$nthreads" "$corpus"
if ! skipped recoup; then
  if [[ -n $recoup_bin && -x $recoup_bin ]]; then
    # Fresh store for every run (a reused store would skip already-ingested files).
    pre_hook='rm -f "$tmp/bench.db" "$tmp/bench.db-wal" "$tmp/bench.db-shm" "$tmp/bench.db-journal"'
    for t in 1 2; do
      # AWSLogs/ only: recoup ingests every file it finds, and corpus.json is not evidence.
      run recoup "$t" "$recoup_bin" --store "$tmp/bench.db" ingest "$corpus/AWSLogs" --threads "$t"
    done
    pre_hook=
  else
    say "recoup binary not found (set RECOUP_BIN); recoup rows skipped"
  fi
fi

# --- table ----------------------------------------------------------------------------------
python3 - "$corpus/corpus.json" "$out/runs.jsonl" "$out/results.md" "$out/results.json" "${recoup_bin:-}" <<'PY'
import json, os, platform, subprocess, sys, time
corpus_json, runs_file, md_file, json_file, recoup_bin = sys.argv[1:6]
c = json.load(open(corpus_json))
all_runs = [json.loads(l) for l in open(runs_file) if l.strip()]
runs, seen = [], {}
for r in all_runs:
    seen.setdefault((r["tool"], r["threads"]), []).append(r)
for reps in seen.values():
    ok = sorted((r for r in reps if r["wall_s"] is not None), key=lambda r: r["wall_s"])
    pick = os.environ.get("RECOUP_BENCH_PICK", "min")
    med = (ok[0] if pick == "min" else ok[(len(ok) - 1) // 2]) if ok else reps[0]
    med = dict(med, reps=len(reps), walls=[r["wall_s"] for r in reps],
               rc=max(r["rc"] for r in reps), peak_rss_mib=max(r["peak_rss_mib"] or 0 for r in reps))
    runs.append(med)
mb = c["uncompressed_bytes"] / 1e6
recs = c["records"]

def check(r):
    rep = r["report"]
    if r["rc"] != 0:
        return "FAILED (exit %d)" % r["rc"]
    if "records" not in rep:
        if "records_read" in rep:
            return ("ok (records read)" if rep["records_read"] == recs
                    else "records read %d != %d" % (rep["records_read"], recs))
        return "n/a"
    bad = []
    if rep["records"] != recs:
        bad.append("records %d != %d" % (rep["records"], recs))
    if "classes" in rep and rep["classes"] != c["classes"]:
        bad.append("classes differ")
    if "groups" in rep and rep["groups"] != c["groups"]:
        bad.append("groups %d != %d" % (rep["groups"], c["groups"]))
    return "MISMATCH: " + "; ".join(bad) if bad else "ok"

ref_bare = next((r["wall_s"] for r in runs if r["tool"] == "bare_pass" and r["threads"] == 1), None)
ref_duck = {r["threads"]: r["wall_s"] for r in runs if r["tool"] == "duckdb"}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
lines = [
    "# recoup ingest benchmark results",
    "",
    "- date: %s" % time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    "- machine: %s, nproc %d, %s, kernel %s" % (cpu, os.cpu_count(), platform.machine(), platform.release()),
    "- corpus: %s files, %s records, %.1f MB uncompressed (%.1f MB gzip), seed %s, month %s"
    % (c["files"], recs, mb, c["compressed_bytes"] / 1e6, c["seed"], c["month"]),
    "- warm page cache (one read of every file before the first run); wall time and peak RSS from /usr/bin/time -v;",
    "  MB/s = uncompressed JSON MB (10^6 bytes) / wall s; ratios = wall s / reference wall s (higher = slower);",
    "  %d run(s) per row, " % max(r["reps"] for r in runs) + ("fastest" if os.environ.get("RECOUP_BENCH_PICK", "min") == "min" else "median") + " run shown; CPU s = user+sys of the tool; other CPU s = CPU used by other"
    if runs else "",
    "  processes on the machine during that run (noise indicator); check = records/classes/groups vs corpus.json",
    "",
    "| tool | threads | wall s | MB/s uncompressed | records/s | peak RSS MiB | vs bare pass 1t | vs duckdb same threads | CPU s | other CPU s | check |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
]
for r in runs:
    w = r["wall_s"]
    vb = "%.2fx" % (w / ref_bare) if ref_bare and w else "-"
    d = ref_duck.get(r["threads"])
    vd = "%.2fx" % (w / d) if d and w else "-"
    tool = r["tool"] + (" (xargs -P)" if r["tool"] == "jq" else "")
    lines.append("| %s | %d | %.2f | %.0f | %.0f | %.0f | %s | %s | %.1f | %.1f | %s |" % (
        tool, r["threads"], w, mb / w, recs / w, r["peak_rss_mib"], vb, vd, r["cpu_s"], r["other_cpu_s"],
        check(r)))
if not any(r["tool"] == "recoup" for r in runs):
    lines.append("| recoup | 1, 2 | _not run: no recoup binary_ | | | | | | | | |")
lines += ["",
          "jq peak RSS is the largest single process (getrusage children), not the sum of the parallel jq processes.",
          ""]
text = "\n".join(lines)
open(md_file, "w").write(text)
json.dump({"corpus": c, "runs": runs, "all_runs": all_runs}, open(json_file, "w"), indent=2)
print(text)
PY
