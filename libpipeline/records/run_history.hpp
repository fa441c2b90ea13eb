#pragma once
/// The searchable run history: `state/pipeline.db` (SQLite, WAL) with runs, stage attempts
/// and batches, one transaction per run. The JSON reports stay the source of truth: the
/// database is an index of them, rebuilt from them whenever it is missing or damaged.

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/time_format.hpp"

namespace pipeline {

namespace fs = std::filesystem;

/// `audit list` filters.
struct HistoryQuery {
  std::size_t limit = 20;
  std::string status;              ///< run status; empty: any
  std::optional<TimePoint> since;  ///< runs started at or after this
  std::string stage;               ///< only runs in which this stage ran; empty: any
};

/// The database cannot be used: missing, not ours, or damaged. The reports can rebuild it.
class HistoryUnusable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RunHistory {
 public:
  virtual ~RunHistory() = default;
  /// Records one run from its report, in one transaction (a run recorded before is replaced).
  virtual void record(const nlohmann::json& report, const std::string& report_path) = 0;
  /// Matching runs, newest first: {run_id, status, exit_code, started_at, duration_ms,
  /// report, stages: [{name, status, batch}]} (stages that ran).
  virtual std::vector<nlohmann::json> list(const HistoryQuery& query) = 0;
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
};

/// Opens an existing history; throws HistoryUnusable when it is missing, not a history of this
/// schema, or (with check) fails SQLite's quick_check.
std::unique_ptr<RunHistory> open_history(const fs::path& db, bool check);

/// Builds a new history from reports ({parsed report, its path}) in a temporary file, then
/// puts it in place of db in one rename. The db it replaces is kept as db.previous.
std::unique_ptr<RunHistory> rebuild_history(
    const fs::path& db, const std::vector<std::pair<nlohmann::json, std::string>>& reports);

}  // namespace pipeline
