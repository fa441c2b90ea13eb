#include "records/audit_store.hpp"

#include <algorithm>
#include <sstream>

#include "records/record_layout.hpp"
#include "records/report_json.hpp"
#include "util/error.hpp"
#include "util/json_read.hpp"
#include "util/paths.hpp"
#include "util/run_id.hpp"
#include "util/utf8.hpp"

namespace pipeline {
namespace {

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

template <typename Int>
std::string or_dash(const std::optional<Int>& v) {
  return v ? std::to_string(*v) : "-";
}

std::string seconds(std::int64_t ms) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(3);
  out << static_cast<double>(ms) / 1000.0 << "s";
  return out.str();
}

std::string bytes(std::uint64_t n) {
  auto v = static_cast<double>(n);
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

void render_attempts(std::ostream& out, const StageRecord& s) {
  const bool failing = s.status != StageStatus::kSucceeded;
  for (const auto& a : s.attempts) {
    out << "    attempt " << a.attempt << ": " << describe_attempt(a) << ", "
        << seconds(a.duration.count()) << "\n"
        << "      logs: " << or_dash(a.stdout_log) << ", " << or_dash(a.stderr_log) << "\n";
    if (!failing) continue;
    for (const auto* tail : {&a.stderr_tail, &a.stdout_tail}) {
      if (tail->empty()) continue;
      out << "      " << (tail == &a.stderr_tail ? "stderr" : "stdout") << " (last " << tail->size()
          << " lines):\n";
      for (const auto& line : *tail) out << "        | " << line << "\n";
    }
  }
}

void render_stages(std::ostream& out, const std::vector<StageRecord>& stages) {
  out << "\nstages:\n";
  for (const auto& s : stages) {
    out << "  " << s.name;
    if (s.window) out << " [window " << s.window->id << "]";
    if (s.item) out << " [item " << s.item->index << ": " << s.item->input << "]";
    out << ": " << to_string(s.status) << " — " << or_dash(s.decision.reason) << "\n";
    if (!s.attempts.empty()) {
      out << "    inputs " << s.inputs_count << ", items " << s.items_done;
      if (s.items) out << "/" << *s.items;
      out << ", stdout " << bytes(s.stdout_bytes) << ", stderr " << bytes(s.stderr_bytes) << "\n";
    }
    if (!s.counts.empty()) {
      out << "    counts:";
      for (const auto& [name, n] : s.counts) out << " " << name << "=" << n;
      out << "\n";
    }
    render_attempts(out, s);
  }
}

}  // namespace

std::vector<ReportFile> AuditStore::list() const {
  std::vector<ReportFile> out;
  for (const auto& e : files_.list_dir(dir_)) {
    if (!e.is_file()) continue;
    if (auto id = RecordLayout::run_id_of_report(e.name))
      out.push_back({*id, dir_ / path_from_text(e.name)});
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
  if (all.empty()) throw UsageError("no runs on record in " + path_text(dir_));
  if (ref == "latest") return all.front();
  std::vector<ReportFile> hits;
  for (const auto& r : all) {
    if (r.run_id.compare(0, ref.size(), ref) == 0) hits.push_back(r);
  }
  if (hits.empty()) throw UsageError("no run with id " + ref + " in " + path_text(dir_));
  if (hits.size() > 1) {
    std::string message =
        "run id prefix " + ref + " matches " + std::to_string(hits.size()) + " runs (";
    for (std::size_t i = 0; i < hits.size() && i < 3; ++i)
      message += (i ? ", " : "") + hits[i].run_id;
    throw UsageError(message + (hits.size() > 3 ? ", ...)" : ")") + "; give more of it");
  }
  return hits.front();
}

nlohmann::json AuditStore::read_json(const ReportFile& report) const {
  std::string text;
  try {
    text = files_.read_file(report.path, kMaxReportBytes);
  } catch (const FileError& e) {
    throw Error(exit_code::kInternal, e.what());
  }
  std::string why;
  nlohmann::json j = parse_untrusted_json(text, &why);
  if (j.is_discarded()) {
    throw Error(exit_code::kInternal, "report " + path_text(report.path) + " is damaged: " + why);
  }
  return j;
}

RunReport AuditStore::load(const ReportFile& report) const {
  try {
    return report_from_json(read_json(report));
  } catch (const ReportError& e) {
    throw Error(exit_code::kInternal,
                "report " + path_text(report.path) + " is damaged: " + sanitize_utf8(e.what()));
  }
}

std::string render_report(const RunReport& r) {
  std::ostringstream out;
  out << "run " << r.run_id << "  pipeline " << r.pipeline << "\n"
      << "status: " << to_string(r.status) << " (exit " << r.exit_code << ")\n"
      << "started " << format_rfc3339(r.started_at) << ", finished "
      << format_rfc3339(r.finished_at) << ", took " << seconds(report_duration_ms(r)) << "\n"
      << "host " << or_dash(r.host) << ", pid " << r.pid << ", runner " << or_dash(r.runner_version)
      << "\n"
      << "config " << or_dash(r.config_path) << " (sha256 "
      << or_dash(r.config_sha256.substr(0, 12)) << ")\n";
  render_stages(out, r.stages);
  if (auto items = items_outcomes(r.stages); !items.empty()) {
    out << "\nitems:\n";
    for (const auto& o : items) {
      out << "  " << (o.batch.empty() ? "" : "batch " + o.batch + ": ") << o.stage << ": "
          << o.text() << "\n";
    }
  }
  if (!r.lifecycle.empty()) {
    out << "\nlifecycle:\n";
    for (const auto& l : r.lifecycle) {
      out << "  " << l.action << " " << l.path;
      if (!l.to.empty()) out << " -> " << l.to;
      out << ": " << l.result;
      if (!l.error.empty()) out << " (" << l.error << ")";
      out << "\n";
    }
    const LifecycleSummary& s = r.lifecycle_summary;
    if (s.count > r.lifecycle.size()) {
      out << "  ... " << s.count - r.lifecycle.size() << " more, " << s.count << " in all:";
      for (const auto& [result, n] : s.results) out << " " << n << " " << result;
      out << (s.list.empty() ? " (the full list could not be written)" : "; every one in " + s.list)
          << "\n";
    }
  }
  if (!r.quarantined.empty()) {
    out << "\nquarantined:\n";
    for (const auto& q : r.quarantined) {
      out << "  " << q.stage << ": " << q.input << " -> " << (q.to.empty() ? "-" : q.to) << ": "
          << q.result << " after " << q.failures << " failed runs (" << q.error << ")";
      if (!q.move_error.empty()) out << " (" << q.move_error << ")";
      out << "\n";
    }
  }
  if (!r.windows.empty()) {
    out << "\nwindows:\n";
    for (const auto& w : r.windows) {
      out << "  " << w.stage << ": " << w.ran << " run now, " << w.open << " open, watermark "
          << (w.watermark ? format_rfc3339(*w.watermark) : std::string("none yet"));
      if (w.next_due) out << ", next due " << format_rfc3339(*w.next_due);
      out << "\n";
    }
  }
  if (!r.errors.empty()) {
    out << "\nerrors:\n";
    for (const auto& e : r.errors) out << "  " << e << "\n";
  }
  return out.str();
}

std::string render_run_list(const std::vector<RunSummary>& runs) {
  std::ostringstream out;
  out << "RUN ID                                STARTED                        STATUS    "
         "DURATION  STAGES\n";
  for (const auto& r : runs) {
    // A stage that ran per window or per batch shows each outcome once, with how many:
    // "extract=succeeded x12 load=succeeded x11 load=failed".
    std::string stages;
    for (std::size_t i = 0; i < r.stages.size();) {
      std::size_t same = i + 1;
      while (same < r.stages.size() && r.stages[same].name == r.stages[i].name &&
             r.stages[same].status == r.stages[i].status) {
        ++same;
      }
      if (!stages.empty()) stages += ' ';
      stages.append(r.stages[i].name).append("=").append(r.stages[i].status);
      if (same - i > 1) stages.append(" x").append(std::to_string(same - i));
      i = same;
    }
    out << r.run_id << "  " << r.started_at
        << std::string(r.started_at.size() < 29 ? 29 - r.started_at.size() : 0, ' ') << "  "
        << r.status << std::string(r.status.size() < 8 ? 8 - r.status.size() : 0, ' ') << "  "
        << seconds(r.duration_ms) << "    " << (stages.empty() ? "-" : stages) << "\n";
  }
  return out.str();
}

}  // namespace pipeline
