#pragma once
/// SHA-256 of a byte string, as lower-case hex: the report names the exact config it ran.

#include <string>
#include <string_view>

namespace pipeline {

/// FIPS 180-4 SHA-256 of data, as 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace pipeline
