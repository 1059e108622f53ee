#!/usr/bin/env bash
# jq peer for the recoup ingest benchmark: one `zcat | jq` per file, N in parallel via
# xargs -P, then one jq merges the per-file group counts and prints the totals.
# Usage: bench/peer_jq.sh [--threads N] CORPUS_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
threads=1
if [[ ${1:-} == --threads ]]; then threads=$2; shift 2; fi
dir=${1:?usage: peer_jq.sh [--threads N] CORPUS_DIR}
work=$(mktemp -d "${TMPDIR:-/tmp}/peer_jq.XXXXXX")
trap 'rm -rf "$work"' EXIT
t0=$(date +%s.%N)
# Each worker writes its own file: concurrent writers on one pipe would interleave
# outputs larger than PIPE_BUF.
find "$dir" -type f -name '*.json.gz' -print0 | sort -z \
  | xargs -0 -P "$threads" -n 1 sh -c 'zcat -- "$2" | jq -c -f "$0" > "$1/$(basename "$2").counts"' \
      "$here/peer_jq.jq" "$work"
find "$work" -name '*.counts' -print0 | xargs -0 cat \
  | jq -n -c --argjson threads "$threads" '
      # merge with group_by (sort) - reduce with += is quadratic in jq 1.6
      [inputs | to_entries[]] as $all
      | ($all | group_by(.key) | map({key: .[0].key, value: (map(.value) | add)})) as $g
      | {tool: "jq", threads: $threads,
         records: ($g | map(.value) | add // 0), groups: ($g | length),
         classes: ({ok: 0, server: 0, throttle: 0, client: 0, cks: 0}
                   + ($g | group_by(.key | split("|")[4])
                         | map({key: (.[0].key | split("|")[4]), value: (map(.value) | add)}) | from_entries))}' > "$work/result.json"
t1=$(date +%s.%N)
res=$(cat "$work/result.json")
secs=$(echo "$t1 - $t0" | bc -l 2>/dev/null || python3 -c "print($t1-$t0)")
echo "$res" | jq -r --arg s "$secs" '"jq: \(.records) records, \(.groups) groups in \($s|tonumber*1000|round/1000) s, threads=\(.threads)"'
echo "$res" | jq -c --arg s "$secs" '. + {seconds: ($s|tonumber), records_per_s: (.records / ($s|tonumber) | round)}'
