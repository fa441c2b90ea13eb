#!/usr/bin/env bash
# Installs what pipeline_runner builds with, from Debian's packages, and any packages named as
# arguments (the test command adds chromium). Idempotent: when every package is already there
# it asks no network at all.
set -euo pipefail
packages=(cmake ninja-build g++ libboost1.81-dev libboost-filesystem1.81-dev libcli11-dev
          libyaml-cpp-dev libspdlog-dev nlohmann-json3-dev libsqlite3-dev libsqlitecpp-dev catch2
          libre2-dev pkg-config strace faketime python3 clang-tidy
          systemd libxml2-utils iproute2 libcurl4-openssl-dev python3-aiosmtpd openssl tzdata dpkg-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The date library's tz.cpp and the IANA text files (for the Windows build), from Debian's
# source packages: cmake/date_tz.cmake compiles them (Debian ships no static libdate-tz).
"$(dirname "$0")/debian-source.sh" "$(dirname "$0")/../build-deps" howardhinnant-date tzdata
