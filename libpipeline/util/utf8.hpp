#pragma once
/// Stage output is arbitrary bytes; everything we write as text is valid UTF-8.

#include <string>
#include <string_view>

namespace pipeline {

/// Copies bytes, replacing each maximal invalid UTF-8 subsequence with U+FFFD.
std::string sanitize_utf8(std::string_view bytes);

/// A message a person reads, at most about max_bytes: a longer one (a 120 KB argument or a
/// long value quoted back) keeps its start and end and says how much was left out between.
std::string cut_middle(std::string_view text, std::size_t max_bytes);

/// The text as UTF-16LE bytes after a byte order mark, the encoding Windows tools such as
/// schtasks read an XML file in. Invalid UTF-8 becomes U+FFFD first.
std::string utf16le_with_bom(std::string_view utf8);

/// UTF-16 (a Windows name) as UTF-8. A lone surrogate, which a Windows name may hold, becomes
/// U+FFFD.
std::string utf8_from_utf16(std::u16string_view units);

}  // namespace pipeline
