#!/usr/bin/env bash
# clang-tidy (.clang-tidy at the top) over every source of libpipeline/ and apps/, in
# parallel, against a build tree's compile_commands.json. Fails on any finding.
# Usage: tools/tidy.sh [BUILD_DIR]   (default build-test)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-test}
files=$(find libpipeline apps -name '*.cpp' ! -name '*_win32.cpp' | sort)
# The compile commands are GCC's; clang does not know some of its warning flags.
# Its counts of suppressed warnings in system headers are noise; anything else on stderr shows.
echo "$files" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet \
  --extra-arg=-Wno-unknown-warning-option \
  2> >(grep -Ev "warnings? (and [0-9]+ errors? )?generated|^Suppressed|^Use -header-filter|treated as error" >&2)
echo "tidy: clean ($(echo "$files" | wc -l) files)"
