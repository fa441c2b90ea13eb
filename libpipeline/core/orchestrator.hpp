#pragma once
/// Runs a pipeline's stages in config order: decides each one just before it would start,
/// runs it (StageRunner), records everything, then applies the lifecycle rules; in batch mode
/// once per batch (BatchLoop). It sees files, time and processes only through its injected
/// services.

#include <map>
#include <string>
#include <vector>

#include "batches/batch_hotfolder.hpp"
#include "core/data_lifecycle.hpp"
#include "core/run_context.hpp"
#include "core/stage_decision.hpp"

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
  /// How far one pass over the stages has come.
  struct Pass {
    const PlaceholderValues& values;
    std::string batch;
    std::map<std::string, StageStatus> outcomes;
    std::map<std::string, InputSnapshot> snapshots;
  };
  PlaceholderValues run_values(const std::string& run_id, TimePoint started_at) const;
  /// One pass over the stages in config order, then the lifecycle rules; appends to the report.
  void run_pass(RunContext& run, const PlaceholderValues& values, const std::string& batch);
  /// Decides one stage and runs it when it should (a windowed stage once per due window),
  /// appending its records to the report; returns its outcome for `when.after`.
  StageStatus pass_stage(RunContext& run, const StageConfig& stage, Pass& pass);
  void apply_lifecycle(RunContext& run, const Pass& pass);
  bool selected(const RunOptions& options, const std::string& name) const;
  /// True when a lifecycle rule acts on this stage's inputs.
  bool lifecycle_names(const std::string& stage) const;

  OrchestratorServices s_;
};

/// Throws UsageError when --stage names a stage the config does not have.
void check_stage_selection(const Config& config, const std::vector<std::string>& names);

}  // namespace pipeline
