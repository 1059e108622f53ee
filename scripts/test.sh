#!/usr/bin/env bash
# Installs dependencies, builds recoup twice (optimised, and with
# AddressSanitizer + UndefinedBehaviorSanitizer), runs every test suite on
# both, checks formatting, and runs each fuzzer briefly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs="$(nproc)"

echo "== build and test (release)"
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
ctest --preset release

echo "== build and test (asan+ubsan)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$jobs"
ctest --preset asan

if [ -f fuzz/run.sh ]; then
  echo "== fuzz smoke run"
  bash fuzz/run.sh "${RECOUP_FUZZ_SECONDS:-10}"
fi
echo "== format check"
bash scripts/check-format.sh
echo "all checks passed"
