#!/usr/bin/env bash
# Builds a release pipeline_runner and runs the benchmarks: a table on stdout and in
# BENCHMARKS.md. Installs what it measures against (Debian's snakemake and python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/install-deps.sh
for p in python3 snakemake; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" || echo "($p not installed)"; }
done
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPIPELINE_TESTS=OFF \
  -DPIPELINE_SANITIZE=OFF -DPIPELINE_WERROR=OFF >/dev/null
cmake --build build
/usr/bin/python3 tools/bench/bench.py --build build --out BENCHMARKS.md "$@"
