#!/usr/bin/env bash
# Fetches Debian's source package of a library we build ourselves (with Debian's patches
# applied) into DIR/NAME-VERSION, and links DIR/NAME to it; a second call is a no-op.
#   tools/debian-source.sh DIR PACKAGE...
# Adds a deb-src entry for bookworm main when apt has none (the sources are bookworm's: the
# versions the rest of the build uses), also when every package is already here.
set -euo pipefail
dir=$(realpath -m "$1")
shift
mkdir -p "$dir"
command -v dpkg-source >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
  --no-install-recommends dpkg-dev >/dev/null
if ! apt-get source --print-uris "$1" >/dev/null 2>&1; then
  cat > /etc/apt/sources.list.d/pipeline-runner-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq
fi
cd "$dir"
for p in "$@"; do
  [[ -e $p ]] && continue
  src=$(find . -maxdepth 1 -type d -name "$p-*" | sort | tail -1)
  if [[ -z $src ]]; then
    apt-get source -qq "$p" >/dev/null 2>&1  # fetched and unpacked with Debian's patches
    src=$(find . -maxdepth 1 -type d -name "$p-*" | sort | tail -1)
  fi
  [[ -n $src ]] || { echo "debian-source: $p did not unpack in $dir" >&2; exit 1; }
  ln -sfn "${src#./}" "$p"
done
