#!/usr/bin/env bash
# Installs what recoup needs to build and test, from Debian 12 packages only.
# Safe to re-run: installs only what is missing.
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config git python3
  libsqlite3-dev libssl-dev zlib1g-dev libsimdjson-dev libisal-dev libgmp-dev libxxhash-dev
  libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 clang-format-14 libclang-rt-14-dev libfuzzer-14-dev
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "Installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
