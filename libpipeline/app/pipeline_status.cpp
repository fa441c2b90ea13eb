#include "app/pipeline_status.hpp"

#include <spdlog/spdlog.h>

#include <sstream>

#include "app/windows_command.hpp"
#include "batches/batch_listing.hpp"
#include "records/audit_store.hpp"
#include "records/record_layout.hpp"
#include "records/report_json.hpp"
#include "records/run_records.hpp"
#include "util/duration.hpp"
#include "util/paths.hpp"

namespace pipeline {
namespace {

using nlohmann::json;

// The failing stages of a report, with why and the end of their stderr.
constexpr std::size_t kStatusStderrLines = 5;

// A report by the path the history has for it; why not, in error (naming the file).
std::optional<RunReport> read_report(const AuditStore& store, const std::string& path,
                                     std::string& error) {
  if (path.empty()) return std::nullopt;
  try {
    return store.load({"", path_from_text(path)});
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

json summary_or_null(const std::optional<RunSummary>& s) {
  return s ? summary_to_json(*s) : json(nullptr);
}

std::string ago(Millis d) {
  if (d < Millis(1000)) return "just now";
  return format_duration(std::chrono::duration_cast<std::chrono::seconds>(d)) + " ago";
}

std::optional<Millis> since(const std::string& rfc3339, TimePoint now) {
  auto t = parse_rfc3339(rfc3339);
  if (!t) return std::nullopt;
  return std::chrono::duration_cast<Millis>(now - *t);
}

}  // namespace

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::kHealthy:
      return "healthy";
    case Verdict::kFailing:
      return "failing";
    case Verdict::kStale:
      return "stale";
  }
  return "?";
}

int status_exit_code(Verdict v) {
  return static_cast<int>(v);
}

PipelineStatus gather_status(const Machine& m, const Config& config) {
  PipelineStatus s;
  s.pipeline = config.pipeline;
  s.config = path_text(config.file);
  s.now = m.clock.now();
  auto warn = [](const std::string& w) { spdlog::warn("{}", w); };
  s.health = query_health(config, m.files, "", warn);
  std::string ignored;
  const AuditStore reports(m.files, RecordLayout(config).reports_dir());
  if (s.health.last) s.last_report = read_report(reports, s.health.last->report, ignored);
  if (s.health.streak_failed > 0) {
    // The streak's newest failing run: the last run, unless idle runs came after it.
    HistoryQuery q;
    q.limit = 50;
    for (const auto& run : query_runs(config, m.files, q, warn)) {
      if (!is_failing_status(run.status)) continue;
      s.failing_report = read_report(reports, run.report, s.failing_report_error);
      break;
    }
  }
  if (config.schedule) s.every = config.schedule->every;
  if (s.health.last) s.age = since(s.health.last->started_at, s.now);
  if (config.batches) {
    std::map<std::string, std::size_t> counts{
        {"ready", 0}, {"processing", 0}, {"archived", 0}, {"failed", 0}};
    for (const auto& b : list_batches(config, m.files)) ++counts[b.state];
    s.batches = counts;
  }
  s.windows = read_window_summaries(m, config, s.windows_error);
  s.last_counts = query_last_counts(config);
  if (s.every && (!s.age || *s.age > 3 * *s.every)) {
    s.verdict = Verdict::kStale;
  } else if (s.health.streak_failed > 0) {
    s.verdict = Verdict::kFailing;
  }
  return s;
}

json status_to_json(const PipelineStatus& s) {
  const RunHealth& h = s.health;
  json failing = json::array();
  if (s.failing_report) {
    for (const auto& st : s.failing_report->stages) {
      if (!stage_failed(st.status)) continue;
      json tail = st.attempts.empty()
                      ? json::array()
                      : json(last_lines(st.attempts.back().stderr_tail, kStatusStderrLines));
      failing.push_back({{"name", st.name},
                         {"batch", st.batch.empty() ? json(nullptr) : json(st.batch)},
                         {"window", st.window ? json(st.window->id) : json(nullptr)},
                         {"input", st.item ? json(st.item->input) : json(nullptr)},
                         {"status", std::string(to_string(st.status))},
                         {"reason", st.attempts.empty() ? st.decision.reason
                                                        : describe_attempt(st.attempts.back())},
                         {"stderr_tail", std::move(tail)}});
    }
  }
  json schedule = nullptr;
  if (s.every) {
    schedule = {{"every_ms", s.every->count()},
                {"stale_after_ms", (3 * *s.every).count()},
                {"last_run_age_ms", s.age ? json(s.age->count()) : json(nullptr)}};
  }
  json batches = nullptr;
  if (s.batches) batches = *s.batches;
  json windows = nullptr;
  if (!s.windows.empty() || !s.windows_error.empty()) {
    windows = json::array();
    for (const auto& w : s.windows) windows.push_back(window_summary_to_json(w));
  }
  return {{"pipeline", s.pipeline},
          {"config", s.config},
          {"status", std::string(to_string(s.verdict))},
          {"exit_code", status_exit_code(s.verdict)},
          {"now", format_rfc3339(s.now)},
          {"last_run", summary_or_null(h.last)},
          {"last_success", summary_or_null(h.last_success)},
          {"streak",
           {{"failed_runs", h.streak_failed},
            {"since_run_id", h.streak_first ? json(h.streak_first->run_id) : json(nullptr)},
            {"since", h.streak_first ? json(h.streak_first->started_at) : json(nullptr)}}},
          {"failing_stages", std::move(failing)},
          {"schedule", std::move(schedule)},
          {"batches", std::move(batches)},
          {"windows", std::move(windows)},
          {"windows_error", s.windows_error.empty() ? json(nullptr) : json(s.windows_error)},
          {"runs_by_status", h.runs_by_status}};
}

std::string render_status(const PipelineStatus& s) {
  const RunHealth& h = s.health;
  std::ostringstream out;
  out << "pipeline " << s.pipeline << ": ";
  if (s.verdict == Verdict::kStale) {
    out << "STALE: "
        << (s.age ? "no run for " +
                        format_duration(std::chrono::duration_cast<std::chrono::seconds>(*s.age))
                  : std::string("no run on record"))
        << " (runs are due every " << format_duration(*s.every) << ")";
    if (h.streak_failed > 0) out << "; and failing";
  } else if (s.verdict == Verdict::kFailing) {
    out << "FAILING since " << h.streak_first->started_at << " (" << h.streak_failed
        << " failed run" << (h.streak_failed == 1 ? "" : "s") << ")";
  } else {
    out << "healthy";
  }
  out << "\n  config        " << s.config << "\n";
  if (h.last) {
    out << "  last run      " << h.last->run_id << "  " << h.last->status << "  "
        << h.last->started_at;
    if (s.age) out << " (" << ago(*s.age) << ")";
    out << ", " << format_duration(Millis(h.last->duration_ms)) << "\n";
  } else {
    out << "  last run      none on record\n";
  }
  if (h.last_success) {
    out << "  last success  " << h.last_success->run_id << "  " << h.last_success->started_at;
    if (auto a = since(h.last_success->started_at, s.now)) out << " (" << ago(*a) << ")";
    out << "\n";
  } else {
    out << "  last success  none on record\n";
  }
  if (s.every) {
    out << "  schedule      every " << format_duration(*s.every) << "; stale after "
        << format_duration(3 * *s.every) << " without a run\n";
  } else {
    out << "  schedule      not set (schedule.every): staleness is not judged\n";
  }
  json j = status_to_json(s);
  if (!j["failing_stages"].empty()) {
    out << "  failing stages (run " << s.failing_report->run_id << "):\n";
    for (const auto& st : j["failing_stages"]) {
      out << "    " << st["name"].get<std::string>();
      if (!st["batch"].is_null()) out << " (batch " << st["batch"].get<std::string>() << ")";
      if (!st["window"].is_null()) out << " (window " << st["window"].get<std::string>() << ")";
      if (!st["input"].is_null()) out << " (input " << st["input"].get<std::string>() << ")";
      out << ": " << st["status"].get<std::string>() << ", " << st["reason"].get<std::string>()
          << "\n";
      for (const auto& line : st["stderr_tail"])
        out << "      | " << line.get<std::string>() << "\n";
    }
  } else if (!s.failing_report_error.empty()) {
    out << "  failing stages: the report cannot be read: " << s.failing_report_error << "\n";
  }
  if (s.batches) {
    const auto& b = *s.batches;
    out << "  batches       " << b.at("ready") << " ready, " << b.at("processing")
        << " processing, " << b.at("failed") << " in error/, " << b.at("archived") << " archived\n";
  }
  for (const auto& w : s.windows) {
    out << "  windows       " << w.stage << ": watermark "
        << (w.watermark ? format_rfc3339(*w.watermark) : std::string("none yet")) << ", " << w.open
        << " open (due, not succeeded)";
    if (w.next_due) out << "; next due " << format_rfc3339(*w.next_due);
    out << "\n";
  }
  if (!s.windows_error.empty())
    out << "  windows       cannot be read: " << s.windows_error << "\n";
  return out.str();
}

int status_command(Machine& machine, const Config& config, bool as_json) {
  PipelineStatus s = gather_status(machine, config);
  if (as_json) {
    machine.out << dump_json(status_to_json(s), 2) << "\n";
  } else {
    machine.out << render_status(s);
  }
  return status_exit_code(s.verdict);
}

}  // namespace pipeline
