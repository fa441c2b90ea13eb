#include "notify/alert_policy.hpp"

#include "util/time_format.hpp"

namespace pipeline {
namespace {

Streak streak_of(const RunHealth& h) {
  if (h.streak_failed == 0 || !h.streak_first) return {};
  return {h.streak_first->run_id, h.streak_first->started_at, h.streak_failed};
}

}  // namespace

Streak streak_after(const RunHealth& before, const RunSummary& run) {
  if (run.status == "success") return {};
  Streak s = streak_of(before);
  if (!is_failing_status(run.status)) return s;  // idle: the streak stands as it was
  if (s.failed_runs == 0) return {run.run_id, run.started_at, 1};
  ++s.failed_runs;
  return s;
}

bool missed_runs(const RunHealth& before, const RunSummary& run, Millis every) {
  if (!before.last || every.count() <= 0) return false;
  auto prev = parse_rfc3339(before.last->started_at);
  auto now = parse_rfc3339(run.started_at);
  return prev && now && *now - *prev > 3 * every;
}

std::vector<Alert> alerts_for(const NotifyConfig::On& on, const RunHealth& before,
                              const RunSummary& run, std::optional<Millis> every) {
  std::vector<Alert> out;
  if (on.stale && every && missed_runs(before, run, *every)) {
    out.push_back({"stale", streak_of(before)});
  }
  if (is_failing_status(run.status)) {
    Streak s = streak_after(before, run);
    bool first_of_streak = s.failed_runs == 1;
    if ((on.failure && first_of_streak) || on.every_failure) out.push_back({"failure", s});
  } else if (run.status == "success") {
    Streak ended = streak_of(before);
    if (on.recovery && ended.failed_runs > 0) {
      out.push_back({"recovery", ended});
    } else if (on.success) {
      out.push_back({"success", {}});
    }
  }
  return out;
}

}  // namespace pipeline
