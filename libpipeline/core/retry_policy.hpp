#pragma once
/// What an attempt's result means for the stage (SPEC 3-4): its status, whether it is
/// retried (retry_on), how long to wait first (backoff), and the words that say why.

#include <cstdint>
#include <map>
#include <string>

#include "config/config.hpp"
#include "ports/process_supervisor.hpp"
#include "records/run_report.hpp"

namespace pipeline {

/// The stage status an attempt's result gives.
StageStatus outcome_of(const ProcessResult& r);

/// True when retry_on lets a failed attempt with this result be tried again (an empty
/// retry_on retries every failure).
bool should_retry(const StageConfig& stage, const ProcessResult& r);

/// Why an attempt that ended well did not do its work by its counts (SPEC 11): "count
/// mismatch: source 100, target 98 (2%)", "count missing: no line matched target"; "" when
/// its counts hold, or nothing compares them.
std::string count_check(const StageConfig& stage,
                        const std::map<std::string, std::int64_t>& counts);

/// True when a count mismatch may be tried again: only with `count` in retry_on.
bool should_retry_count(const StageConfig& stage);

/// The wait before retry number `retry_number` (1 for the first): initial * factor^(n-1),
/// at most max.
Millis backoff_delay(const Backoff& b, int retry_number);

/// Why an attempt ended, in words: "exit code 3", "timed out after 5m", ...
std::string describe(const ProcessResult& r, const StageConfig& stage);

}  // namespace pipeline
