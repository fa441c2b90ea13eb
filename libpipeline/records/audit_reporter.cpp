#include "records/audit_reporter.hpp"

#include "records/report_json.hpp"

namespace pipeline {

fs::path AuditReporter::path_for(const RunReport& report) const {
  return layout_.report(report.run_id, report.started_at);
}

fs::path AuditReporter::write(const RunReport& report) {
  files_.create_directories(layout_.reports_dir());
  fs::path p = path_for(report);
  files_.write_atomic(p, dump_json(report_to_json(report), 2) + "\n");
  return p;
}

}  // namespace pipeline
