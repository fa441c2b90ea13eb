#include <catch2/catch.hpp>
#include <set>

#include "util/run_id.hpp"

using namespace pipeline;

TEST_CASE("run ids are UUIDv7 and sort by start time", "[run_id]") {
  TimePoint t0 = TimePoint(std::chrono::milliseconds(1'700'000'000'000));
  std::string a = make_run_id(t0);
  std::string b = make_run_id(t0 + std::chrono::milliseconds(1));
  CHECK(is_run_id(a));
  CHECK(a[14] == '7');                                          // version
  CHECK(std::string("89ab").find(a[19]) != std::string::npos);  // variant
  CHECK(a < b);
  CHECK(a.substr(0, 13) == "018bcfe5-6800");  // 48-bit milliseconds up front
}

TEST_CASE("run ids are unique within one millisecond", "[run_id]") {
  TimePoint t0 = TimePoint(std::chrono::milliseconds(1'700'000'000'000));
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(make_run_id(t0));
  CHECK(ids.size() == 1000);
}

TEST_CASE("run id text is checked strictly", "[run_id]") {
  CHECK(is_run_id_prefix("018bcfe5"));
  CHECK(is_run_id_prefix("018bcfe5-6800"));
  CHECK_FALSE(is_run_id_prefix(""));
  CHECK_FALSE(is_run_id_prefix("../etc/passwd"));
  CHECK_FALSE(is_run_id_prefix("018BCFE5"));
  CHECK_FALSE(is_run_id("018bcfe5"));
  CHECK_FALSE(is_run_id("018bcfe5x6800-7000-8000-000000000000"));
}
