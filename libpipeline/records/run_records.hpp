#pragma once
/// The records a run leaves besides its report, kept in step with the reports: the history
/// database (recorded, queried, rebuilt from the reports) and retention's pruning of both.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "ports/file_system.hpp"
#include "records/retention.hpp"
#include "records/run_history.hpp"

namespace pipeline {

using Warn = std::function<void(const std::string&)>;

/// Every report in logs/reports, read, with its path, oldest first; an unreadable or damaged
/// one is named through warn and left out.
std::vector<ReportOnRecord> load_reports(const Config& config, const FileSystem& files,
                                         const Warn& warn);

/// Rebuilds the history from the reports; returns it.
std::unique_ptr<RunHistory> rebuild_history_from_reports(const Config& config,
                                                         const FileSystem& files, const Warn& warn);

/// The reports folder's modification time, when it can be read.
std::optional<std::int64_t> reports_mtime(const Config& config, const FileSystem& files);

struct RecordOutcome {
  std::optional<std::string> rebuilt;     ///< the history was rebuilt from the reports: why
  std::vector<std::string> temp_removed;  ///< unfinished report writes of a run that died
};

/// Records a finished run (its report is already written) and forgets the pruned runs.
/// Called under the run lock: the only writer of the reports folder is the run holding it.
/// When the folder changed since the history last matched it (reports_at_start: its mtime
/// when this run took the lock), the folder is listed once: report writes a dead run left
/// unfinished are removed, and runs whose report is there but whose row is not are added.
/// Unchanged, it is not listed at all. A missing or damaged database is rebuilt from the
/// reports, which include this run; `rebuilt` says so. Never throws: the reports stay the
/// truth whatever happens here.
RecordOutcome record_run(const Config& config, FileSystem& files, const RunReport& report,
                         const std::string& path, const std::vector<std::string>& pruned,
                         std::optional<std::int64_t> reports_at_start, const Warn& warn);

/// `audit list`: from the database; when it cannot be used, from the reports themselves
/// (slower, same answer) after saying so through warn.
std::vector<RunSummary> query_runs(const Config& config, const FileSystem& files,
                                   const HistoryQuery& query, const Warn& warn);

/// How the pipeline stands (RunHealth), leaving out the run `excluding` if not empty: from
/// the database, or from the reports when it cannot be used.
/// Each configured count's newest value (SPEC 11), stage -> name -> value, from the history;
/// empty when it cannot be read.
std::map<std::string, std::map<std::string, std::int64_t>> query_last_counts(const Config& config);

RunHealth query_health(const Config& config, const FileSystem& files, const std::string& excluding,
                       const Warn& warn);

/// `audit show`: the report file of a run id, unique prefix or "latest", found through the
/// database when it can be used, else by listing the reports. Throws UsageError.
fs::path find_report(const Config& config, const FileSystem& files, const std::string& ref);

}  // namespace pipeline
