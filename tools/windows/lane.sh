#!/usr/bin/env bash
# The Windows lane: cross-builds everything for 64-bit Windows with mingw-w64 and runs the
# unit, integration and end-to-end tests under wine with CTest (tests that need POSIX tools
# are in _posix.cpp files, left out). Everything lives in BUILD_DIR (default build-win): the
# cross-built dependencies in deps/ (built once, then reused), wine's prefix in wineprefix/,
# and the programs, among them apps/pipeline_runner/pipeline_runner.exe, which runs on
# Windows as it is.
#   tools/windows/lane.sh [BUILD_DIR]
# Everything is built at -O1: this lane checks behaviour, the Linux release build is the one
# measured. At -O1 GCC 12 takes std::optional's storage for maybe-uninitialized (GCC bug
# 80635, a false positive the -O3 and -O0 builds do not show): that one warning is off here.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(realpath -m "${1:-build-win}")
jobs=$(nproc)
tools/windows/build-deps.sh "$build/deps"

# wine, started once and detached from every pipe: a wine service that inherits CTest's
# output would make it wait for each test's services (NOTES-platform.md).
export WINEPREFIX=$build/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$WINEPREFIX"
wineserver -p </dev/null >/dev/null 2>&1
trap 'wineserver -k >/dev/null 2>&1 || true' EXIT
wine wineboot -i </dev/null >/dev/null 2>&1

tools/windows/path_probe.py x86_64-w64-mingw32-g++-posix "$build/path-probe"
cmake -S . -B "$build" -G Ninja --toolchain cmake/mingw-w64-x86_64.cmake \
  -DPIPELINE_WIN_DEPS="$build/deps/prefix" -DCMAKE_BUILD_TYPE=Release \
  -DPIPELINE_PATH_PROBE="$build/path-probe" \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG -Wno-maybe-uninitialized" -DPIPELINE_UNITY=ON \
  -DPIPELINE_WERROR=ON >/dev/null
cmake --build "$build"
echo "== Windows build under wine (tests tagged [real-windows] need a real console: left out)"
if ! ctest --test-dir "$build" -j "$jobs" --output-on-failure; then
  # Once, in a fresh prefix, wine failed to start two test processes at all (a test's own
  # CreateProcessW, and a test program that printed nothing); neither failed again in five
  # reruns. The tests that failed run once more, alone, and their first failure stays above
  # in the log: a failure of ours fails twice.
  echo "== rerunning, alone, the tests that failed under wine"
  ctest --test-dir "$build" --rerun-failed --output-on-failure
fi
