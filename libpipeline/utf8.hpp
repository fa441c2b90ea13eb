#pragma once
/// Stage output is arbitrary bytes; everything we write as text is valid UTF-8.

#include <string>
#include <string_view>

namespace pipeline {

/// Copies bytes, replacing each maximal invalid UTF-8 subsequence with U+FFFD.
std::string sanitize_utf8(std::string_view bytes);

}  // namespace pipeline
