#!/usr/bin/env bash
# The windowed example (config/events.yaml, SPEC 11) on its bundled sample events: a first
# run, a week with the machine off, the catch-up in bounded runs, and a backfill of one day.
# The runner and its stage programs run at the January 2026 times libfaketime gives them
# (the sample's events are from then); only the wall clock is faked, timeouts run true.
# Run from anywhere, as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/demo-build.sh
rm -rf data/events logs/events state/events  # a fresh start each time
runner="$PWD/build/apps/pipeline_runner/pipeline_runner"
config="$PWD/config/events.yaml"
at() {  # at "YYYY-MM-DD HH:MM:SS" ARGS...: the runner at that (UTC) time, as cron starts it
  local when=$1
  shift
  (cd / && env -i LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 \
    FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME="@$when" TZ=UTC "$runner" "$@" -c "$config")
}
ledger() {  # how many windows each program processed how many times
  sort data/events/ledger.txt | uniq -c |
    awk '{n[$2" "$1]++} END {for (k in n) {split(k, a, " "); print "  " a[1] ": " n[k] " windows processed " a[2] " time(s)"}}' | sort
}

echo "== 2026-01-03 12:00 UTC: 15 windows are due (ended a day ago); a run takes 12"
at "2026-01-03 12:00:00" run -q
at "2026-01-03 12:00:00" audit list --limit 1

echo "== the machine is off for a week; from 2026-01-10 12:00 a run every minute catches up"
for minute in $(seq -w 0 20); do
  at "2026-01-10 12:$minute:00" run -q
  at "2026-01-10 12:$minute:00" audit list --limit 1 | tail -1
  if at "2026-01-10 12:$minute:00" audit show latest --json | grep -q '"status": "idle"'; then
    break
  fi
done
at "2026-01-10 12:30:00" status | grep -E "windows|pipeline"
echo "== the stage programs' ledger"
ledger
echo "== every event that left the source reached the warehouse:"
echo "  extracted: $(cat data/events/extract/*.csv | grep -vc '^event_id'), in the warehouse: $(cat data/events/warehouse/*.csv | grep -vc '^event_id')"

echo "== a backfill of January 2nd, New York time: both stages, under the run lock"
at "2026-01-10 12:40:00" windows reset --stage extract --from 2026-01-02 --to 2026-01-03
at "2026-01-10 12:40:00" windows reset --stage load --from 2026-01-02 --to 2026-01-03
at "2026-01-10 12:41:00" run -q
at "2026-01-10 12:41:00" audit list --limit 1 | tail -1
ledger
echo "== windows list --stage load (the last 3 of the backfilled day):"
at "2026-01-10 12:42:00" windows list --stage load | sed -n '1p;20,22p'
