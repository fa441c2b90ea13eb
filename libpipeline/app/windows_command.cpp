#include "app/windows_command.hpp"

#include <limits>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/run_command.hpp"
#include "app/state_repair.hpp"
#include "core/window_grid.hpp"
#include "core/window_loop.hpp"
#include "records/record_layout.hpp"
#include "records/report_json.hpp"
#include "records/sqlite_state.hpp"
#include "util/error.hpp"

namespace pipeline {
namespace {

using nlohmann::json;

std::vector<const StageConfig*> windowed_stages(const Config& cfg, const std::string& only) {
  std::vector<const StageConfig*> out;
  for (const auto& s : cfg.stages) {
    if (s.windows && (only.empty() || s.name == only)) out.push_back(&s);
  }
  if (!only.empty() && out.empty()) {
    const StageConfig* s = cfg.find_stage(only);
    throw UsageError("--stage " + only + ": " +
                     (s ? "this stage has no windows" : "no such stage in " + path_text(cfg.file)));
  }
  if (out.empty()) throw UsageError(path_text(cfg.file) + " has no stage with windows");
  return out;
}

// The store when it exists; null when no run has made one yet (nothing kept: all pending).
std::unique_ptr<WindowStore> existing_store(const Machine& m, const Config& cfg) {
  const fs::path db = RecordLayout(cfg).state_db();
  if (!m.files.stat(db)) return nullptr;
  return open_sqlite_window_store(db);
}

// A time as the user wrote it, on the stage's clock: 2026-01-05, 2026-01-05T06:00, with an
// offset, or a window id.
std::int64_t read_time(const std::string& option, const std::string& text, const WindowsConfig& w) {
  if (auto id = parse_window_id(text)) return *id;
  auto civil = parse_civil_time(text);
  if (!civil) {
    throw UsageError(option + " " + text + ": not a time " + std::string(kYearRange) +
                     "; write 2026-01-05, 2026-01-05T06:00 (on the stage's "
                     "timezone, " +
                     w.zone.name() + "), 2026-01-05T06:00:00Z or a window id");
  }
  return instant_of(*civil, w.zone);
}

// Whether a window is due at now: its end plus the lag has passed. A pending one that is not
// (a clock that ran ahead added it) is not behind.
bool is_due(const WindowsConfig& w, const WindowRow& r, TimePoint now) {
  return r.end + w.lag.count() <= unix_seconds(now);
}

json row_json(const WindowsConfig& w, const WindowRow& r, TimePoint now) {
  return {{"id", window_id(r.start)},
          {"start", w.zone.format_seconds(r.start, "%Y-%m-%dT%H:%M:%S%Ez")},
          {"end", w.zone.format_seconds(r.end, "%Y-%m-%dT%H:%M:%S%Ez")},
          {"state", to_string(r.state)},
          {"due", is_due(w, r, now)},
          {"attempts", r.attempts},
          {"runs", r.runs},
          {"run_id", r.run_id.empty() ? json(nullptr) : json(r.run_id)},
          {"updated_at",
           r.updated_ms ? json(format_rfc3339(TimePoint(Millis(r.updated_ms)))) : json(nullptr)},
          {"error", r.error.empty() ? json(nullptr) : json(r.error)},
          {"counts", r.counts}};
}

// The windows kept, and those due that no run has taken up yet (pending too).
std::vector<WindowRow> all_windows(const StageConfig& stage, WindowStore* store, TimePoint now) {
  const WindowsConfig& w = *stage.windows;
  const WindowGrid grid(w);
  std::vector<WindowRow> rows;
  std::optional<std::int64_t> known;
  if (store) {
    const WindowKey key = window_key(stage);
    rows = store->overlapping(key, std::numeric_limits<std::int64_t>::min() / 4,
                              std::numeric_limits<std::int64_t>::max() / 4);
    known = store->known_until(key);
  }
  for (const auto& tw : grid.between(known.value_or(grid.first_start()),
                                     unix_seconds(now) - w.lag.count(), kWindowsAddedPerRun)) {
    WindowRow r;
    r.start = tw.start;
    r.end = tw.end;
    rows.push_back(r);
  }
  return rows;
}

int list_windows(Machine& m, const Config& cfg, const WindowsRequest& req) {
  if (!req.status.empty() && !window_state_from_string(req.status)) {
    throw UsageError("--status " + req.status + ": use pending, running, succeeded or failed");
  }
  auto stages = windowed_stages(cfg, req.stage);
  std::unique_ptr<WindowStore> store = existing_store(m, cfg);
  json out = json::array();
  for (const StageConfig* stage : stages) {
    const WindowsConfig& w = *stage->windows;
    const WindowSummary summary = summarize_windows(*stage, store.get(), m.clock.now());
    json windows = json::array();
    std::string lines;
    for (const auto& r : all_windows(*stage, store.get(), m.clock.now())) {
      if (!req.status.empty() && to_string(r.state) != req.status) continue;
      if (req.json) {
        windows.push_back(row_json(w, r, m.clock.now()));
        continue;
      }
      std::string state(to_string(r.state));
      lines += "  " + window_id(r.start) + "  " + describe_window(w, {r.start, r.end}) + "  " +
               state + std::string(state.size() < 10 ? 10 - state.size() : 1, ' ') +
               std::to_string(r.attempts) + (r.attempts == 1 ? " attempt" : " attempts");
      for (const auto& [name, n] : r.counts) lines += "  " + name + "=" + std::to_string(n);
      if (!r.error.empty()) lines += "  " + r.error;
      if (r.state != WindowState::kSucceeded && !is_due(w, r, m.clock.now())) {
        lines += "  (not due yet)";
      }
      lines += "\n";
    }
    if (req.json) {
      json s = window_summary_to_json(summary);
      s["timezone"] = w.zone.name();
      s["every"] = format_duration(std::chrono::duration_cast<Millis>(w.every));
      s["windows"] = std::move(windows);
      out.push_back(std::move(s));
      continue;
    }
    m.out << stage->name << ": every "
          << format_duration(std::chrono::duration_cast<Millis>(w.every)) << " on " << w.zone.name()
          << ", watermark "
          << (summary.watermark ? format_rfc3339(*summary.watermark) : std::string("none yet"))
          << ", " << summary.open << " open"
          << (summary.next_due ? ", next due " + format_rfc3339(*summary.next_due) : "") << "\n"
          << lines;
  }
  if (req.json) m.out << dump_json(out, 2) << "\n";
  return exit_code::kSuccess;
}

int reset_windows(Machine& m, const Config& cfg, const WindowsRequest& req) {
  if (req.stage.empty()) throw UsageError("windows reset needs --stage");
  if (req.from.empty()) throw UsageError("windows reset needs --from");
  const StageConfig* stage = windowed_stages(cfg, req.stage).front();
  const WindowsConfig& w = *stage->windows;
  const std::int64_t from = read_time("--from", req.from, w);
  const std::int64_t until =
      req.to.empty() ? std::numeric_limits<std::int64_t>::max() / 4 : read_time("--to", req.to, w);
  if (until <= from) throw UsageError("--to must be later than --from");

  // Under the run lock, waiting like a run: a run working on these windows finishes first.
  auto lock = lock_like_a_run(m, cfg, "windows reset");
  if (!lock) return exit_code::kLocked;
  // A reset of a store that was lost would mark nothing and leave an empty store that the
  // next run takes as whole: what the reports know comes back first.
  if (const StateRepair repair = repair_state_store(m, cfg, m.clock.now()); repair.happened()) {
    m.err << "pipeline_runner: warning: " << repair.message() << "\n";
  }
  std::vector<WindowRow> before;
  try {
    auto store = open_sqlite_window_store(RecordLayout(cfg).state_db());
    before = store->reset(window_key(*stage), from, until,
                          "reset at " + format_rfc3339(m.clock.now()), unix_ms(m.clock.now()));
  } catch (const std::exception& e) {
    throw Error(exit_code::kInternal, std::string("the windows are not reset: ") + e.what());
  }
  std::map<std::string, std::size_t> was;
  for (const auto& r : before) ++was[std::string(to_string(r.state))];
  if (req.json) {
    json ids = json::array();
    for (const auto& r : before) ids.push_back(window_id(r.start));
    m.out << dump_json(
                 {{"stage", stage->name}, {"reset", before.size()}, {"was", was}, {"windows", ids}},
                 2)
          << "\n";
    return exit_code::kSuccess;
  }
  m.out << "reset " << before.size() << (before.size() == 1 ? " window" : " windows") << " of "
        << stage->name;
  if (!before.empty()) {
    const std::string shown = "%F %H:%M %Z";
    m.out << " (from " << w.zone.format_seconds(before.front().start, shown) << " to "
          << w.zone.format_seconds(before.back().end, shown) << "; was:";
    for (const auto& [state, n] : was) m.out << " " << n << " " << state;
    m.out << ")";
  }
  m.out << ": the next runs process them again, oldest first\n";
  return exit_code::kSuccess;
}

}  // namespace

int windows_command(Machine& machine, const Config& config, const WindowsRequest& request) {
  if (request.action == "reset") return reset_windows(machine, config, request);
  return list_windows(machine, config, request);
}

std::vector<WindowSummary> read_window_summaries(const Machine& machine, const Config& config,
                                                 std::string& error) {
  std::vector<WindowSummary> out;
  std::unique_ptr<WindowStore> store;
  try {
    store = existing_store(machine, config);
    for (const auto& s : config.stages) {
      if (s.windows) out.push_back(summarize_windows(s, store.get(), machine.clock.now()));
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  return out;
}

}  // namespace pipeline
