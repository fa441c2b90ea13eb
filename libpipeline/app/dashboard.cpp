#include "app/dashboard.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "records/audit_store.hpp"
#include "records/record_layout.hpp"
#include "records/run_records.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/markup.hpp"
#include "util/paths.hpp"

namespace pipeline {
namespace {

using nlohmann::json;

// A path as a URL path: every byte but the unreserved ones and '/' percent-encoded.
std::string url_path(const std::string& path) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

const char* colour(const std::string& status) {
  if (status == "success" || status == "succeeded") return "#2e9d4f";
  if (status == "partial") return "#e0a100";
  if (status == "failure" || status == "failed") return "#d64541";
  if (status == "error" || status == "timed_out" || status == "hung") return "#8b1a1a";
  if (status == "aborted") return "#7b4fa0";
  return "#b8bec6";  // idle, skipped
}

std::string seconds_text(std::int64_t ms) {
  char out[32];
  if (ms < 1'000) return std::to_string(std::max<std::int64_t>(ms, 0)) + "ms";  // not 0.00s
  if (ms < 10'000) {
    std::snprintf(out, sizeof out, "%.2fs", static_cast<double>(ms) / 1000.0);
  } else if (ms < 600'000) {
    std::snprintf(out, sizeof out, "%.0fs", static_cast<double>(ms) / 1000.0);
  } else {
    return format_duration(Millis(ms / 60'000 * 60'000));
  }
  return out;
}

std::string day_text(std::int64_t day) {
  using namespace std::chrono;
  year_month_day ymd{sys_days{days{day}}};
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return out;
}

class Page {
 public:
  explicit Page(const DashboardData& d) : d_(d) {}

  std::string render() {
    head();
    summary();
    timeline();
    year();
    durations();
    failures();
    batches();
    windows();
    quarantined();
    runs();
    out_ << "<footer>Written by pipeline_runner at " << escape_markup(format_rfc3339(d_.status.now))
         << " on " << escape_markup(d_.host)
         << ". The full history is in the run database (<code>pipeline_runner audit list</code>)."
            "</footer>\n</body>\n</html>\n";
    return out_.str();
  }

 private:
  // A link from the page to a file the runner wrote: relative when it can be.
  std::string link(const fs::path& target) const {
    fs::path rel = target.lexically_relative(d_.out_dir);
    if (!rel.empty()) return url_path(path_text(rel));
    std::string abs = path_text(target);
    return "file://" + url_path(abs.front() == '/' ? abs : "/" + abs);
  }

  void head() {
    out_ << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         << "<title>" << escape_markup(d_.status.pipeline) << ": " << to_string(d_.status.verdict)
         << "</title>\n<style>\n"
         << "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;"
            "max-width:1100px;padding:16px 20px;color:#1d2329;background:#f6f7f9}"
            "h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:26px 0 8px;"
            "border-bottom:1px solid #d8dde3;padding-bottom:4px}"
            "section{background:#fff;border:1px solid #e1e5ea;border-radius:6px;padding:12px 14px}"
            ".badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;"
            "font-weight:600;text-transform:uppercase;font-size:12px;vertical-align:middle}"
            ".facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin-top:8px}"
            ".facts dt{color:#5a6572}.facts dd{margin:0}"
            "table{border-collapse:collapse;width:100%;font-size:13px}"
            "th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eef0f3;"
            "vertical-align:top}th{color:#5a6572;font-weight:600}"
            ".dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:5px}"
            "pre{background:#1d2329;color:#e8eaed;padding:8px 10px;border-radius:4px;"
            "overflow-x:auto;font-size:12px;margin:4px 0 10px}"
            "code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}"
            ".muted{color:#7a8591}.legend "
            "span{margin-right:12px}.behind{color:#b7791f;font-weight:600}"
            "svg{display:block;max-width:100%;height:auto}"
            "footer{margin:24px 0 8px;color:#7a8591;font-size:12px}"
            "a{color:#1f5fbf;text-decoration:none}a:hover{text-decoration:underline}"
         << "\n</style>\n</head>\n<body>\n";
  }

  void summary() {
    const PipelineStatus& s = d_.status;
    const RunHealth& h = s.health;
    const char* verdict_colour = s.verdict == Verdict::kHealthy   ? "#2e9d4f"
                                 : s.verdict == Verdict::kFailing ? "#d64541"
                                                                  : "#7b4fa0";
    out_ << "<header>\n<h1>" << escape_markup(s.pipeline)
         << " <span class=\"badge\" id=\"verdict\" "
         << "style=\"background:" << verdict_colour << "\">" << to_string(s.verdict)
         << "</span></h1>\n<div class=\"muted\">" << escape_markup(s.config)
         << "</div>\n<dl class=\"facts\">";
    if (h.streak_failed > 0) {
      out_ << "<dt>failing since</dt><dd id=\"streak\">"
           << escape_markup(h.streak_first->started_at) << " (" << h.streak_failed << " failed run"
           << (h.streak_failed == 1 ? "" : "s") << ")</dd>";
    } else {
      out_ << "<dt>failure streak</dt><dd id=\"streak\">none</dd>";
    }
    if (h.last) {
      out_ << "<dt>last run</dt><dd id=\"last-run\"><span class=\"dot\" style=\"background:"
           << colour(h.last->status) << "\"></span>" << escape_markup(h.last->status) << " at "
           << escape_markup(h.last->started_at) << ", " << seconds_text(h.last->duration_ms)
           << " <a href=\"" << link(path_from_text(h.last->report)) << "\">report</a></dd>";
    } else {
      out_ << "<dt>last run</dt><dd id=\"last-run\">none on record</dd>";
    }
    out_ << "<dt>last success</dt><dd>"
         << (h.last_success ? escape_markup(h.last_success->started_at)
                            : std::string("none on record"))
         << "</dd>";
    if (s.every) {
      out_ << "<dt>schedule</dt><dd>every " << format_duration(*s.every) << "; stale after "
           << format_duration(3 * *s.every) << " without a run</dd>";
    }
    std::size_t total = 0;
    for (const auto& [_, n] : h.runs_by_status) total += n;
    out_ << "<dt>runs on record</dt><dd>" << total;
    for (const auto& [status, n] : h.runs_by_status)
      out_ << " &middot; " << n << " " << escape_markup(status);
    out_ << "</dd></dl>\n</header>\n";
  }

  void timeline() {
    out_ << "<h2>The last " << d_.runs.size() << " runs</h2>\n<section>";
    if (d_.runs.empty()) {
      out_ << "<p class=\"muted\">No run on record yet.</p></section>\n";
      return;
    }
    const std::size_t n = d_.runs.size();
    const int cell = n <= 100 ? 10 : n <= 250 ? 4 : 2;
    const int width = static_cast<int>(n) * cell;
    out_ << "<svg id=\"timeline\" viewBox=\"0 0 " << width << " 28\" width=\""
         << std::max(width, 200)
         << "\" height=\"28\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"runs by "
            "status, oldest on the left\">";
    for (std::size_t i = 0; i < n; ++i) {
      const RunSummary& r = d_.runs[n - 1 - i];  // oldest on the left
      out_ << "<a href=\"" << link(path_from_text(r.report)) << "\"><rect x=\"" << i * cell
           << "\" y=\"0\" width=\"" << std::max(cell - (cell > 2 ? 1 : 0), 1)
           << "\" height=\"28\" fill=\"" << colour(r.status) << "\" data-status=\""
           << escape_markup(r.status) << "\"><title>" << escape_markup(r.started_at) << " "
           << escape_markup(r.status) << " " << seconds_text(r.duration_ms)
           << "</title></rect></a>";
    }
    out_ << "</svg>\n<div class=\"legend muted\">";
    for (const char* st : {"success", "partial", "failure", "error", "aborted", "idle"}) {
      out_ << "<span><span class=\"dot\" style=\"background:" << colour(st) << "\"></span>" << st
           << "</span>";
    }
    out_ << " &middot; oldest on the left; each cell links to its report</div></section>\n";
  }

  void year() {
    if (d_.days.empty()) return;
    std::map<std::int64_t, std::map<std::string, std::size_t>> by_day;
    for (const auto& dc : d_.days) by_day[dc.day][dc.status] += dc.runs;
    while (by_day.size() > kDashboardDays) by_day.erase(by_day.begin());
    std::size_t most = 1;
    for (const auto& [_, counts] : by_day) {
      std::size_t t = 0;
      for (const auto& kv : counts) t += kv.second;
      most = std::max(most, t);
    }
    const int bar = 3, height = 60;
    const std::int64_t first = by_day.begin()->first, last = by_day.rbegin()->first;
    const int width = static_cast<int>(last - first + 1) * bar;
    out_ << "<h2>Runs by day (UTC), " << day_text(first) << " to " << day_text(last)
         << "</h2>\n<section><svg id=\"days\" viewBox=\"0 0 " << width << " " << height
         << "\" width=\"" << std::max(width, 200) << "\" height=\"" << height
         << "\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"runs per day by status\">";
    for (const auto& [day, counts] : by_day) {
      double y = height;
      std::string title = day_text(day) + ":";
      std::string rects;
      for (const char* st : {"success", "idle", "partial", "aborted", "error", "failure"}) {
        auto it = counts.find(st);
        if (it == counts.end()) continue;
        double h = static_cast<double>(it->second) * height / static_cast<double>(most);
        y -= h;
        char rect[160];
        std::snprintf(rect, sizeof rect,
                      "<rect x=\"%lld\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>",
                      static_cast<long long>(day - first) * bar, y, bar - 1, h, colour(st));
        rects += rect;
        title += " " + std::to_string(it->second) + " " + st;
      }
      out_ << "<g><title>" << title << "</title>" << rects << "</g>";
    }
    out_ << "</svg><div class=\"muted\">The busiest day had " << most
         << " runs; every run on record is counted here.</div></section>\n";
  }

  void durations() {
    if (d_.timings.empty()) return;
    // One point per run and stage: a windowed, foreach or batch stage has many records in a
    // run (its windows, items, batches), which are its time in that run, summed, not runs of
    // their own; a failure among them marks the point.
    std::vector<StageTiming> per_run;
    std::map<std::pair<std::string, std::string>, std::size_t> index;  // (run, stage)
    for (const auto& t : d_.timings) {
      auto [it, added] = index.emplace(std::make_pair(t.run_id, t.stage), per_run.size());
      if (added) {
        per_run.push_back(t);
        continue;
      }
      StageTiming& p = per_run[it->second];
      p.duration_ms += t.duration_ms;
      if (p.status == "succeeded") p.status = t.status;
    }
    // Each run's position on the x axis: its rank among the runs shown (oldest first).
    std::map<std::string, std::size_t> position;
    for (const auto& t : per_run) position.emplace(t.run_id, position.size());
    std::vector<std::string> stages = d_.stage_names;
    for (const auto& t : per_run) {
      if (std::find(stages.begin(), stages.end(), t.stage) == stages.end())
        stages.push_back(t.stage);
    }
    out_ << "<h2>Stage durations over the last " << position.size() << " runs</h2>\n<section>";
    const int width = 720, height = 70;
    const double span = static_cast<double>(std::max<std::size_t>(position.size() - 1, 1));
    for (const auto& stage : stages) {
      std::vector<const StageTiming*> points;
      for (const auto& t : per_run) {
        if (t.stage == stage) points.push_back(&t);
      }
      if (points.empty()) continue;
      std::int64_t top = 1;
      std::vector<std::int64_t> all;
      for (const auto* p : points) {
        top = std::max(top, p->duration_ms);
        all.push_back(p->duration_ms);
      }
      std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(all.size() / 2),
                       all.end());
      out_ << "<div class=\"stage-chart\" data-stage=\"" << escape_markup(stage) << "\"><b>"
           << escape_markup(stage) << "</b> <span class=\"muted\">last "
           << seconds_text(points.back()->duration_ms) << " &middot; median "
           << seconds_text(all[all.size() / 2]) << " &middot; max " << seconds_text(top)
           << " &middot; " << points.size() << " runs</span>"
           << "<svg viewBox=\"0 0 " << width << " " << height << "\" width=\"" << width
           << "\" height=\"" << height << "\" role=\"img\" aria-label=\"durations of "
           << escape_markup(stage)
           << "\"><polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"1.2\" points=\"";
      auto xy = [&](const StageTiming& t) {
        double x = 4 + static_cast<double>(position[t.run_id]) / span * (width - 8);
        double y = height - 4 -
                   static_cast<double>(t.duration_ms) / static_cast<double>(top) * (height - 8);
        char p[40];
        std::snprintf(p, sizeof p, "%.1f,%.1f", x, y);
        return std::string(p);
      };
      for (const auto* p : points) out_ << xy(*p) << " ";
      out_ << "\"/>";
      for (const auto* p : points) {
        if (p->status == "succeeded") continue;
        std::string at = xy(*p);
        std::size_t comma = at.find(',');
        out_ << "<circle cx=\"" << at.substr(0, comma) << "\" cy=\"" << at.substr(comma + 1)
             << "\" r=\"2.5\" fill=\"" << colour(p->status) << "\"/>";
      }
      out_ << "</svg></div>\n";
    }
    out_ << "<div class=\"muted\">Red dots: attempts that failed, timed out or "
            "hung.</div></section>\n";
  }

  void failures() {
    out_ << "<h2>Latest failures</h2>\n<section id=\"failures\">";
    if (d_.failures.empty()) out_ << "<p class=\"muted\">No failing run among the runs shown.</p>";
    RecordLayout layout(d_.logs, fs::path());
    for (const auto& r : d_.failures) {
      out_ << "<div class=\"failure\"><b>" << escape_markup(format_rfc3339(r.started_at)) << "</b> "
           << "<span class=\"dot\" style=\"background:" << colour(std::string(to_string(r.status)))
           << "\"></span>" << to_string(r.status) << " &middot; <span class=\"mono\">"
           << escape_markup(r.run_id) << "</span> &middot; <a href=\""
           << link(layout.event_log(r.run_id)) << "\">events</a> &middot; <a href=\""
           << link(layout.run_log(r.run_id, r.started_at)) << "\">log</a>";
      for (const auto& e : r.errors) out_ << "<div>" << escape_markup(e) << "</div>";
      for (const auto& s : r.stages) {
        if (!stage_failed(s.status) || s.attempts.empty()) continue;
        const AttemptRecord& a = s.attempts.back();
        out_ << "<div>stage <b>" << escape_markup(s.name) << "</b>"
             << (s.batch.empty() ? "" : " (batch " + escape_markup(s.batch) + ")") << ": "
             << escape_markup(describe_attempt(a)) << " after " << s.attempts.size() << " attempt"
             << (s.attempts.size() == 1 ? "" : "s");
        if (!a.stderr_log.empty()) {
          fs::path log = path_from_text(a.stderr_log);
          if (log.is_relative()) log = d_.logs.parent_path() / log;
          out_ << " &middot; <a href=\"" << link(log) << "\">stderr</a>";
        }
        out_ << "</div>";
        if (!a.stderr_tail.empty()) {
          out_ << "<pre>";
          for (const auto& line : last_lines(a.stderr_tail, kDashboardStderrLines)) {
            out_ << escape_markup(line) << "\n";
          }
          out_ << "</pre>";
        }
      }
      out_ << "</div>\n";
    }
    out_ << "</section>\n";
  }

  void batches() {
    if (!d_.status.batches) return;
    const auto& b = *d_.status.batches;
    out_ << "<h2>Batches</h2>\n<section id=\"batches\"><div>" << b.at("ready") << " ready &middot; "
         << b.at("processing") << " processing &middot; " << b.at("failed")
         << " in error/ &middot; " << b.at("archived") << " archived</div>";
    if (!d_.failed_batches.empty()) {
      out_ << "<table><tr><th>failed batch</th><th>folder</th><th>why</th></tr>";
      for (const auto& fb : d_.failed_batches) {
        out_ << "<tr><td class=\"mono\">" << escape_markup(fb.id) << "</td><td class=\"mono\">"
             << escape_markup(fb.path) << "</td><td>" << escape_markup(fb.detail) << "</td></tr>";
      }
      out_ << "</table>";
    }
    out_ << "</section>\n";
  }

  // Each windowed stage's watermark (SPEC 11): how far its data is done, and what is behind.
  void windows() {
    out_ << "<h2>Time windows</h2>\n";
    if (d_.status.windows.empty() && d_.status.windows_error.empty()) {
      out_ << "<section class=\"muted\">No stage of this pipeline has time windows.</section>\n";
      return;
    }
    out_ << "<section id=\"windows\">";
    if (!d_.status.windows_error.empty()) {
      out_ << "<div>The state store cannot be read: " << escape_markup(d_.status.windows_error)
           << "</div>";
    }
    out_ << "<table><tr><th>stage</th><th>watermark (done up to)</th><th>open windows</th>"
            "<th>next due</th></tr>";
    for (const auto& w : d_.status.windows) {
      out_ << "<tr data-stage=\"" << escape_markup(w.stage) << "\"><td class=\"mono\">"
           << escape_markup(w.stage) << "</td><td>"
           << (w.watermark ? escape_markup(format_rfc3339(*w.watermark)) : "none yet") << "</td><td"
           << (w.open > 0 ? " class=\"behind\"" : "") << ">" << w.open << "</td><td>"
           << (w.next_due ? escape_markup(format_rfc3339(*w.next_due)) : "-") << "</td></tr>";
    }
    out_ << "</table></section>\n";
  }

  // The inputs the last run quarantined (SPEC 12): where each went, and why.
  void quarantined() {
    if (!d_.status.last_report || d_.status.last_report->quarantined.empty()) return;
    out_ << "<h2>Quarantined by the last run</h2>\n<section id=\"quarantined\"><table><tr>"
            "<th>stage</th><th>input</th><th>moved to</th><th>failed runs</th><th>last error</th>"
            "</tr>";
    for (const auto& q : d_.status.last_report->quarantined) {
      out_ << "<tr><td class=\"mono\">" << escape_markup(q.stage) << "</td><td class=\"mono\">"
           << escape_markup(q.input) << "</td><td class=\"mono\">"
           << (q.to.empty() ? "not moved: " + escape_markup(q.move_error) : escape_markup(q.to))
           << "</td><td>" << q.failures << "</td><td>" << escape_markup(q.error) << "</td></tr>";
    }
    out_ << "</table></section>\n";
  }

  void runs() {
    out_ << "<h2>Recent runs</h2>\n<section><table id=\"runs\"><tr><th>started</th><th>status</th>"
            "<th>duration</th><th>stages</th><th>records</th></tr>";
    RecordLayout layout(d_.logs, fs::path());
    std::size_t shown = 0;
    for (const auto& r : d_.runs) {
      if (++shown > kDashboardListedRuns) break;
      out_ << "<tr data-run=\"" << escape_markup(r.run_id) << "\"><td>"
           << escape_markup(r.started_at)
           << "</td><td><span class=\"dot\" style=\"background:" << colour(r.status) << "\"></span>"
           << escape_markup(r.status) << "</td><td>" << seconds_text(r.duration_ms) << "</td><td>";
      for (const auto& s : r.stages) {
        out_ << "<span class=\"dot\" style=\"background:" << colour(s.status) << "\" title=\""
             << escape_markup(s.status) << "\"></span>" << escape_markup(s.name)
             << (s.batch.empty() ? "" : "@" + escape_markup(s.batch)) << " ";
      }
      auto started = parse_rfc3339(r.started_at);
      out_ << "</td><td><a href=\"" << link(path_from_text(r.report)) << "\">report</a> &middot; "
           << "<a href=\"" << link(layout.event_log(r.run_id)) << "\">events</a>";
      if (started)
        out_ << " &middot; <a href=\"" << link(layout.run_log(r.run_id, *started)) << "\">log</a>";
      out_ << "</td></tr>\n";
    }
    out_ << "</table>";
    if (d_.runs.size() > kDashboardListedRuns) {
      out_ << "<div class=\"muted\">The " << kDashboardListedRuns
           << " newest runs; <code>pipeline_runner audit list</code> has them all.</div>";
    }
    out_ << "</section>\n";
  }

  const DashboardData& d_;
  std::ostringstream out_;
};

}  // namespace

std::string render_dashboard(const DashboardData& data) {
  return Page(data).render();
}

fs::path default_dashboard_dir(const Config& config) {
  return config.logs / "dashboard";
}

void fill_from_history(DashboardData& d, RunHistory& history) {
  HistoryQuery q;
  q.limit = kDashboardTimelineRuns;
  q.with_stages = false;  // the timeline needs none; the listed runs get theirs below
  d.runs = history.list(q);
  q.limit = kDashboardListedRuns;
  q.with_stages = true;
  auto listed = history.list(q);
  for (std::size_t i = 0; i < listed.size() && i < d.runs.size(); ++i) {
    if (listed[i].run_id == d.runs[i].run_id) d.runs[i].stages = std::move(listed[i].stages);
  }
  d.timings = history.stage_timings(kDashboardTimelineRuns);
  d.days = history.runs_by_day();
}

DashboardData gather_dashboard(const Machine& m, const Config& config, const fs::path& out_dir,
                               PipelineStatus status) {
  DashboardData d;
  d.status = std::move(status);
  d.host = m.host;
  d.out_dir = out_dir;
  d.logs = config.logs;
  for (const auto& s : config.stages) d.stage_names.push_back(s.name);
  std::unique_ptr<RunHistory> history;
  try {
    history = open_history(config, false);
  } catch (const std::exception& e) {
    throw Error(exit_code::kInternal,
                std::string("the dashboard is drawn from the run history, which cannot be used (") +
                    e.what() + "): `pipeline_runner history rebuild` restores it");
  }
  fill_from_history(d, *history);
  const AuditStore reports(m.files, RecordLayout(config).reports_dir());
  for (const auto& r : d.runs) {
    if (d.failures.size() >= kDashboardFailures) break;
    if (!is_failing_status(r.status)) continue;
    try {
      d.failures.push_back(reports.load({"", path_from_text(r.report)}));
    } catch (const std::exception&) {
      // A report pruned or damaged since: the run is still on the timeline.
    }
  }
  if (config.batches) {
    for (auto& b : list_batches(config, m.files)) {
      if (b.state == "failed" && d.failed_batches.size() < 50)
        d.failed_batches.push_back(std::move(b));
    }
  }
  return d;
}

fs::path write_dashboard(Machine& m, const Config& config, const fs::path& out_dir,
                         PipelineStatus status) {
  const std::string page =
      render_dashboard(gather_dashboard(m, config, out_dir, std::move(status)));
  fs::path file = out_dir / "index.html";
  m.files.create_directories(out_dir);
  m.files.write_atomic(file, page);
  return file;
}

}  // namespace pipeline
