#include <catch2/catch.hpp>

#include "util/duration.hpp"

using namespace pipeline;

TEST_CASE("durations need a unit and combine", "[duration]") {
  CHECK(parse_duration("250ms") == Millis(250));
  CHECK(parse_duration("30s") == Millis(30'000));
  CHECK(parse_duration("5m") == Millis(300'000));
  CHECK(parse_duration("1h30m") == Millis(5'400'000));
  CHECK(parse_duration("2d") == Millis(172'800'000));
  CHECK(parse_duration("1m500ms") == Millis(60'500));
  CHECK(parse_duration("0s") == Millis(0));
}

TEST_CASE("malformed durations are refused", "[duration]") {
  for (const char* bad :
       {"", "30", "s", "1.5s", "-1s", "1 s", "1x", "1hm", "10sec", "m5", "99999999999999999999s"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
}

TEST_CASE("formatted durations read back", "[duration]") {
  for (auto ms : {0L, 1L, 999L, 1000L, 61'000L, 5'400'000L, 90'061'001L}) {
    auto text = format_duration(Millis(ms));
    INFO(text);
    CHECK(parse_duration(text) == Millis(ms));
  }
  CHECK(format_duration(Millis(5'400'000)) == "1h30m");
}
