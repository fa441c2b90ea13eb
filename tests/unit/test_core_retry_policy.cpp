// The retry policy on its own: an attempt's status, whether it is retried, the backoff.
#include <catch2/catch.hpp>

#include "core/retry_policy.hpp"

using namespace pipeline;

namespace {

ProcessResult exited(int code) {
  ProcessResult r;
  r.started = true;
  r.exit_code = code;
  return r;
}

}  // namespace

TEST_CASE("retry policy: the status an attempt gives", "[retry]") {
  CHECK(outcome_of(exited(0)) == StageStatus::kSucceeded);
  CHECK(outcome_of(exited(3)) == StageStatus::kFailed);
  ProcessResult timed_out = exited(0);
  timed_out.exit_code.reset();
  timed_out.signal = 15;
  timed_out.timed_out = true;
  CHECK(outcome_of(timed_out) == StageStatus::kTimedOut);
  ProcessResult pattern = timed_out;  // the pattern was seen before the timeout's kill
  pattern.completed_by_pattern = true;
  CHECK(outcome_of(pattern) == StageStatus::kSucceeded);
  ProcessResult not_started;
  not_started.start_error = "program 'x' not found in PATH";
  CHECK(outcome_of(not_started) == StageStatus::kFailed);
  CHECK(describe(not_started, StageConfig{}) == "program 'x' not found in PATH");
  CHECK(describe(exited(3), StageConfig{}) == "exit code 3");
}

TEST_CASE("retry policy: retry_on names what is retried", "[retry]") {
  StageConfig any;
  CHECK(should_retry(any, exited(3)));  // no retry_on: every failure

  StageConfig on_exit_75;
  on_exit_75.retry_on = {{RetryCondition::Kind::kExitCode, 75}};
  CHECK(should_retry(on_exit_75, exited(75)));
  CHECK_FALSE(should_retry(on_exit_75, exited(3)));
  ProcessResult hung = exited(75);
  hung.hung = true;  // the exit code of a killed hang is not the program's answer
  CHECK_FALSE(should_retry(on_exit_75, hung));

  StageConfig on_hang;
  on_hang.retry_on = {{RetryCondition::Kind::kHang, 0}};
  CHECK(should_retry(on_hang, hung));
  CHECK_FALSE(should_retry(on_hang, exited(1)));
}

TEST_CASE("retry policy: backoff grows by its factor up to its cap", "[retry]") {
  Backoff b;
  b.initial = Millis(1000);
  b.factor = 2.0;
  b.max = Millis(5000);
  CHECK(backoff_delay(b, 1) == Millis(1000));
  CHECK(backoff_delay(b, 2) == Millis(2000));
  CHECK(backoff_delay(b, 3) == Millis(4000));
  CHECK(backoff_delay(b, 4) == Millis(5000));
  CHECK(backoff_delay(b, 60) == Millis(5000));  // no overflow far past the cap
}
