#!/usr/bin/env bash
# Installs dependencies, builds recoup, and runs the main job on a bundled,
# realistic example: a month of KMS evidence for two accounts and three
# Regions with a partial outage, ingested into a fresh store, with the
# verdict and the credit owed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
out="$(mktemp -d "${TMPDIR:-/tmp}/recoup-demo-XXXXXX")"
./build/release/apps/recoup/recoup demo --out "$out"
