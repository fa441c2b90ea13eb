#pragma once
/// What one run works with: its services (all passed in), what was asked of it, the report it
/// fills, and whether a stop has ended it. The stage runner, the batch loop and the pass over
/// the stages share one, instead of each being handed the run id, the report and the stop
/// state one by one.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "ports/clock.hpp"
#include "ports/event_sink.hpp"
#include "ports/file_system.hpp"
#include "ports/input_failures.hpp"
#include "ports/process_supervisor.hpp"
#include "ports/stop_token.hpp"
#include "ports/window_store.hpp"
#include "records/record_layout.hpp"
#include "records/run_report.hpp"

namespace pipeline {

class BatchHotfolder;
class DataLifecycle;

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
  /// The state of the windowed stages' time windows (SPEC 11); null when the store cannot be
  /// used (then no window runs: its state could not be kept).
  WindowStore* windows = nullptr;
  /// The failures in a row of the inputs of stages with `quarantine` (SPEC 12); null when
  /// the store cannot be used (then nothing is quarantined: no count could be kept).
  InputFailureStore* input_failures = nullptr;
  /// Writes the report as it stands (before lifecycle deletes anything); false when it cannot
  /// be written. Unset: records are not the orchestrator's concern (plan, tests).
  std::function<bool(const RunReport&)> checkpoint;
};

struct RunContext {
  RunContext(const OrchestratorServices& services, const RunOptions& asked, RunReport& filled)
      : s(services), options(asked), report(filled), layout(services.config) {}

  /// True once a stop was requested; the first call that sees it keeps its exit code.
  bool stopped() {
    if (!aborted) aborted = s.stop.exit_code();
    return aborted.has_value();
  }
  /// A stop that ended a stage (or its backoff): the run is aborted with the stop's code.
  void abort() { aborted = s.stop.exit_code().value_or(130); }

  const OrchestratorServices& s;
  const RunOptions& options;
  RunReport& report;  ///< run_id and started_at are set; the rest is filled as the run goes
  const RecordLayout layout;
  std::optional<int> aborted;  ///< the exit code of the stop that ended the run
};

}  // namespace pipeline
