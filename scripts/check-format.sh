#!/usr/bin/env bash
# Fails if any C++ source is not formatted with the pinned clang-format (14).
set -euo pipefail
cd "$(dirname "$0")/.."
fmt="$(command -v clang-format-14 || command -v clang-format)"
files=$(git ls-files '*.cc' '*.h' 2>/dev/null || find src apps tests fuzz bench -name '*.cc' -o -name '*.h')
"$fmt" --dry-run -Werror $files
