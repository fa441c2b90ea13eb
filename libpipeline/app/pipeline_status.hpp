#pragma once
/// How the pipeline stands right now (SPEC 10): the one picture `status` prints, the metrics
/// textfile exposes and the dashboard draws, gathered from the history, the newest reports,
/// the batch folders and the schedule.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/machine.hpp"
#include "config/config.hpp"
#include "records/run_history.hpp"
#include "records/run_report.hpp"

namespace pipeline {

enum class Verdict { kHealthy, kFailing, kStale };

struct PipelineStatus {
  std::string pipeline;
  std::string config;
  TimePoint now;
  RunHealth health;
  std::optional<RunReport> last_report;     ///< the newest run's report, when it can be read
  std::optional<RunReport> failing_report;  ///< the streak's newest failing run's report
  std::string failing_report_error;         ///< why it could not be read
  std::optional<Millis> every;              ///< schedule.every
  std::optional<Millis> age;                ///< since the newest run started
  /// Batch mode: how many batches are ready, processing, archived, failed.
  std::optional<std::map<std::string, std::size_t>> batches;
  /// Each windowed stage's watermark and open windows (SPEC 11), from the state store.
  std::vector<WindowSummary> windows;
  std::string windows_error;  ///< why the state store could not be read
  /// Each configured count's newest value, whichever run counted it (stage -> name -> value).
  std::map<std::string, std::map<std::string, std::int64_t>> last_counts;
  Verdict verdict = Verdict::kHealthy;
};

/// Gathers the status; the history answers, or the reports when it cannot.
PipelineStatus gather_status(const Machine& machine, const Config& config);

/// `status`'s exit code: 0 healthy, 1 failing, 2 stale.
int status_exit_code(Verdict v);
std::string_view to_string(Verdict v);

nlohmann::json status_to_json(const PipelineStatus& s);
std::string render_status(const PipelineStatus& s);

/// `pipeline_runner status [--json]`.
int status_command(Machine& machine, const Config& config, bool as_json);

}  // namespace pipeline
