#pragma once
/// The records a run leaves besides its report, kept in step with the reports: the history
/// database (recorded, queried, rebuilt from the reports) and retention's pruning of both.

#include <functional>
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

/// Rebuilds the history from the reports; returns how many runs it holds.
std::size_t rebuild_history_from_reports(const Config& config, const FileSystem& files,
                                         const Warn& warn);

/// Records a finished run (its report is already written) and forgets the pruned runs. A
/// missing or damaged database is rebuilt from the reports, which include this run; the
/// returned text says so. Never throws: the reports stay the truth whatever happens here.
std::optional<std::string> record_run(const Config& config, const FileSystem& files,
                                      const RunReport& report, const std::string& path,
                                      const std::vector<std::string>& pruned, const Warn& warn);

/// `audit list`: from the database; when it cannot be used, from the reports themselves
/// (slower, same answer) after saying so through warn.
std::vector<RunSummary> query_runs(const Config& config, const FileSystem& files,
                                   const HistoryQuery& query, const Warn& warn);

/// `audit show`: the report file of a run id, unique prefix or "latest", found through the
/// database when it can be used, else by listing the reports. Throws UsageError.
fs::path find_report(const Config& config, const FileSystem& files, const std::string& ref);

}  // namespace pipeline
