#include "records/audit_store.hpp"

#include <algorithm>
#include <sstream>

#include "records/record_layout.hpp"
#include "util/error.hpp"
#include "util/json_read.hpp"
#include "util/run_id.hpp"

namespace pipeline {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string seconds(const json& ms) {
  if (!ms.is_number()) return "-";
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(3);
  out << ms.get<double>() / 1000.0 << "s";
  return out.str();
}

std::string bytes(const json& n) {
  if (!n.is_number()) return "-";
  double v = n.get<double>();
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  std::ostringstream out;
  out.precision(u == 0 ? 0 : 1);
  out.setf(std::ios::fixed);
  out << v << " " << units[u];
  return out.str();
}

std::string how_it_ended(const json& a) {
  std::string s;
  if (!a.value("start_error", json()).is_null()) return "could not start: " + str(a, "start_error");
  if (a.value("timed_out", false)) s = "timed out, ";
  if (a.value("hung", false)) s = "hung, ";
  if (a.contains("signal") && !a["signal"].is_null()) {
    s += "killed by signal " + a["signal"].dump();
  } else {
    s += "exit " + str(a, "exit_code");
  }
  if (!a.value("completed_by", json()).is_null()) s += ", completed by " + str(a, "completed_by");
  if (a.value("terminated", false)) s += ", terminated";
  if (a.value("left_processes", false)) s += ", left processes (killed)";
  return s;
}

}  // namespace

std::vector<ReportFile> AuditStore::list() const {
  std::vector<ReportFile> out;
  for (const auto& e : files_.list_dir(dir_)) {
    if (!e.is_file()) continue;
    if (auto id = RecordLayout::run_id_of_report(e.name)) out.push_back({*id, dir_ / e.name});
  }
  std::sort(out.begin(), out.end(), [](const ReportFile& a, const ReportFile& b) {
    return a.run_id != b.run_id ? a.run_id > b.run_id : a.path > b.path;
  });
  return out;
}

ReportFile AuditStore::resolve(const std::string& ref) const {
  if (ref != "latest" && !is_run_id_prefix(ref)) {
    throw UsageError("'" + ref + "' is not a run id: give a run id, a unique prefix of one, " +
                     "or 'latest'");
  }
  auto all = list();
  if (all.empty()) throw UsageError("no runs on record in " + dir_.string());
  if (ref == "latest") return all.front();
  std::vector<ReportFile> hits;
  for (const auto& r : all) {
    if (r.run_id.compare(0, ref.size(), ref) == 0) hits.push_back(r);
  }
  if (hits.empty()) throw UsageError("no run with id " + ref + " in " + dir_.string());
  if (hits.size() > 1) {
    std::string message =
        "run id prefix " + ref + " matches " + std::to_string(hits.size()) + " runs (";
    for (std::size_t i = 0; i < hits.size() && i < 3; ++i)
      message += (i ? ", " : "") + hits[i].run_id;
    throw UsageError(message + (hits.size() > 3 ? ", ...)" : ")") + "; give more of it");
  }
  return hits.front();
}

json AuditStore::load(const ReportFile& report) const {
  std::string text;
  try {
    text = files_.read_file(report.path, kMaxReportBytes);
  } catch (const FileError& e) {
    throw Error(exit_code::kInternal, e.what());
  }
  std::string why;
  json j = parse_untrusted_json(text, &why);
  if (j.is_discarded() || !j.is_object()) {
    throw Error(exit_code::kInternal, "report " + report.path.string() + " is damaged: " +
                                          (why.empty() ? "not a JSON object" : why));
  }
  return j;
}

std::string render_report(const json& r) {
  std::ostringstream out;
  out << "run " << str(r, "run_id") << "  pipeline " << str(r, "pipeline") << "\n"
      << "status: " << str(r, "status") << " (exit " << str(r, "exit_code") << ")\n"
      << "started " << str(r, "started_at") << ", finished " << str(r, "finished_at") << ", took "
      << seconds(r.value("duration_ms", json())) << "\n"
      << "host " << str(r, "host") << ", pid " << str(r, "pid") << ", runner "
      << str(r, "runner_version") << "\n";
  if (r.contains("config")) {
    out << "config " << str(r["config"], "path") << " (sha256 "
        << str(r["config"], "sha256").substr(0, 12) << ")\n";
  }
  out << "\nstages:\n";
  for (const auto& s : r.value("stages", json::array())) {
    const json decision = s.value("decision", json::object());
    out << "  " << str(s, "name") << ": " << str(s, "status") << " — " << str(decision, "reason")
        << "\n";
    const json m = s.value("metrics", json::object());
    if (!s.value("attempts", json::array()).empty()) {
      out << "    inputs " << str(s, "inputs_count") << ", items " << str(m, "items_done");
      if (m.contains("items") && !m["items"].is_null()) out << "/" << m["items"].dump();
      out << ", stdout " << bytes(m.value("stdout_bytes", json())) << ", stderr "
          << bytes(m.value("stderr_bytes", json())) << "\n";
    }
    bool failing = str(s, "status") != "succeeded";
    for (const auto& a : s.value("attempts", json::array())) {
      out << "    attempt " << str(a, "attempt") << ": " << how_it_ended(a) << ", "
          << seconds(a.value("duration_ms", json())) << "\n"
          << "      logs: " << str(a, "stdout_log") << ", " << str(a, "stderr_log") << "\n";
      if (!failing) continue;
      for (const char* stream : {"stderr_tail", "stdout_tail"}) {
        const json tail = a.value(stream, json::array());
        if (tail.empty()) continue;
        out << "      " << std::string(stream).substr(0, 6) << " (last " << tail.size()
            << " lines):\n";
        for (const auto& line : tail) out << "        | " << line.get<std::string>() << "\n";
      }
    }
  }
  const json lifecycle = r.value("lifecycle", json::array());
  if (!lifecycle.empty()) {
    out << "\nlifecycle:\n";
    for (const auto& l : lifecycle) {
      out << "  " << str(l, "action") << " " << str(l, "path");
      if (!l.value("to", json()).is_null()) out << " -> " << str(l, "to");
      out << ": " << str(l, "result");
      if (!l.value("error", json()).is_null()) out << " (" << str(l, "error") << ")";
      out << "\n";
    }
  }
  const json errors = r.value("errors", json::array());
  if (!errors.empty()) {
    out << "\nerrors:\n";
    for (const auto& e : errors) out << "  " << e.get<std::string>() << "\n";
  }
  return out.str();
}

std::string render_run_list(const std::vector<json>& reports) {
  std::ostringstream out;
  out << "RUN ID                                STARTED                        STATUS    "
         "DURATION  STAGES\n";
  for (const auto& r : reports) {
    std::string stages;
    for (const auto& s : r.value("stages", json::array())) {
      std::string st = str(s, "status");
      if (st == "skipped") continue;
      if (!stages.empty()) stages += ' ';
      stages.append(str(s, "name")).append("=").append(st);
    }
    std::string status = str(r, "status");
    std::string started = str(r, "started_at");
    out << str(r, "run_id") << "  " << started
        << std::string(started.size() < 29 ? 29 - started.size() : 0, ' ') << "  " << status
        << std::string(status.size() < 8 ? 8 - status.size() : 0, ' ') << "  "
        << seconds(r.value("duration_ms", json())) << "    " << (stages.empty() ? "-" : stages)
        << "\n";
  }
  return out.str();
}

}  // namespace pipeline
