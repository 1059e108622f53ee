#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang and runs each one over its seed
# corpus for a bounded time (STYLE.md R27). Exits non-zero if any harness
# crashes, finds a memory error or undefined behaviour, breaks an invariant,
# times out or leaks.
#
#   fuzz/run.sh [seconds-per-target] [harness...]
#
#   seconds-per-target  default 20 (CI passes a short budget)
#   harness             e.g. fuzz_cur (default: all)
#
# Environment:
#   RECOUP_FUZZ_BUILD_DIR  build folder (default <repo>/build-fuzz)
#   CC, CXX                default clang-14 / clang++-14 when installed
#   RECOUP_FUZZ_JOBS       build parallelism (default: nproc)
#   RECOUP_FUZZ_NO_BUILD=1 use the existing binaries
#
# Before fuzzing, every file in fuzz/regressions/<harness>/ (reproducers of
# bugs found earlier) is replayed; one that still crashes fails the run (the
# harness is fuzzed anyway). After a fix they guard against regressions.
# New corpus entries go to a scratch folder in the build folder, never into
# fuzz/corpus; crash inputs go to <build>/fuzz-artifacts/<harness>/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
seconds="${1:-20}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -lt 1 ]]; then
  echo "usage: $0 [seconds-per-target] [harness...]" >&2
  exit 2
fi

all=(fuzz_record_stream fuzz_cloudtrail fuzz_csm fuzz_jsonl fuzz_gzip fuzz_cur fuzz_catalog fuzz_time fuzz_otlp fuzz_access_log fuzz_validate)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all[@]}")

# Largest input per harness, and its dictionary.
declare -A max_len=(
  [fuzz_record_stream]=65536 [fuzz_cloudtrail]=65536 [fuzz_csm]=8192 [fuzz_jsonl]=16384
  [fuzz_gzip]=65536 [fuzz_cur]=65536 [fuzz_catalog]=16384 [fuzz_time]=256 [fuzz_otlp]=65536
  [fuzz_access_log]=16384 [fuzz_validate]=4096)
declare -A dict=(
  [fuzz_record_stream]=json.dict [fuzz_cloudtrail]=json.dict [fuzz_csm]=csm.dict
  [fuzz_jsonl]=json.dict [fuzz_gzip]=gzip.dict [fuzz_cur]=cur.dict
  [fuzz_catalog]=catalog.dict [fuzz_time]=time.dict [fuzz_otlp]=otlp.dict
  [fuzz_access_log]=json.dict [fuzz_validate]=validate.dict)
for t in "${targets[@]}"; do
  if [[ -z "${max_len[$t]:-}" ]]; then
    echo "unknown harness '$t' (want one of: ${all[*]})" >&2
    exit 2
  fi
done

build="${RECOUP_FUZZ_BUILD_DIR:-$root/build-fuzz}"
if [[ "${RECOUP_FUZZ_NO_BUILD:-0}" != 1 ]]; then
  if [[ -z "${CXX:-}" ]] && command -v clang++-14 >/dev/null; then
    export CC=clang-14 CXX=clang++-14
  fi
  mkdir -p "$build"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRECOUP_BUILD_FUZZERS=ON -DRECOUP_BUILD_TESTS=OFF -DRECOUP_SANITIZE=address,undefined \
    >"$build/fuzz-configure.log" 2>&1 || { cat "$build/fuzz-configure.log" >&2; exit 1; }
  cmake --build "$build" -j"${RECOUP_FUZZ_JOBS:-$(nproc)}" --target "${targets[@]}"
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:silence_unsigned_overflow=1}"

failed=()
summary=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  [[ -x "$bin" ]] || { echo "$bin: not built" >&2; exit 1; }
  artifacts="$build/fuzz-artifacts/$t"
  work="$build/fuzz-work/$t"
  log="$build/fuzz-logs/$t.log"
  mkdir -p "$artifacts" "$work" "$(dirname "$log")"

  regressions="$here/regressions/$t"
  if [[ -d "$regressions" ]] && compgen -G "$regressions/*" >/dev/null; then
    echo "== $t: replaying $(ls "$regressions" | wc -l) regression input(s)"
    : >"$log.regressions"
    for input in "$regressions"/*; do
      if ! "$bin" "$input" >>"$log.regressions" 2>&1; then
        echo "FAIL $t: regression input $(basename "$input") still crashes:" >&2
        grep -E "runtime error|ERROR: AddressSanitizer|invariant failed|uncaught exception" \
          "$log.regressions" | tail -1 >&2 || true
        [[ " ${failed[*]:-} " == *" $t(regression) "* ]] || failed+=("$t(regression)")
      fi
    done
  fi

  echo "== $t: fuzzing for ${seconds}s (max_len ${max_len[$t]})"
  args=(-max_total_time="$seconds" -max_len="${max_len[$t]}" -timeout=10 -rss_limit_mb=2560
        -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/")
  [[ -f "$here/${dict[$t]}" ]] && args+=(-dict="$here/${dict[$t]}")
  status=0
  "$bin" "${args[@]}" "$work" "$here/corpus/$t" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  cov=$(grep -oE "cov: [0-9]+ ft: [0-9]+" "$log" | tail -1)
  rate="?"
  [[ -n "${runs:-}" && -n "${secs:-}" && "${secs:-0}" -gt 0 ]] && rate=$((runs / secs))
  if [[ $status -ne 0 ]]; then
    echo "FAIL $t (exit $status); log: $log" >&2
    grep -E "invariant failed|runtime error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY|Test unit written|^    #[0-9]+ .* in (recoup::|LLVMFuzzerTestOneInput)" \
      "$log" | head -30 >&2 || true
    failed+=("$t")
    summary+=("$t: FAILED (${runs:-?} runs) $cov")
  else
    summary+=("$t: ok, ${runs:-?} runs, ${rate} exec/s, $cov")
  fi
done

echo
echo "Summary (${seconds}s per harness):"
printf '  %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
