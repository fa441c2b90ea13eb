#include "core/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace pipeline {

StageStatus outcome_of(const ProcessResult& r) {
  if (!r.started || !r.error.empty()) return StageStatus::kFailed;
  if (r.completed_by_pattern) return StageStatus::kSucceeded;
  if (r.timed_out) return StageStatus::kTimedOut;
  if (r.hung) return StageStatus::kHung;
  if (r.aborted) return StageStatus::kFailed;
  if (r.exit_code && *r.exit_code == 0) return StageStatus::kSucceeded;
  return StageStatus::kFailed;
}

bool should_retry(const StageConfig& stage, const ProcessResult& r) {
  if (stage.retry_on.empty()) return true;
  using K = RetryCondition::Kind;
  for (const auto& c : stage.retry_on) {
    switch (c.kind) {
      case K::kTimeout:
        if (r.timed_out) return true;
        break;
      case K::kHang:
        if (r.hung) return true;
        break;
      case K::kExitCode:
        if (r.exit_code && *r.exit_code == c.code && !r.timed_out && !r.hung) return true;
        break;
      case K::kAnyExit:
        if (r.exit_code && *r.exit_code != 0 && !r.timed_out && !r.hung) return true;
        break;
      case K::kSignal:
        if (r.signal && !r.timed_out && !r.hung) return true;
        break;
      case K::kStart:
        if (!r.started) return true;
        break;
      case K::kCount:
        break;  // should_retry_count
    }
  }
  return false;
}

std::string count_check(const StageConfig& stage,
                        const std::map<std::string, std::int64_t>& counts) {
  if (!stage.counts || !stage.counts->tolerance) return "";
  auto source = counts.find("source");
  auto target = counts.find("target");
  for (const auto* name : {"source", "target"}) {
    if (!counts.count(name)) {
      return std::string("count missing: no line matched ") + name +
             " (the comparison needs both counts)";
    }
  }
  const double s = static_cast<double>(source->second);
  const double t = static_cast<double>(target->second);
  const double diff = std::abs(s - t);
  if (diff == 0) return "";
  const double tolerance = *stage.counts->tolerance;
  const double share = s == 0 ? std::numeric_limits<double>::infinity() : diff / std::abs(s);
  if (share <= tolerance) return "";
  char pct[32];
  if (std::isinf(share)) {
    std::snprintf(pct, sizeof pct, "source is 0");
  } else {
    std::snprintf(pct, sizeof pct, "%.4g%%", share * 100.0);
  }
  return "count mismatch: source " + std::to_string(source->second) + ", target " +
         std::to_string(target->second) + " (" + pct + ")";
}

bool should_retry_count(const StageConfig& stage) {
  return std::any_of(stage.retry_on.begin(), stage.retry_on.end(), [](const RetryCondition& c) {
    return c.kind == RetryCondition::Kind::kCount;
  });
}

Millis backoff_delay(const Backoff& b, int retry_number) {
  double ms = static_cast<double>(b.initial.count()) * std::pow(b.factor, retry_number - 1);
  double cap = static_cast<double>(b.max.count());
  return Millis(static_cast<std::int64_t>(std::min(ms, cap)));
}

std::string describe(const ProcessResult& r, const StageConfig& stage) {
  if (!r.started) return r.start_error;
  if (!r.error.empty()) return r.error;
  if (r.completed_by_pattern) return "completion pattern seen";
  if (r.timed_out) return "timed out after " + format_duration(stage.timeout);
  if (r.hung) return "no output for " + format_duration(stage.hang_timeout);
  if (r.aborted) return "stopped: the runner was asked to stop";
  if (r.signal) return "killed by signal " + std::to_string(*r.signal);
  return "exit code " + std::to_string(r.exit_code.value_or(-1));
}

}  // namespace pipeline
