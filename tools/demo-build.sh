#!/usr/bin/env bash
# What both demos start with: the packages, and a release build in build/ (tests left out).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPIPELINE_TESTS=OFF \
  -DPIPELINE_SANITIZE=OFF -DPIPELINE_WERROR=OFF >/dev/null
cmake --build build
