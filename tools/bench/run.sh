#!/usr/bin/env bash
# Builds a release pipeline_runner and runs the benchmarks: a table on stdout and in
# BENCHMARKS.md (the figures, then tools/bench/findings.md). Installs what it measures against:
# Debian's python3, sqlite3 (the limit of `audit show latest`) and snakemake; the C limit
# programs in tools/bench/ are built by bench.py into build/bench/.
# Options go to bench.py: --only GROUP, --runs N, --compose (findings edited, nothing measured).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/install-deps.sh
for p in python3 sqlite3 snakemake; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" || echo "($p not installed)"; }
done
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPIPELINE_TESTS=OFF \
  -DPIPELINE_SANITIZE=OFF -DPIPELINE_WERROR=OFF >/dev/null
cmake --build build
/usr/bin/python3 tools/bench/bench.py --build build --out BENCHMARKS.md "$@"
