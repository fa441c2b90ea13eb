#!/usr/bin/env bash
# Builds and runs the whole test suite three times, with warnings as errors: a release build
# (build-test/), an ASan+UBSan build (build-asan/) and the Windows lane (build-win/: mingw-w64
# and wine, tools/windows/lane.sh); clang-tidy reads every source of the library and the app
# (build-tidy/, configured only). The demo's build/ is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
# Chromium opens the dashboard in its test; promtool checks the metrics file.
tools/install-deps.sh chromium
tools/promtool.sh build-test/promtool
jobs=$(nproc)
# The Windows lane's packages (mingw-w64, wine) download and its dependencies build while the
# Linux builds compile; the lane waits for them at the end.
mkdir -p build-win
tools/windows/build-deps.sh build-win/deps >build-win/deps.log 2>&1 &
deps=$!
# Each phase says how long it took: CI has 25 minutes for all of them.
phase() { echo "== $* (at $((SECONDS / 60))m$((SECONDS % 60))s)"; }
phase "layers (the dependency rule, from the #include lines)"
python3 tools/check_layers_test.py
python3 tools/check_layers.py
# The library compiles in unity batches (a third of its compile time); clang-tidy still reads
# every file on its own, from the compile commands of a tree that is configured, not built.
phase "release build"
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Release -DPIPELINE_WERROR=ON \
  -DPIPELINE_UNITY=ON >/dev/null
cmake --build build-test
phase "clang-tidy (.clang-tidy: bugprone, performance, function size)"
cmake -S . -B build-tidy -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
tools/tidy.sh build-tidy
phase "sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPIPELINE_SANITIZE=ON \
  -DPIPELINE_UNITY=ON -DPIPELINE_WERROR=ON >/dev/null
cmake --build build-asan
phase "sanitizer tests"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan -j "$jobs" --output-on-failure
phase "release tests"
ctest --test-dir build-test -j "$jobs" --output-on-failure
phase "Windows lane (mingw-w64 + wine)"
wait "$deps" || { cat build-win/deps.log; exit 1; }
tools/windows/lane.sh build-win
phase "all passed"
