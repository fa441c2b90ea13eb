#!/usr/bin/env bash
# Cross-builds the dependencies the Windows lane links, from Debian's own source packages,
# into PREFIX (default build-win-deps/prefix), and links the header-only ones in. Built once:
# a stamp naming the source versions makes a second call a no-op (seconds).
#   tools/windows/build-deps.sh [DEPS_DIR]
# Installs what it needs from Debian (the cross compiler, wine, the tools to unpack source
# packages, unicode-data for re2's tables) and adds a deb-src entry for bookworm main.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  g++-mingw-w64-x86-64-posix mingw-w64-tools wine64 wine dpkg-dev unicode-data >/dev/null
deps=$(realpath -m "${1:-build-win-deps}")
prefix=$deps/prefix
toolchain=$root/cmake/mingw-w64-x86_64.cmake
mkdir -p "$deps/src" "$prefix/include" "$prefix/lib"

# Debian's source packages (bookworm main), the same versions the Linux build links, fetched
# and unpacked with Debian's patches; and the date library and the zone data the Windows
# build reads (cmake/date_tz.cmake).
packages=(yaml-cpp re2 sqlitecpp curl)
tools/debian-source.sh "$deps/src" "${packages[@]}"
tools/debian-source.sh build-deps howardhinnant-date tzdata
versions=$(for p in "${packages[@]}"; do apt-cache showsrc "$p" | awk '/^Version:/ {print $2; exit}'; done | tr '\n' ' ')
stamp="$versions$(sha256sum "$toolchain" "$root/tools/windows/build-deps.sh" | cut -c1-16 | tr '\n' ' ')"
if [[ -f $prefix/.built && "$(cat "$prefix/.built")" == "$stamp" ]]; then
  echo "windows deps: cached in $prefix"
  exit 0
fi

cd "$deps/src"
src_of() { find "$deps/src" -maxdepth 1 -type d -name "$1-*" | head -1; }

cross() {  # cross NAME SOURCE_DIR CMAKE_ARGS...
  local name=$1 src=$2
  shift 2
  cmake -S "$src" -B "$deps/build-$name" -G Ninja --toolchain "$toolchain" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF \
    -DPIPELINE_WIN_DEPS="$prefix" "$@" >/dev/null
  cmake --build "$deps/build-$name" >/dev/null
  cmake --install "$deps/build-$name" >/dev/null
  echo "windows deps: $name built"
}

cross yaml-cpp "$(src_of yaml-cpp)" -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF \
  -DYAML_CPP_BUILD_CONTRIB=OFF
# re2's Debian tarball leaves out its generated tables; Debian's build makes them from the
# unicode-data package (its patch points unicode.py there), and so do we.
re2_src=$(src_of re2)
if [[ ! -f $re2_src/re2/unicode_groups.cc ]]; then
  (cd "$re2_src" && perl re2/make_perl_groups.pl > re2/perl_groups.cc &&
    python3 re2/make_unicode_casefold.py > re2/unicode_casefold.cc &&
    python3 re2/make_unicode_groups.py > re2/unicode_groups.cc)
fi
cross re2 "$re2_src" -DRE2_BUILD_TESTING=OFF
# SQLiteCpp's tarball carries the SQLite amalgamation; its own build compiles it.
cross sqlitecpp "$(src_of sqlitecpp)" -DSQLITECPP_INTERNAL_SQLITE=ON -DSQLITECPP_RUN_CPPLINT=OFF \
  -DSQLITECPP_RUN_CPPCHECK=OFF -DSQLITECPP_BUILD_TESTS=OFF -DSQLITECPP_BUILD_EXAMPLES=OFF \
  -DSQLITE_OMIT_LOAD_EXTENSION=ON

# libcurl for the alerts (HTTP and SMTP), on Schannel, Windows' own TLS and certificate store:
# no OpenSSL to build, and the machine's trusted CAs are the ones an administrator manages.
# Only what the runner speaks is built.
cross curl "$(src_of curl)" -DCURL_USE_SCHANNEL=ON -DCURL_USE_OPENSSL=OFF -DBUILD_CURL_EXE=OFF \
  -DBUILD_TESTING=OFF -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBPSL=OFF -DUSE_LIBIDN2=OFF \
  -DCURL_ZLIB=OFF -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_NGHTTP2=OFF -DCURL_DISABLE_LDAP=ON \
  -DCURL_DISABLE_LDAPS=ON -DCURL_DISABLE_FTP=ON -DCURL_DISABLE_TELNET=ON -DCURL_DISABLE_DICT=ON \
  -DCURL_DISABLE_TFTP=ON -DCURL_DISABLE_GOPHER=ON -DCURL_DISABLE_POP3=ON -DCURL_DISABLE_IMAP=ON \
  -DCURL_DISABLE_RTSP=ON -DCURL_DISABLE_MQTT=ON -DCURL_DISABLE_FILE=ON -DENABLE_MANUAL=OFF

# Header-only libraries: their folders only, never /usr/include itself (glibc's headers).
for h in nlohmann CLI catch2 spdlog fmt boost; do
  ln -sfn "/usr/include/$h" "$prefix/include/$h"
done
echo "$stamp" > "$prefix/.built"
echo "windows deps: ready in $prefix"
