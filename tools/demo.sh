#!/usr/bin/env bash
# Sets everything up and runs the default pipeline (config/pipeline.yaml) on the bundled
# sample data, then shows the run's audit report. Run from anywhere, as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/demo-build.sh
# The pipeline consumes its inputs (lifecycle deletes raw files it translated), so the
# sample data is copied in fresh for the demo.
mkdir -p data/raw
cp sample_data/raw/*.csv data/raw/
# Reference data: the rates the analyzer starts from, and a stand-in for the IMF service
# (data/imf) that has published last month, which fx_rates fetches on the 15th, 22nd and 28th.
mkdir -p reference data/imf
cp -n sample_data/reference/fx_*.csv reference/
cp sample_data/imf/fx_published.csv "data/imf/fx_$(date -d "$(date +%Y-%m-01) -1 day" +%Y_%m).csv"
runner="$PWD/build/apps/pipeline_runner/pipeline_runner"
config="$PWD/config/pipeline.yaml"
echo "== plan"
"$runner" plan -c "$config"
echo "== run (as cron would: empty environment, cwd /)"
set +e
(cd / && env -i "$runner" --run-once -c "$config")
status=$?
set -e
echo "== exit code $status; the audit report:"
"$runner" audit show latest -c "$config"
echo "== a second run finds nothing to do:"
(cd / && env -i "$runner" --run-once -q -c "$config") && "$runner" audit list --limit 2 -c "$config"
exit $status
