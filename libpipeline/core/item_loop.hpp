#pragma once
/// A `foreach: input` stage's part of a run (SPEC 12): one process per input, started in the
/// order of its inputs, each an item with the stage's attempts, its own logs
/// (<stage>/item-<n>.*.log) and its own record (`item {index, input}`), so that the next run
/// retries exactly the inputs whose item failed: the lifecycle acts only on those whose item
/// succeeded.

#include <string>

#include "core/run_context.hpp"
#include "core/stage_decision.hpp"

namespace pipeline {

/// The items of `foreach: input` stages: their announcement, their records, and the failures
/// of their inputs (quarantine). The StageScheduler runs them, up to `workers` at once.
class ItemLoop {
 public:
  explicit ItemLoop(RunContext& run) : run_(run), s_(run.s) {}

  /// The decision event of a stage whose `when` holds, with its number of items.
  void announce(const StageConfig& stage, const DecisionResult& decided) const;

  /// An item's record until it ends: not started (what it stays if a stop comes first).
  StageRecord unstarted(const StageConfig& stage, const ItemRef& item) const;

  /// Completes the record of an item that ran: why it ran, which item, and, with
  /// `quarantine`, the count of its input's failures. stat: the input as the decision saw it
  /// (null without a snapshot).
  void ended(const StageConfig& stage, const DecisionResult& decided, const ItemRef& item,
             const std::string& path, const FileStat* stat, const PlaceholderValues& values,
             StageRecord& rec);

  /// The `items` event of a stage whose items have all ended (its records from `first` on in
  /// the report): the stage succeeded, partly or not at all.
  void summarize(const StageConfig& stage, std::size_t first) const;

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
