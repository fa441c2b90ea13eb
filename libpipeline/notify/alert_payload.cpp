#include "notify/alert_payload.hpp"

#include <algorithm>
#include <sstream>

namespace pipeline {
namespace {

using nlohmann::json;

std::string text_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A line cut to kAlertLineBytes, on a character boundary, marked where it was cut.
std::string cut(const std::string& line) {
  if (line.size() <= kAlertLineBytes) return line;
  std::size_t n = kAlertLineBytes;
  while (n > 0 && (static_cast<unsigned char>(line[n]) & 0xC0) == 0x80) --n;  // not mid-character
  return line.substr(0, n) + "...";
}

json cut_lines(const std::vector<std::string>& lines) {
  json out = json::array();
  for (const auto& l : lines) out.push_back(cut(l));
  return out;
}

}  // namespace

json alert_payload(const Alert& alert, const RunReport& run, const std::string& report) {
  // The stages that did not succeed come first: they are what the alert is about.
  std::vector<const StageRecord*> ran;
  for (const auto& s : run.stages) {
    if (stage_ran(s.status)) ran.push_back(&s);
  }
  std::stable_partition(ran.begin(), ran.end(),
                        [](const StageRecord* s) { return s->status != StageStatus::kSucceeded; });
  const std::size_t stages_left_out = ran.size() > kAlertStages ? ran.size() - kAlertStages : 0;
  ran.resize(std::min(ran.size(), kAlertStages));
  json stages = json::array();
  for (const StageRecord* p : ran) {
    const StageRecord& s = *p;
    json stage = {{"name", s.name}, {"status", std::string(to_string(s.status))}};
    if (!s.batch.empty()) stage["batch"] = s.batch;
    if (s.item) stage["input"] = s.item->input;
    if (s.status == StageStatus::kSucceeded || s.attempts.empty()) {
      stage["reason"] = s.decision.reason;
      stage["stderr_tail"] = json::array();
    } else {
      const AttemptRecord& last = s.attempts.back();
      stage["reason"] = describe_attempt(last);
      stage["stderr_tail"] = cut_lines(last_lines(last.stderr_tail, kAlertStderrLines));
    }
    stages.push_back(std::move(stage));
  }
  json errors = json::array();
  for (std::size_t i = 0; i < run.errors.size() && i < kAlertErrors; ++i) {
    errors.push_back(cut(run.errors[i]));
  }
  const std::size_t errors_left_out = run.errors.size() - errors.size();
  const Streak& st = alert.streak;
  json streak = {{"since_run_id", st.since_run_id.empty() ? json(nullptr) : json(st.since_run_id)},
                 {"since", st.since.empty() ? json(nullptr) : json(st.since)},
                 {"failed_runs", st.failed_runs}};
  return {{"schema", "pipeline_runner.notify/1"},
          {"event", alert.event},
          {"pipeline", run.pipeline},
          {"host", run.host},
          {"run_id", run.run_id},
          {"status", std::string(to_string(run.status))},
          {"exit_code", run.exit_code},
          {"started_at", format_rfc3339(run.started_at)},
          {"duration_ms", report_duration_ms(run)},
          {"streak", std::move(streak)},
          {"stages", std::move(stages)},
          {"stages_left_out", stages_left_out},
          {"errors", std::move(errors)},
          {"errors_left_out", errors_left_out},
          {"report", report.empty() ? json(nullptr) : json(report)}};
}

std::string alert_subject(const json& p) {
  std::string s = "[pipeline_runner] " + text_of(p, "pipeline") + ": " + text_of(p, "event") +
                  " on " + text_of(p, "host");
  const json& streak = p.value("streak", json::object());
  std::size_t failed = streak.value("failed_runs", std::size_t{0});
  if (failed > 0) {
    s += " (" + std::to_string(failed) + " failed run" + (failed == 1 ? "" : "s") + " since " +
         streak.value("since", std::string()) + ")";
  }
  return s;
}

std::string alert_text(const json& p) {
  std::ostringstream out;
  const std::string event = text_of(p, "event");
  out << "Pipeline " << text_of(p, "pipeline") << " on " << text_of(p, "host") << ": ";
  if (event == "failure") {
    out << "the run failed (" << text_of(p, "status") << ").\n";
  } else if (event == "recovery") {
    out << "the run succeeded again after a failure streak.\n";
  } else if (event == "stale") {
    out << "runs were missed: the previous run started longer ago than three schedule "
           "intervals.\n";
  } else {
    out << "the run " << text_of(p, "status") << ".\n";
  }
  out << "\nrun       " << text_of(p, "run_id") << "\nstatus    " << text_of(p, "status")
      << " (exit code " << p.value("exit_code", 0) << ")\nstarted   " << text_of(p, "started_at")
      << "\nduration  " << p.value("duration_ms", std::int64_t{0}) << " ms\n";
  const json& streak = p.value("streak", json::object());
  if (streak.value("failed_runs", 0) > 0) {
    out << "streak    " << streak.value("failed_runs", 0) << " failed run(s) since "
        << streak.value("since", std::string()) << " (run "
        << streak.value("since_run_id", std::string()) << ")\n";
  }
  for (const auto& s : p.value("stages", json::array())) {
    out << "\nstage " << text_of(s, "name");
    if (s.contains("batch")) out << " (batch " << text_of(s, "batch") << ")";
    out << ": " << text_of(s, "status") << ", " << text_of(s, "reason") << "\n";
    for (const auto& line : s.value("stderr_tail", json::array())) {
      out << "  | " << line.get<std::string>() << "\n";
    }
  }
  if (const auto more = p.value("stages_left_out", std::size_t{0}); more > 0) {
    out << "\nand " << more << " more stage" << (more == 1 ? "" : "s")
        << " (the report has them all)\n";
  }
  for (const auto& e : p.value("errors", json::array()))
    out << "\nerror: " << e.get<std::string>() << "\n";
  if (const auto more = p.value("errors_left_out", std::size_t{0}); more > 0) {
    out << "\nand " << more << " more error" << (more == 1 ? "" : "s") << "\n";
  }
  if (p.contains("report") && p["report"].is_string()) {
    out << "\nreport: " << p["report"].get<std::string>() << "\n";
  }
  out << "\nThe same facts as JSON are attached (alert.json, schema pipeline_runner.notify/1).\n";
  return out.str();
}

}  // namespace pipeline
