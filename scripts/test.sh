#!/usr/bin/env bash
# Installs dependencies, checks the module layering, builds recoup twice
# (optimised, and with AddressSanitizer + UndefinedBehaviorSanitizer), runs
# every test suite on both, checks formatting, runs each fuzzer briefly, and
# builds the product code once more with clang 14: thread-safety analysis
# (-Wthread-safety) and clang-tidy (.clang-tidy) on every file, warnings as
# errors.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs="$(nproc)"

echo "== layering (scripts/check-layering.py: includes, CMake DEPS, docs/ARCHITECTURE.md)"
python3 scripts/check-layering.py

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
echo "== clang: thread-safety analysis and clang-tidy (preset tidy)"
cmake --preset tidy >/dev/null
cmake --build --preset tidy -j"$jobs"
echo "all checks passed"
