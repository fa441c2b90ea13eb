#include <catch2/catch.hpp>

#include "util/utf8.hpp"

using pipeline::sanitize_utf8;

TEST_CASE("valid UTF-8 passes through unchanged", "[utf8]") {
  std::string s = "plain ascii, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80";
  CHECK(sanitize_utf8(s) == s);
}

TEST_CASE("invalid bytes become U+FFFD", "[utf8]") {
  const std::string r = "\xEF\xBF\xBD";
  CHECK(sanitize_utf8("a\xFF"
                      "b") == "a" + r + "b");
  CHECK(sanitize_utf8("\xC3\x28") == r + "(");                           // bad continuation
  CHECK(sanitize_utf8("\xE2\x82") == r);                                 // truncated at the end
  CHECK(sanitize_utf8("\xC0\xAF") == r + r);                             // overlong
  CHECK(sanitize_utf8("\xED\xA0\x80") == r + r + r);                     // surrogate
  CHECK(sanitize_utf8(std::string("\0x", 2)) == std::string("\0x", 2));  // NUL is valid
}

TEST_CASE("utf8_from_utf16: a Windows name as UTF-8, a lone surrogate as U+FFFD", "[utf8]") {
  CHECK(pipeline::utf8_from_utf16(u"caf\u00E9 \u6570\u636E") ==
        "caf\xC3\xA9 \xE6\x95\xB0\xE6\x8D\xAE");
  CHECK(pipeline::utf8_from_utf16(u"\U0001F600") == "\xF0\x9F\x98\x80");  // a surrogate pair
  const char16_t lone[] = {u'a', 0xD800, u'b', 0xDC00};
  CHECK(pipeline::utf8_from_utf16(std::u16string_view(lone, 4)) ==
        "a\xEF\xBF\xBD"
        "b\xEF\xBF\xBD");
  CHECK(pipeline::utf8_from_utf16(u"") == "");
}
