#include "records/run_report.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace pipeline {

std::string_view to_string(StageStatus s) {
  switch (s) {
    case StageStatus::kSucceeded:
      return "succeeded";
    case StageStatus::kFailed:
      return "failed";
    case StageStatus::kTimedOut:
      return "timed_out";
    case StageStatus::kHung:
      return "hung";
    case StageStatus::kSkipped:
      return "skipped";
    case StageStatus::kNotStarted:
      return "not_started";
  }
  return "unknown";
}

std::string_view to_string(RunStatus s) {
  switch (s) {
    case RunStatus::kSuccess:
      return "success";
    case RunStatus::kPartial:
      return "partial";
    case RunStatus::kFailure:
      return "failure";
    case RunStatus::kIdle:
      return "idle";
    case RunStatus::kAborted:
      return "aborted";
    case RunStatus::kError:
      return "error";
  }
  return "unknown";
}

std::optional<StageStatus> stage_status_from_string(std::string_view s) {
  for (StageStatus st : {StageStatus::kSucceeded, StageStatus::kFailed, StageStatus::kTimedOut,
                         StageStatus::kHung, StageStatus::kSkipped, StageStatus::kNotStarted}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

std::optional<RunStatus> run_status_from_string(std::string_view s) {
  for (RunStatus r : {RunStatus::kSuccess, RunStatus::kPartial, RunStatus::kFailure,
                      RunStatus::kIdle, RunStatus::kAborted, RunStatus::kError}) {
    if (to_string(r) == s) return r;
  }
  return std::nullopt;
}

RunStatus status_from_stages(const std::vector<StageRecord>& stages) {
  std::size_t ran = 0, succeeded = 0;
  for (const auto& s : stages) {
    if (!stage_ran(s.status)) continue;
    ++ran;
    if (s.status == StageStatus::kSucceeded) ++succeeded;
  }
  if (ran == 0) return RunStatus::kIdle;
  if (succeeded == ran) return RunStatus::kSuccess;
  if (succeeded == 0) return RunStatus::kFailure;
  return RunStatus::kPartial;
}

std::vector<ItemsOutcome> items_outcomes(const std::vector<StageRecord>& stages,
                                         std::size_t first) {
  std::vector<ItemsOutcome> out;
  for (std::size_t i = first; i < stages.size(); ++i) {
    const StageRecord& s = stages[i];
    if (!s.item) continue;
    auto it = std::find_if(out.begin(), out.end(), [&](const ItemsOutcome& o) {
      return o.stage == s.name && o.batch == s.batch;
    });
    if (it == out.end()) {
      ItemsOutcome o;
      o.stage = s.name;
      o.batch = s.batch;
      it = out.insert(out.end(), std::move(o));
    }
    ++it->items;
    if (s.status == StageStatus::kSucceeded) ++it->succeeded;
    if (s.status == StageStatus::kNotStarted) ++it->not_started;
  }
  for (auto& o : out) {
    o.outcome = o.succeeded == o.items ? "succeeded" : o.succeeded == 0 ? "failed" : "partial";
  }
  return out;
}

std::string ItemsOutcome::text() const {
  std::string t = outcome + ": " + std::to_string(succeeded) + " of " + std::to_string(items) +
                  (items == 1 ? " item" : " items") + " succeeded";
  if (failed() > 0) t += ", " + std::to_string(failed()) + " failed";
  if (not_started > 0) t += ", " + std::to_string(not_started) + " not started";
  return t;
}

RunStatus status_from_batches(const std::vector<BatchRecord>& batches) {
  std::size_t ended = 0, completed = 0;
  for (const auto& b : batches) {
    if (b.status == "INTERRUPTED") continue;
    ++ended;
    if (b.status == "COMPLETED") ++completed;
  }
  if (ended == 0) return RunStatus::kIdle;
  if (completed == ended) return RunStatus::kSuccess;
  if (completed == 0) return RunStatus::kFailure;
  return RunStatus::kPartial;
}

std::int64_t report_duration_ms(const RunReport& r) {
  if (r.duration) return std::max<std::int64_t>(0, r.duration->count());
  auto ms = [](TimePoint t) { return std::chrono::duration_cast<Millis>(t.time_since_epoch()); };
  return std::max<std::int64_t>(0, (ms(r.finished_at) - ms(r.started_at)).count());
}

int exit_code_for(RunStatus status, int aborted_exit) {
  switch (status) {
    case RunStatus::kSuccess:
    case RunStatus::kIdle:
      return exit_code::kSuccess;
    case RunStatus::kPartial:
      return exit_code::kPartial;
    case RunStatus::kFailure:
      return exit_code::kFailure;
    case RunStatus::kAborted:
      return aborted_exit;
    case RunStatus::kError:
      return exit_code::kInternal;
  }
  return exit_code::kInternal;
}

std::string describe_attempt(const AttemptRecord& a) {
  if (!a.start_error.empty()) return "could not start: " + a.start_error;
  std::string s;
  if (a.timed_out) s = "timed out, ";
  if (a.hung) s = "hung, ";
  if (a.signal) {
    s += "killed by signal " + std::to_string(*a.signal);
  } else {
    s += "exit " + (a.exit_code ? std::to_string(*a.exit_code) : std::string("-"));
  }
  if (!a.completed_by.empty()) s += ", completed by " + a.completed_by;
  if (a.terminated) s += ", terminated";
  if (a.left_processes) s += ", left processes (killed)";
  if (!a.error.empty()) s += ", " + a.error;
  if (!a.count_error.empty()) s += ", " + a.count_error;
  return s;
}

bool stage_ran(StageStatus s) {
  return s != StageStatus::kSkipped && s != StageStatus::kNotStarted;
}

bool stage_failed(StageStatus s) {
  return stage_ran(s) && s != StageStatus::kSucceeded;
}

std::vector<std::string> last_lines(const std::vector<std::string>& lines, std::size_t n) {
  return {lines.end() - static_cast<std::ptrdiff_t>(std::min(n, lines.size())), lines.end()};
}

}  // namespace pipeline
