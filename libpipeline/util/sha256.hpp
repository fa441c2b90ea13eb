#pragma once
/// SHA-256 of a byte string, as lower-case hex: the report names the exact config it ran.
/// Ours rather than OpenSSL's (libcrypto): 75 lines checked against the FIPS 180-4 vectors
/// cost less than a crypto library in the static link and in the mingw-w64 cross build,
/// where it would have to be built from source. Only configs and journals are hashed, so
/// speed does not matter; if libcrypto comes in for another reason (SMTP over TLS through
/// libcurl), this can go.

#include <string>
#include <string_view>

namespace pipeline {

/// FIPS 180-4 SHA-256 of data, as 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace pipeline
