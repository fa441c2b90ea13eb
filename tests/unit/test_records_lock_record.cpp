#include <catch2/catch.hpp>

#include "records/lock_record.hpp"

using namespace pipeline;

TEST_CASE("the lock's owner record reads back what was written", "[lock_record]") {
  LockOwner run;
  run.pid = 4242;
  run.host = "etl1";
  run.run_id = "018bcfe5-6800-7000-8000-000000000001";
  run.started_at = "2026-12-02T06:00:00.000+00:00";
  run.stage_processes = {"pgid:4250:start:123"};
  auto back = lock_owner_from_text(lock_owner_to_text(run));
  REQUIRE(back.has_value());
  CHECK(back->pid == 4242);
  CHECK(back->run_id == run.run_id);
  CHECK(back->stage_processes == run.stage_processes);
  CHECK(describe(back) == "run " + run.run_id + ", pid 4242 on etl1, since " + run.started_at);

  LockOwner command;
  command.pid = 7;
  command.host = "etl1";
  command.command = "history rebuild";
  CHECK(lock_owner_to_json(command) ==
        nlohmann::json({{"pid", 7}, {"host", "etl1"}, {"command", "history rebuild"}}));
  CHECK(describe(lock_owner_from_text(lock_owner_to_text(command))) ==
        "`history rebuild`, pid 7 on etl1, since ?");
}

TEST_CASE("a lock file torn or written by hand never throws", "[lock_record]") {
  CHECK_FALSE(lock_owner_from_text("").has_value());
  CHECK_FALSE(lock_owner_from_text(R"({"pid": 12, "host": "a)").has_value());  // torn
  CHECK_FALSE(lock_owner_from_text("[1, 2]").has_value());
  CHECK(describe(std::nullopt) == "owner unknown");
  auto odd = lock_owner_from_text(
      R"({"pid": "12", "host": 5, "run_id": "r", "stage_processes": ["a", 3, null, "b"]})");
  REQUIRE(odd.has_value());
  CHECK(odd->pid == 0);  // of the wrong type: as if absent
  CHECK(odd->host.empty());
  CHECK(odd->stage_processes == std::vector<std::string>{"a", "b"});
}
