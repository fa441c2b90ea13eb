#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fakes/fake_clock.hpp"
#include "fakes/fake_file_system.hpp"
#include "records/event_logger.hpp"
#include "support/abs_path.hpp"

using namespace pipeline;
using pipeline::testing::FakeClock;
using pipeline::testing::FakeFileSystem;

TEST_CASE("events are one JSON object per line in SPEC order", "[events]") {
  FakeFileSystem files;
  FakeClock clock;
  EventLogger log(files, clock, "/l/events/e.jsonl"_abs, "RID", {});
  log.emit("pipeline", "start", "run started", {{"x", 1}});
  log.emit("stage1", "failure", "bad \xff bytes", {{"tail", "\xc3\x28"}});
  const std::string& text = files.appended.at("/l/events/e.jsonl"_abs);
  auto nl = text.find('\n');
  std::string first = text.substr(0, nl);
  CHECK(first.rfind("{\"run_id\":\"RID\",\"seq\":1,\"timestamp\":", 0) == 0);
  auto j = nlohmann::json::parse(first);
  CHECK(j["event"] == "pipeline.start");
  CHECK(j["stage"] == "pipeline");
  CHECK(j["data"]["x"] == 1);
  auto second = nlohmann::json::parse(text.substr(nl + 1));
  CHECK(second["event"] == "stage1.failure");
  CHECK(second["msg"] == "bad \xEF\xBF\xBD bytes");
  CHECK(second["seq"] == 2);
}

TEST_CASE("a failing event log warns once and never throws", "[events]") {
  FakeFileSystem files;
  FakeClock clock;
  files.fail_appends("/l/e.jsonl"_abs);
  std::vector<std::string> warnings;
  EventLogger log(files, clock, "/l/e.jsonl"_abs, "RID",
                  [&](const std::string& w) { warnings.push_back(w); });
  for (int i = 0; i < 5; ++i) CHECK_NOTHROW(log.emit("pipeline", "start", "x"));
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("No space left on device"));
  CHECK_FALSE(log.healthy());

  files.fail_on("/m/e.jsonl", "Read-only file system");
  std::vector<std::string> w2;
  EventLogger unopenable(files, clock, "/m/e.jsonl", "RID",
                         [&](const std::string& w) { w2.push_back(w); });
  CHECK_NOTHROW(unopenable.emit("pipeline", "start", "x"));
  CHECK(w2.size() == 1);
}
