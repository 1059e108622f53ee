#!/usr/bin/env bash
# Installs what recoup needs to build and test, from Debian 12 packages only.
# Safe to re-run: installs only what is missing.
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config git python3
  libsqlite3-dev libssl-dev zlib1g-dev libsimdjson-dev libisal-dev libgmp-dev libxxhash-dev
  libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 clang-format-14 clang-tidy-14 libclang-rt-14-dev libfuzzer-14-dev
  libtomlplusplus-dev python3-aiosmtpd python3-botocore
  libmicrohttpd-dev libcpp-httplib-dev libprotobuf-dev protobuf-compiler chromium prometheus
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# Node.js and npm for the dashboard's chart library and the browser and
# OpenTelemetry tests (Debian's packages, unless a node with npm is present).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -ne 0 ]; then
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages, pinned by each folder's package-lock.json: web/ (uPlot,
# embedded into the binary at build time), tests/browser (playwright-core,
# driving Debian's chromium), tests/otel (AWS SDK + OpenTelemetry exporters).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for dir in web tests/browser tests/otel; do
  if [ -f "$root/$dir/package-lock.json" ]; then
    (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
