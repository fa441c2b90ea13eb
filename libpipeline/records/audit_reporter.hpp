#pragma once
/// Writes a run's audit report (SPEC 6) atomically into logs/reports.

#include "ports/file_system.hpp"
#include "records/record_layout.hpp"
#include "records/run_report.hpp"

namespace pipeline {

class AuditReporter {
 public:
  AuditReporter(FileSystem& files, RecordLayout layout)
      : files_(files), layout_(std::move(layout)) {}

  /// The file a run's report goes to: pipeline_report_<YYYYMMDD_HHMMSS>_<run_id>.json.
  fs::path path_for(const RunReport& report) const;

  /// Writes the report (temp, fsync, rename); throws FileError when it cannot.
  fs::path write(const RunReport& report);

 private:
  FileSystem& files_;
  RecordLayout layout_;
};

}  // namespace pipeline
