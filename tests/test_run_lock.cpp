#include <catch2/catch.hpp>

#include "fakes/fake_clock.hpp"
#include "run_lock.hpp"
#include "temp_dir.hpp"

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
