#include <catch2/catch.hpp>

#include "records/run_report.hpp"
#include "util/error.hpp"

using namespace pipeline;

namespace {
std::vector<StageRecord> stages(std::initializer_list<StageStatus> statuses) {
  std::vector<StageRecord> out;
  for (auto s : statuses) {
    StageRecord r;
    r.status = s;
    out.push_back(r);
  }
  return out;
}
}  // namespace

TEST_CASE("run status follows the stages that ran", "[status]") {
  using S = StageStatus;
  CHECK(status_from_stages({}) == RunStatus::kIdle);
  CHECK(status_from_stages(stages({S::kSkipped, S::kSkipped})) == RunStatus::kIdle);
  CHECK(status_from_stages(stages({S::kSucceeded, S::kSkipped})) == RunStatus::kSuccess);
  CHECK(status_from_stages(stages({S::kSucceeded, S::kFailed})) == RunStatus::kPartial);
  CHECK(status_from_stages(stages({S::kSucceeded, S::kHung})) == RunStatus::kPartial);
  CHECK(status_from_stages(stages({S::kFailed, S::kTimedOut, S::kSkipped})) == RunStatus::kFailure);
  CHECK(status_from_stages(stages({S::kNotStarted})) == RunStatus::kIdle);
}

TEST_CASE("exit codes follow SPEC section 2", "[status]") {
  CHECK(exit_code_for(RunStatus::kSuccess) == 0);
  CHECK(exit_code_for(RunStatus::kIdle) == 0);
  CHECK(exit_code_for(RunStatus::kPartial) == 1);
  CHECK(exit_code_for(RunStatus::kFailure) == 2);
  CHECK(exit_code_for(RunStatus::kError) == 3);
  CHECK(exit_code_for(RunStatus::kAborted, 143) == 143);
  CHECK(exit_code::kUsage == 4);
  CHECK(exit_code::kLocked == 5);
}

TEST_CASE("status names read back", "[status]") {
  for (auto s : {RunStatus::kSuccess, RunStatus::kPartial, RunStatus::kFailure, RunStatus::kIdle,
                 RunStatus::kAborted, RunStatus::kError}) {
    CHECK(run_status_from_string(to_string(s)) == s);
  }
  CHECK_FALSE(run_status_from_string("ok").has_value());
}

TEST_CASE("stage_ran, stage_failed and last_lines", "[report]") {
  CHECK(stage_ran(StageStatus::kSucceeded));
  CHECK(stage_ran(StageStatus::kHung));
  CHECK_FALSE(stage_ran(StageStatus::kSkipped));
  CHECK_FALSE(stage_ran(StageStatus::kNotStarted));
  CHECK(stage_failed(StageStatus::kFailed));
  CHECK(stage_failed(StageStatus::kTimedOut));
  CHECK_FALSE(stage_failed(StageStatus::kSucceeded));
  CHECK_FALSE(stage_failed(StageStatus::kSkipped));
  const std::vector<std::string> lines = {"a", "b", "c"};
  CHECK(last_lines(lines, 2) == std::vector<std::string>{"b", "c"});
  CHECK(last_lines(lines, 5) == lines);
  CHECK(last_lines({}, 3).empty());
}
