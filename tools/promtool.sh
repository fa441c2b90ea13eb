#!/usr/bin/env bash
# Puts Prometheus's promtool (Debian's prometheus package, unpacked, never installed: no
# Prometheus server is started on the machine) at DIR/promtool, for the metrics test
# that checks the runner's textfile with `promtool check metrics`. Cached: a second call is a
# no-op.
#   tools/promtool.sh DIR
set -euo pipefail
dir=$(realpath -m "${1:?usage: tools/promtool.sh DIR}")
[[ -x $dir/promtool ]] && exit 0
rm -rf "$dir/deb" && mkdir -p "$dir/deb"
cd "$dir/deb"
apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus >/dev/null; }
dpkg-deb -x prometheus_*.deb unpacked
mv unpacked/usr/bin/promtool "$dir/promtool"
cd "$dir" && rm -rf deb
"$dir/promtool" --version >/dev/null
