// The stop ladder as data: which step comes when, without a process.
#include <catch2/catch.hpp>

#include "supervise/stop_ladder.hpp"

using namespace pipeline;

TEST_CASE("the ladder: terminate, grace, kill - then nothing more is due", "[ladder]") {
  auto ladder = StopLadder::terminate_then_kill(Millis(300));
  CHECK_FALSE(ladder.started());
  CHECK_FALSE(ladder.next_due());  // nothing asked for a stop: no deadline

  const auto t0 = Steady::time_point{} + std::chrono::hours(1);
  std::vector<StopStep> sent;
  auto send = [&](StopStep s) {
    sent.push_back(s);
    return true;
  };
  CHECK(ladder.climb(t0, send) == StopStep::kTerminate);
  CHECK(ladder.started());
  CHECK_FALSE(ladder.done());
  REQUIRE(ladder.next_due());
  CHECK(*ladder.next_due() == t0 + Millis(300));

  const auto t1 = t0 + Millis(300);
  CHECK(ladder.climb(t1, send) == StopStep::kKill);
  CHECK(ladder.done());
  CHECK_FALSE(ladder.next_due());  // after the kill: only the exit is waited for
  CHECK(sent == std::vector<StopStep>{StopStep::kTerminate, StopStep::kKill});
  CHECK_THROWS(ladder.climb(t1, send));  // no rung above the last
}

TEST_CASE("kill_now: one step", "[ladder]") {
  auto ladder = StopLadder::kill_now(Millis(50));
  std::vector<StopStep> sent;
  ladder.climb(Steady::now(), [&](StopStep s) {
    sent.push_back(s);
    return false;  // nothing was there: the ladder goes on regardless
  });
  CHECK(ladder.done());
  CHECK(sent == std::vector<StopStep>{StopStep::kKill});
}
