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
