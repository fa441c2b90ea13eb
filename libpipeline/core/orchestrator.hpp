#pragma once
/// Runs a pipeline's stages: decides each one when it may start and runs it (StageScheduler:
/// in config order, or several at once with `parallel`), records everything, then applies the
/// lifecycle rules; in batch mode once per batch (BatchLoop). It sees files, time and processes
/// only through its injected services.

#include <map>
#include <string>
#include <vector>

#include "batches/batch_hotfolder.hpp"
#include "core/data_lifecycle.hpp"
#include "core/run_context.hpp"
#include "core/stage_decision.hpp"
#include "core/stage_scheduler.hpp"

namespace pipeline {

class Orchestrator {
 public:
  explicit Orchestrator(OrchestratorServices services) : s_(std::move(services)) {}

  /// Runs the stages and lifecycle; fills report.stages, lifecycle, status and exit_code.
  void run(const RunOptions& options, RunReport& report);

  /// What would run now and why, with no side effects. A stage that depends on an earlier
  /// planned stage is shown as running "if" that one succeeds. With a batch, the stages are
  /// decided for that batch, with its `${batch.*}` values.
  std::vector<StageRecord> plan(const RunOptions& options, const std::string& run_id, TimePoint now,
                                const BatchPreview* batch = nullptr);

 private:
  PlaceholderValues run_values(const std::string& run_id, TimePoint started_at) const;
  /// One pass over the stages (StageScheduler), then the lifecycle rules; appends to the
  /// report.
  void run_pass(RunContext& run, const PlaceholderValues& values, const std::string& batch);
  void apply_lifecycle(RunContext& run, const StagePass& pass);
  bool selected(const RunOptions& options, const std::string& name) const;

  OrchestratorServices s_;
};

/// Throws UsageError when --stage names a stage the config does not have.
void check_stage_selection(const Config& config, const std::vector<std::string>& names);

}  // namespace pipeline
