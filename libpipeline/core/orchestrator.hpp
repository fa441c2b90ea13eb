#pragma once
/// Runs a pipeline's stages in config order: decides each one just before it would start,
/// runs it through the ProcessSupervisor with retries, records everything, then applies the
/// lifecycle rules. It sees files, time and processes only through its injected services.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "batches/batch_hotfolder.hpp"
#include "config/config.hpp"
#include "core/data_lifecycle.hpp"
#include "core/stage_decision.hpp"
#include "ports/clock.hpp"
#include "ports/file_system.hpp"
#include "ports/process_supervisor.hpp"
#include "ports/stop_token.hpp"
#include "records/event_logger.hpp"
#include "records/run_report.hpp"

namespace pipeline {

struct RunOptions {
  std::vector<std::string> only_stages;  ///< --stage NAME...: empty means every stage
};

/// The services and facts a run works with, all passed in.
struct OrchestratorServices {
  const Config& config;
  FileSystem& files;
  Clock& clock;
  ProcessSupervisor& supervisor;
  EventSink& events;
  DataLifecycle& lifecycle;
  const std::map<std::string, std::string>& environment;  ///< the runner's own environment
  /// The runner's stop request: no stage starts after it (exit code 128+N).
  StopToken stop;
  /// The manifest hot folder, when the config has `batches`: the stages run once per batch.
  BatchHotfolder* batches = nullptr;
  /// Writes the report as it stands (before lifecycle deletes anything); false when it cannot
  /// be written. Unset: records are not the orchestrator's concern (plan, tests).
  std::function<bool(const RunReport&)> checkpoint;
};

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
  /// One pass over the stages in config order, then the lifecycle rules; appends to report.
  /// Returns each stage's outcome.
  std::map<std::string, StageStatus> run_pass(const RunOptions& options,
                                              const PlaceholderValues& values,
                                              const std::string& batch, RunReport& report,
                                              std::optional<int>& aborted);
  /// Batch mode: claims manifests one at a time and runs a pass for each (SPEC 8).
  void run_batches(const RunOptions& options, const PlaceholderValues& values, RunReport& report,
                   std::optional<int>& aborted);
  /// This run's values and a stage's inputs as the placeholders see them.
  struct StageInputs {
    const PlaceholderValues& values;
    std::vector<std::string> paths;
  };
  StageRecord run_stage(const StageConfig& stage, const InputSnapshot& inputs,
                        const PlaceholderValues& run_values, const fs::path& stage_logs,
                        std::optional<int>& aborted);
  ProcessSpec stage_spec(const StageConfig& stage, const StageInputs& in,
                         const fs::path& stage_logs, std::string& setup_error);
  AttemptRecord run_attempt(const StageConfig& stage, ProcessSpec& spec, const fs::path& stage_logs,
                            int attempt, const std::string& setup_error, StageRecord& rec,
                            ProcessResult& r);
  bool selected(const RunOptions& options, const std::string& name) const;
  /// Writes a stage's ${inputs_file} into its logs folder, else (logs not writable) under
  /// state; returns where. Throws FileError when neither takes it.
  fs::path write_inputs_file(const StageConfig& stage, const fs::path& stage_logs,
                             const std::string& run_id,
                             const std::vector<std::string>& inputs) const;
  /// True when a lifecycle rule acts on this stage's inputs.
  bool lifecycle_names(const std::string& stage) const;

  OrchestratorServices s_;
};

/// Throws UsageError when --stage names a stage the config does not have.
void check_stage_selection(const Config& config, const std::vector<std::string>& names);

}  // namespace pipeline
