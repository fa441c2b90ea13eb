#include <catch2/catch.hpp>

#include "util/json_read.hpp"

using namespace pipeline;

TEST_CASE("untrusted JSON is parsed only within a nesting bound", "[json][hostile]") {
  std::string error;
  CHECK(
      parse_untrusted_json(R"({"a": [1, {"b": "[[[[[[ in a string \" ]"}]})", &error).is_object());
  std::string deep = std::string(20000, '[') + std::string(20000, ']');
  CHECK(parse_untrusted_json(deep, &error).is_discarded());
  CHECK_THAT(error, Catch::Contains("nests deeper than 32 levels"));
  std::string edge = std::string(32, '[') + std::string(32, ']');
  CHECK(parse_untrusted_json(edge).is_array());
  CHECK(parse_untrusted_json(std::string(33, '{')).is_discarded());
  CHECK(parse_untrusted_json("{\"a\": ", &error).is_discarded());
  CHECK_THAT(error, Catch::Contains("parse error"));
}
