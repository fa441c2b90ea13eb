#pragma once
/// The runs on record: finds audit reports in logs/reports by run id, unique prefix or
/// "latest", and renders them for people (`audit show`, `audit list`).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ports/file_system.hpp"
#include "records/run_history.hpp"
#include "records/run_report.hpp"

namespace pipeline {

/// A report is a few MiB at most (1000 inputs a stage); a larger file is not one of ours.
inline constexpr std::size_t kMaxReportBytes = std::size_t{256} << 20;

struct ReportFile {
  std::string run_id;
  fs::path path;
};

class AuditStore {
 public:
  AuditStore(const FileSystem& files, fs::path reports_dir)
      : files_(files), dir_(std::move(reports_dir)) {}

  /// Every report on record, newest first (run ids are time-ordered).
  std::vector<ReportFile> list() const;

  /// A run by full id, unique prefix, or "latest"; throws UsageError (exit 4) when it is not a
  /// run id, matches nothing, or matches more than one run.
  ReportFile resolve(const std::string& ref) const;

  /// The report as written; throws Error (naming the file, and the field when it is one)
  /// when it cannot be read or is not a report of our schema.
  RunReport load(const ReportFile& report) const;

  /// The file's JSON as it is, whatever its fields (`audit show --json`); throws Error when it
  /// cannot be read or is not JSON.
  nlohmann::json read_json(const ReportFile& report) const;

 private:
  const FileSystem& files_;
  fs::path dir_;
};

/// `audit show`: status, duration, each stage's decision, outcome, attempts, exit codes, tails
/// of failing stages and log paths.
std::string render_report(const RunReport& report);

/// `audit list`: one line per run.
std::string render_run_list(const std::vector<RunSummary>& runs);

}  // namespace pipeline
