#include "records/run_history.hpp"

#include "records/record_layout.hpp"
#include "records/sqlite_history.hpp"
#include "util/paths.hpp"

namespace pipeline {

RunSummary summary_of(const RunReport& r, const std::string& report_path) {
  RunSummary out;
  out.run_id = r.run_id;
  out.status = std::string(to_string(r.status));
  out.exit_code = r.exit_code;
  out.started_at = format_rfc3339(r.started_at);
  out.duration_ms = report_duration_ms(r);
  out.report = report_path;
  for (const auto& s : r.stages) {
    if (!stage_ran(s.status)) continue;
    out.stages.push_back({s.name, std::string(to_string(s.status)), s.batch});
  }
  return out;
}

nlohmann::json summary_to_json(const RunSummary& s) {
  using nlohmann::json;
  json stages = json::array();
  for (const auto& st : s.stages) {
    stages.push_back({{"name", st.name},
                      {"status", st.status},
                      {"batch", st.batch.empty() ? json(nullptr) : json(st.batch)}});
  }
  return {{"run_id", s.run_id},
          {"status", s.status},
          {"exit_code", s.exit_code ? json(*s.exit_code) : json(nullptr)},
          {"started_at", s.started_at},
          {"duration_ms", s.duration_ms},
          {"report", s.report},
          {"stages", std::move(stages)}};
}

bool is_failing_status(std::string_view status) {
  return status == "failure" || status == "partial" || status == "error" || status == "aborted";
}

RunHealth health_of(const std::vector<RunSummary>& newest_first, const std::string& excluding) {
  RunHealth h;
  bool streak_open = true;  // walking back from the newest run, no success seen yet
  for (const auto& run : newest_first) {
    if (!excluding.empty() && run.run_id == excluding) continue;
    ++h.runs_by_status[run.status];
    if (!h.last) {
      h.last = run;
    } else if (!h.previous) {
      h.previous = run;
    }
    if (run.status == "success") {
      if (!h.last_success) h.last_success = run;
      streak_open = false;
    } else if (streak_open && is_failing_status(run.status)) {
      ++h.streak_failed;
      h.streak_first = run;
    }
  }
  return h;
}

std::unique_ptr<RunHistory> open_history(const Config& config, bool check) {
  return open_sqlite_history(RecordLayout(config).history_db(), check);
}

std::unique_ptr<RunHistory> rebuild_history(const Config& config,
                                            const std::vector<ReportOnRecord>& reports) {
  return rebuild_sqlite_history(RecordLayout(config).history_db(), reports);
}

std::string history_location(const Config& config) {
  return path_text(RecordLayout(config).history_db());
}

bool history_exists(const Config& config) {
  std::error_code ec;
  return fs::exists(RecordLayout(config).history_db(), ec);
}

}  // namespace pipeline
