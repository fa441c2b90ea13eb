#pragma once
/// Retention (SPEC 3 `retention`): at the end of a run, the records of old runs are pruned:
/// reports, events, run logs and stage logs, and their rows in the history, kept in step.
/// A run goes when it is older than keep_days or not among the newest keep_runs (each limit
/// applies when given). Never pruned: the current run, and a run whose batch is still in
/// the error folder (someone still has to look at it).

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "ports/file_system.hpp"
#include "util/time_format.hpp"

namespace pipeline {

struct RetentionResult {
  std::vector<std::string> pruned;            ///< run ids whose records were removed
  std::vector<std::string> kept_for_batches;  ///< old enough, but a batch of theirs is in error/
  std::size_t files_removed = 0;
  std::vector<std::string> errors;  ///< files that could not be removed (tried again next run)
  /// Why nothing was pruned by age this time (the clock jumped), for a warning.
  std::string age_skipped;
};

/// Removes the records of runs that retention lets go. Run ages come from their (v7) ids.
/// A clock that moved more than keep_days since the previous run (a jump, or a machine that
/// was off that long) prunes nothing by age that run: it says so in age_skipped instead.
RetentionResult prune_runs(const Config& config, FileSystem& files, TimePoint now,
                           const std::string& current_run_id);

}  // namespace pipeline
