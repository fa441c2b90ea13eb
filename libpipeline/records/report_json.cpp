#include "records/report_json.hpp"

namespace pipeline {
namespace {

using nlohmann::json;

json optional_int(const std::optional<int>& v) {
  return v ? json(*v) : json(nullptr);
}

json attempt_json(const AttemptRecord& a) {
  return {
      {"attempt", a.attempt},
      {"started_at", format_rfc3339(a.started_at)},
      {"finished_at", format_rfc3339(a.finished_at)},
      {"duration_ms", a.duration.count()},
      {"exit_code", optional_int(a.exit_code)},
      {"signal", optional_int(a.signal)},
      {"timed_out", a.timed_out},
      {"hung", a.hung},
      {"completed_by", a.completed_by.empty() ? json(nullptr) : json(a.completed_by)},
      {"terminated", a.terminated},
      {"left_processes", a.left_processes},
      {"start_error", a.start_error.empty() ? json(nullptr) : json(a.start_error)},
      {"error", a.error.empty() ? json(nullptr) : json(a.error)},
      {"stdout_tail", a.stdout_tail},
      {"stderr_tail", a.stderr_tail},
      {"stdout_log", a.stdout_log},
      {"stderr_log", a.stderr_log},
  };
}

}  // namespace

json decision_to_json(const StageDecision& d) {
  json out = {{"run", d.run}, {"reason", d.reason}};
  if (!d.warnings.empty()) out["warnings"] = d.warnings;
  return out;
}

json report_to_json(const RunReport& r) {
  json stages = json::array();
  for (const auto& s : r.stages) {
    json attempts = json::array();
    for (const auto& a : s.attempts) attempts.push_back(attempt_json(a));
    stages.push_back({
        {"name", s.name},
        {"batch", s.batch.empty() ? json(nullptr) : json(s.batch)},
        {"decision", decision_to_json(s.decision)},
        {"status", to_string(s.status)},
        {"inputs_count", s.inputs_count},
        {"inputs", s.inputs},
        {"metrics",
         {{"items_done", s.items_done},
          {"items", s.items ? json(*s.items) : json(nullptr)},
          {"stdout_bytes", s.stdout_bytes},
          {"stderr_bytes", s.stderr_bytes}}},
        {"attempts", attempts},
    });
  }
  json lifecycle = json::array();
  for (const auto& l : r.lifecycle) {
    lifecycle.push_back({{"action", l.action},
                         {"path", l.path},
                         {"to", l.to.empty() ? json(nullptr) : json(l.to)},
                         {"result", l.result},
                         {"error", l.error.empty() ? json(nullptr) : json(l.error)}});
  }
  json batches = json::array();
  for (const auto& b : r.batches) {
    batches.push_back({{"id", b.id},
                       {"status", b.status},
                       {"moved_to", b.moved_to.empty() ? json(nullptr) : json(b.moved_to)},
                       {"manifest", b.manifest},
                       {"error", b.error.empty() ? json(nullptr) : json(b.error)},
                       {"reclaimed", b.reclaimed}});
  }
  auto duration = std::chrono::duration_cast<Millis>(r.finished_at - r.started_at).count();
  return {
      {"schema", kReportSchema},
      {"run_id", r.run_id},
      {"pipeline", r.pipeline},
      {"status", to_string(r.status)},
      {"exit_code", r.exit_code},
      {"started_at", format_rfc3339(r.started_at)},
      {"finished_at", format_rfc3339(r.finished_at)},
      {"duration_ms", duration},
      {"host", r.host},
      {"pid", r.pid},
      {"runner_version", kRunnerVersion},
      {"config", {{"path", r.config_path}, {"sha256", r.config_sha256}}},
      {"stages", stages},
      {"lifecycle", lifecycle},
      {"batches", batches},
      {"errors", r.errors},
      {"recovered", r.recovered ? json{{"run_id", r.recovered->run_id},
                                       {"pid", r.recovered->pid},
                                       {"host", r.recovered->host},
                                       {"started_at", r.recovered->started_at},
                                       {"killed", r.recovered->killed},
                                       {"report_missing", r.recovered->report_missing}}
                                : json(nullptr)},
  };
}

std::string dump_json(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace pipeline
