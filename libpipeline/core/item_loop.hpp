#pragma once
/// A `foreach: input` stage's part of a run (SPEC 12): one process per input, in the order of
/// its inputs, each an item with the stage's attempts, its own logs (<stage>/item-<n>.*.log)
/// and its own record (`item {index, input}`), so that the next run retries exactly the
/// inputs whose item failed: the lifecycle acts only on those whose item succeeded.

#include <string>

#include "core/run_context.hpp"
#include "core/stage_decision.hpp"

namespace pipeline {

class ItemLoop {
 public:
  explicit ItemLoop(RunContext& run) : run_(run), s_(run.s) {}

  /// Runs one item per input of a stage whose `when` holds, appending one record per item
  /// (batch: the batch they run for, in batch mode). Returns the stage's outcome for `after`
  /// (succeeded when every item did) and leaves in `succeeded` the inputs whose item
  /// succeeded, with their snapshot stats.
  StageStatus run(const StageConfig& stage, const DecisionResult& decided,
                  const PlaceholderValues& values, const fs::path& stage_logs,
                  const std::string& batch, InputSnapshot& succeeded);

 private:
  /// With `quarantine`: counts the item's failure against its input as it is (a success
  /// clears the count), and moves the input out of the way once it has failed `after` runs
  /// in a row, with a record and an event.
  void count(const StageConfig& stage, const std::string& input, const FileStat& stat,
             const StageRecord& rec, const PlaceholderValues& values);
  /// Moves the input away, recorded; false when it could not be (its count stays, and the
  /// next failure tries again).
  bool quarantine(const StageConfig& stage, const std::string& input, const FileStat& stat,
                  const InputFailures& row, const PlaceholderValues& values);

  RunContext& run_;
  const OrchestratorServices& s_;
  bool store_failed_ = false;
};

}  // namespace pipeline
