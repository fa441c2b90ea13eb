#pragma once
/// The run history in SQLite (WAL): tables runs, stages, attempts and batches, schema 1.

#include "records/run_history.hpp"

namespace pipeline {

/// Opens an existing history; throws HistoryUnusable when it is missing, not a history of this
/// schema, or (with check) fails SQLite's quick_check.
std::unique_ptr<RunHistory> open_sqlite_history(const fs::path& db, bool check);

/// Builds a new history from reports in a temporary file, then puts it in place of db in one
/// rename. The db it replaces is kept as db.previous.
std::unique_ptr<RunHistory> rebuild_sqlite_history(const fs::path& db,
                                                   const std::vector<ReportOnRecord>& reports);

}  // namespace pipeline
