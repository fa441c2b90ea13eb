#pragma once
/// Decides whether a stage runs now, from the file state and this run's outcomes so far,
/// and snapshots its inputs at that moment.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "ports/file_system.hpp"
#include "records/run_report.hpp"

namespace pipeline {

/// The files that were a stage's inputs when it was decided, with what they were like then,
/// so lifecycle never touches a file that arrived (or changed) later.
struct InputSnapshot {
  std::vector<std::string> files;  ///< absolute paths as text, sorted
  std::vector<FileStat> stats;     ///< parallel to files when taken, else empty
};

/// How an earlier stage of this run stands, for `when.after`.
enum class EarlierStage { kSucceeded, kDidNotSucceed, kNotRun, kPlanned };

struct DecisionInputs {
  const FileSystem& files;
  const PlaceholderValues& values;  ///< run-level placeholder values
  fs::path root;
  TimePoint now;
  std::function<EarlierStage(const std::string&)> earlier;
  /// Take each input's size and mtime, for lifecycle rules to check that a file has not
  /// changed before they delete or move it. Only stages that a rule names need it.
  bool stat_inputs = true;
};

struct DecisionResult {
  StageDecision decision;
  InputSnapshot inputs;
};

/// Evaluates every `when` condition; all must hold. The reason names each condition's finding.
DecisionResult decide_stage(const StageConfig& stage, const DecisionInputs& in);

}  // namespace pipeline
