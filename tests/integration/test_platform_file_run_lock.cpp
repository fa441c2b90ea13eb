#include <catch2/catch.hpp>

#include "fakes/fake_clock.hpp"
#include "platform/file_run_lock.hpp"
#include "support/temp_dir.hpp"

using namespace pipeline;
using namespace pipeline::testing;

TEST_CASE("one holder at a time - the owner is recorded - release frees it", "[lock]") {
  TempDir dir;
  FakeClock clock;
  FileRunLock first(dir / "runner.lock");
  REQUIRE(first.acquire(Millis(0), clock, R"({"pid":1,"run_id":"a"})"));
  CHECK(slurp(dir / "runner.lock") == "{\"pid\":1,\"run_id\":\"a\"}\n");

  FileRunLock second(dir / "runner.lock");
  CHECK_FALSE(second.acquire(Millis(0), clock, "{}"));
  CHECK(second.holder() == "{\"pid\":1,\"run_id\":\"a\"}\n");

  // lock.wait: polls through the clock until the wait is over
  FileRunLock waiting(dir / "runner.lock");
  CHECK_FALSE(waiting.acquire(Millis(1000), clock, "{}"));
  CHECK(clock.sleeps.size() == 10);

  first.release();
  CHECK(second.acquire(Millis(0), clock, R"({"pid":2})"));
}

TEST_CASE("a lock that dies with its holder is free again", "[lock]") {
  TempDir dir;
  FakeClock clock;
  {
    FileRunLock scoped(dir / "runner.lock");
    REQUIRE(scoped.acquire(Millis(0), clock, "{}"));
  }  // closing the descriptor is what a dead process does
  FileRunLock next(dir / "runner.lock");
  CHECK(next.acquire(Millis(0), clock, "{}"));
}

TEST_CASE("the lock remembers what a dead holder left - a clean release leaves nothing", "[lock]") {
  TempDir dir;
  FakeClock clock;
  {
    FileRunLock clean(dir / "runner.lock");
    REQUIRE(clean.acquire(Millis(0), clock, R"({"run_id":"a"})"));
    CHECK(clean.previous_owner().empty());
    clean.update(R"({"run_id":"a","stage_processes":[77]})");
    CHECK(slurp(dir / "runner.lock") == "{\"run_id\":\"a\",\"stage_processes\":[77]}\n");
    clean.release();
  }
  CHECK(slurp(dir / "runner.lock").empty());

  // A holder that dies keeps its record in the file (the OS lock goes with it).
  write_file(dir / "runner.lock", "{\"run_id\":\"dead\"}\n");
  FileRunLock next(dir / "runner.lock");
  REQUIRE(next.acquire(Millis(0), clock, R"({"run_id":"b"})"));
  CHECK(next.previous_owner() == "{\"run_id\":\"dead\"}\n");
  CHECK(slurp(dir / "runner.lock") == "{\"run_id\":\"b\"}\n");
}
