#pragma once
/// The searchable run history: runs, their stages and attempts, and batches, one transaction
/// per run. The JSON reports stay the source of truth: the history is an index of them,
/// rebuilt from them whenever it is missing or damaged. open_history(config) is the one place
/// a store is chosen (today SQLite, `state/pipeline.db`; records/sqlite_history).

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "records/run_report.hpp"
#include "util/time_format.hpp"

namespace pipeline {

namespace fs = std::filesystem;

/// `audit list` filters.
struct HistoryQuery {
  std::size_t limit = 20;
  std::string status;              ///< run status; empty: any
  std::optional<TimePoint> since;  ///< runs started at or after this
  std::string stage;               ///< only runs in which this stage ran; empty: any
  bool with_stages = true;         ///< fill RunSummary::stages (a query per run)
};

/// One run as `audit list` shows it.
struct RunSummary {
  struct Stage {
    std::string name;
    std::string status;
    std::string batch;  ///< "" outside batch mode
  };
  std::string run_id;
  std::string status;
  std::optional<int> exit_code;
  std::string started_at;  ///< RFC 3339, as the report has it
  std::int64_t duration_ms = 0;
  std::string report;         ///< the report's path
  std::vector<Stage> stages;  ///< the stages that ran (not skipped, not left unstarted)
};

/// A run's summary from its report.
RunSummary summary_of(const RunReport& report, const std::string& report_path);
/// {run_id, status, exit_code, started_at, duration_ms, report, stages: [{name, status, batch}]}
nlohmann::json summary_to_json(const RunSummary& summary);

/// A run that counts against the pipeline's health (SPEC 9): failure, partial, error, aborted.
bool is_failing_status(std::string_view status);

/// How the pipeline stands, judged from its history: what `status`, the alerts, the metrics
/// and the dashboard all say. A failure streak is the failing runs since the last run that
/// succeeded; an idle run (nothing to do) neither ends a streak nor adds to it, so a failure,
/// then idle runs, then a failure again is one streak and one alert.
struct RunHealth {
  std::optional<RunSummary> last;      ///< the newest run
  std::optional<RunSummary> previous;  ///< the run before it
  std::optional<RunSummary> last_success;
  std::optional<RunSummary> streak_first;             ///< the streak's first failing run
  std::size_t streak_failed = 0;                      ///< failing runs in the streak (0: none)
  std::map<std::string, std::size_t> runs_by_status;  ///< every run on record, by status
};

/// The health from runs, newest first: the rule itself, and the answer when the database
/// cannot be used. `excluding` leaves one run out (the run deciding its alerts asks how things
/// stood before it).
RunHealth health_of(const std::vector<RunSummary>& newest_first, const std::string& excluding = {});

/// How long one stage ran in one run (its attempts summed), for the duration charts.
struct StageTiming {
  std::string run_id;
  std::int64_t started_ms = 0;  ///< the run's start
  std::string stage;
  std::string batch;
  std::string status;
  std::int64_t duration_ms = 0;
};

/// How many runs of each status started on one day (UTC), for the year view.
struct DayCount {
  std::int64_t day = 0;  ///< days since 1970-01-01 (UTC)
  std::string status;
  std::size_t runs = 0;
};

/// The history cannot be used: missing, not ours, or damaged. The reports can rebuild it.
class HistoryUnusable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RunHistory {
 public:
  virtual ~RunHistory() = default;
  /// Records one run from its report, in one transaction (a run recorded before is replaced).
  virtual void record(const RunReport& report, const std::string& report_path) = 0;
  /// Matching runs, newest first.
  virtual std::vector<RunSummary> list(const HistoryQuery& query) = 0;
  /// {run_id, report path} of runs whose id starts with prefix (at most max), newest first;
  /// an empty prefix gives the newest.
  virtual std::vector<std::pair<std::string, std::string>> find(const std::string& prefix,
                                                                std::size_t max) = 0;
  /// Runs (newest first) with their start time and report path, for retention.
  struct Entry {
    std::string run_id;
    std::int64_t started_ms = 0;
    std::string report;
  };
  virtual std::vector<Entry> entries() = 0;
  /// Drops runs (their attempts and batches too) in one transaction.
  virtual void forget(const std::vector<std::string>& run_ids) = 0;
  virtual std::size_t count() = 0;
  /// How the pipeline stands (see RunHealth), leaving out the run `excluding` if not empty.
  virtual RunHealth health(const std::string& excluding) = 0;
  /// The stages that ran in the newest `runs` runs, oldest first.
  virtual std::vector<StageTiming> stage_timings(std::size_t runs) = 0;
  /// Runs by day and status, oldest day first.
  virtual std::vector<DayCount> runs_by_day() = 0;
  /// The value a stage's count `name` had in the newest record that counted it (SPEC 11),
  /// whichever run that was; nullopt when none did.
  virtual std::optional<std::int64_t> last_count(const std::string& stage,
                                                 const std::string& name) = 0;
  /// The reports folder's modification time when the history last held exactly the reports in
  /// it (nullopt: not known). A run that finds the folder unchanged since then knows the
  /// history is whole without listing the folder.
  virtual std::optional<std::int64_t> reports_stamp() = 0;
  virtual void set_reports_stamp(std::int64_t mtime_ns) = 0;
};

/// A run's report with the path it was read from.
using ReportOnRecord = std::pair<RunReport, std::string>;

/// Opens the config's history; throws HistoryUnusable when it is missing, not a history of
/// this schema, or (with check) fails its integrity check.
std::unique_ptr<RunHistory> open_history(const Config& config, bool check);

/// Builds a new history of the config from reports, then puts it in place of the old one in
/// one step (the old one is kept aside for a post-mortem).
std::unique_ptr<RunHistory> rebuild_history(const Config& config,
                                            const std::vector<ReportOnRecord>& reports);

/// Where the config's history lives, for messages.
std::string history_location(const Config& config);
/// False before the first run has recorded (nothing to rebuild then).
bool history_exists(const Config& config);

}  // namespace pipeline
