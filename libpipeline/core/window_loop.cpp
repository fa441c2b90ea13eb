#include "core/window_loop.hpp"

#include <algorithm>
#include <limits>

#include "core/stage_runner.hpp"
#include "records/report_json.hpp"
#include "util/paths.hpp"

namespace pipeline {
namespace {

// Open windows read per run beyond max_per_run: those a dependency holds back (independent
// order) leave room for later ones.
constexpr std::size_t kLookAhead = 64;

std::int64_t now_ms(const OrchestratorServices& s) {
  return unix_ms(s.clock.now());
}

}  // namespace

WindowKey window_key(const StageConfig& stage) {
  return {stage.name, stage.windows->grid_key()};
}

void add_due_windows(const StageConfig& stage, WindowStore& store, TimePoint now) {
  const WindowsConfig& c = *stage.windows;
  const WindowGrid grid(c);
  const WindowKey key = window_key(stage);
  const std::int64_t from = store.known_until(key).value_or(grid.first_start());
  const std::int64_t horizon = unix_seconds(now) - c.lag.count();
  const auto due = grid.between(from, horizon, kWindowsAddedPerRun);
  if (due.empty()) return;
  std::vector<std::pair<std::int64_t, std::int64_t>> rows;
  rows.reserve(due.size());
  for (const auto& w : due) rows.emplace_back(w.start, w.end);
  store.add(key, rows, due.back().end);
}

WindowSummary summarize_windows(const StageConfig& stage, WindowStore* store, TimePoint now) {
  const WindowsConfig& c = *stage.windows;
  const WindowGrid grid(c);
  const WindowKey key = window_key(stage);
  WindowSummary out;
  out.stage = stage.name;
  const std::optional<std::int64_t> known = store ? store->known_until(key) : std::nullopt;
  const auto first_open = store ? store->open(key, 1) : std::vector<WindowRow>{};
  std::optional<std::int64_t> mark = first_open.empty() ? known : first_open.front().start;
  if (mark && *mark > grid.first_start()) out.watermark = from_unix_seconds(*mark);
  const std::int64_t from = known.value_or(grid.first_start());
  const std::int64_t horizon = unix_seconds(now) - c.lag.count();
  const auto unknown = grid.between(from, horizon, kWindowsAddedPerRun);
  out.open = (store ? store->open_count(key, horizon) : 0) + unknown.size();
  // The next window to come due: one a clock that ran ahead already added, or the grid's.
  std::optional<std::int64_t> next_end;
  if (store && known && *known > horizon) {
    for (const auto& r : store->overlapping(key, horizon, horizon + 1)) {
      if (r.state != WindowState::kSucceeded && r.end > horizon) next_end = r.end;
    }
  }
  if (!next_end) {
    const auto next = grid.between(unknown.empty() ? from : unknown.back().end,
                                   std::numeric_limits<std::int64_t>::max() / 4, 1);
    if (!next.empty()) next_end = next.front().end;
  }
  // (A window due after 2262 has no TimePoint: its due time is not said.)
  if (next_end && from_unix_seconds(*next_end + c.lag.count()) != TimePoint::max()) {
    out.next_due = from_unix_seconds(*next_end + c.lag.count());
  }
  return out;
}

std::string describe_window(const WindowsConfig& c, const TimeWindow& w) {
  const bool same_day = c.zone.format_seconds(w.start, "%F") == c.zone.format_seconds(w.end, "%F");
  return c.zone.format_seconds(w.start, "%F %H:%M %Z") + " to " +
         c.zone.format_seconds(w.end, same_day ? "%H:%M %Z" : "%F %H:%M %Z");
}

void WindowLoop::skipped(const StageConfig& stage, const std::string& reason) {
  StageRecord rec;
  rec.name = stage.name;
  rec.decision = {false, reason, {}};
  rec.status = StageStatus::kSkipped;
  s_.events.emit(stage.name, event::kSkipped, reason, {{"reason", reason}});
  run_.report.stages.push_back(std::move(rec));
}

std::string WindowLoop::waits_for(const StageConfig& stage, const TimeWindow& w) {
  if (!stage.when) return "";
  for (const auto& name : stage.when->after) {
    const StageConfig* dep = s_.config.find_stage(name);
    if (!dep || !dep->windows) continue;
    const WindowKey key = window_key(*dep);
    const auto known = store_->known_until(key);
    const auto rows = store_->overlapping(key, w.start, w.end);
    const auto open = std::count_if(rows.begin(), rows.end(), [](const WindowRow& r) {
      return r.state != WindowState::kSucceeded;
    });
    if (!known || *known < w.end || rows.empty() || open > 0) {
      return "waits for " + name + " to succeed over " + describe_window(*stage.windows, w) + " (" +
             std::to_string(open) + " of its windows there not succeeded" +
             (!known || *known < w.end ? ", and not all of them due yet)" : ")");
    }
  }
  return "";
}

StageRecord WindowLoop::run_window(const StageConfig& stage, const DecisionResult& decided,
                                   const PlaceholderValues& values, const fs::path& stage_logs,
                                   WindowRow row) {
  const WindowsConfig& c = *stage.windows;
  const WindowKey key = window_key(stage);
  const TimeWindow w{row.start, row.end};
  const WindowValue value{from_unix_seconds(row.start), from_unix_seconds(row.end),
                          window_id(row.start), &c.zone};
  // Running, before it starts: a run that dies now leaves it open, to be run again.
  row.state = WindowState::kRunning;
  row.runs += 1;
  row.run_id = run_.report.run_id;
  row.updated_ms = now_ms(s_);
  store_->put(key, row);

  StageRecord rec = StageRunner(run_, &value)
                        .run(stage, decided.inputs, values, stage_logs / path_from_text(value.id));
  rec.window = WindowRef{value.id, value.start, value.end};
  rec.decision = {true, "window " + describe_window(c, w) + " is due", decided.decision.warnings};

  row.attempts += static_cast<int>(rec.attempts.size());
  row.counts = rec.counts;
  row.updated_ms = now_ms(s_);
  if (rec.status == StageStatus::kSucceeded) {
    row.state = WindowState::kSucceeded;
    row.error.clear();
  } else if (run_.aborted) {
    row.state = WindowState::kPending;
    row.error = "the run was stopped during it";
  } else {
    row.state = WindowState::kFailed;
    row.error = rec.attempts.empty() ? std::string(to_string(rec.status))
                                     : describe_attempt(rec.attempts.back());
  }
  try {
    store_->put(key, row);
  } catch (const std::exception& e) {
    run_.report.errors.push_back("stage " + stage.name + ": window " + value.id +
                                 " ran, but its state could not be kept (" + e.what() +
                                 "); the next run runs it again");
  }
  return rec;
}

std::optional<std::vector<WindowRow>> WindowLoop::due_windows(const StageConfig& stage,
                                                              const DecisionResult& decided) {
  const WindowsConfig& c = *stage.windows;
  if (!store_) {
    skipped(stage,
            "its windows cannot run: the state store that keeps them cannot be used (see the "
            "run's errors)");
    return std::nullopt;
  }
  const TimePoint now = s_.clock.now();
  const std::int64_t horizon = unix_seconds(now) - c.lag.count();
  std::vector<WindowRow> open;
  try {
    add_due_windows(stage, *store_, now);
    open = store_->open(window_key(stage), static_cast<std::size_t>(c.max_per_run) + kLookAhead);
    // Never a window whose data may still come (future-data protection), also when the
    // clock went back since the window was added.
    open.erase(std::remove_if(open.begin(), open.end(),
                              [&](const WindowRow& r) { return r.end > horizon; }),
               open.end());
    if (open.empty()) {
      const WindowSummary now_at = summarize_windows(stage, store_, now);
      std::string why = "no window is due";
      if (now_at.next_due) why += "; the next is due at " + format_rfc3339(*now_at.next_due);
      skipped(stage, why);
      run_.report.windows.push_back(now_at);
      return std::nullopt;
    }
  } catch (const std::exception& e) {
    run_.report.errors.push_back("stage " + stage.name +
                                 ": its windows cannot be read: " + e.what());
    skipped(stage, std::string("its windows cannot be read: ") + e.what());
    return std::nullopt;
  }
  const std::string due =
      std::to_string(open.size()) +
      (open.size() > static_cast<std::size_t>(c.max_per_run) ? " or more" : "") +
      " windows due, oldest first from " +
      describe_window(c, {open.front().start, open.front().end}) + "; this run takes up to " +
      std::to_string(c.max_per_run);
  nlohmann::json data = decision_to_json(decided.decision);
  data["windows_due"] = open.size();
  s_.events.emit(stage.name, event::kDecision, decided.decision.reason + "; " + due,
                 std::move(data));
  return open;
}

StageStatus WindowLoop::run(const StageConfig& stage, const DecisionResult& decided,
                            const PlaceholderValues& values, const fs::path& stage_logs) {
  const WindowsConfig& c = *stage.windows;
  const auto open = due_windows(stage, decided);
  if (!open) return StageStatus::kSkipped;
  std::size_t ran = 0;
  bool all_succeeded = true;
  std::string held;
  for (const WindowRow& row : *open) {
    if (ran == static_cast<std::size_t>(c.max_per_run) || run_.stopped()) break;
    if (std::string wait = waits_for(stage, {row.start, row.end}); !wait.empty()) {
      if (held.empty()) held = wait;
      if (c.strict) break;
      continue;
    }
    StageRecord rec;
    try {
      rec = run_window(stage, decided, values, stage_logs, row);
    } catch (const std::exception& e) {
      run_.report.errors.push_back("stage " + stage.name + ": window " + window_id(row.start) +
                                   " was not run: its state could not be kept (" + e.what() + ")");
      all_succeeded = false;
      break;
    }
    ++ran;
    const bool ok = rec.status == StageStatus::kSucceeded;
    all_succeeded = all_succeeded && ok;
    run_.report.stages.push_back(std::move(rec));
    if (!ok && (c.strict || run_.aborted)) break;
  }
  if (ran == 0 && !held.empty()) skipped(stage, held);
  try {
    WindowSummary summary = summarize_windows(stage, store_, s_.clock.now());
    summary.ran = ran;
    run_.report.windows.push_back(summary);
  } catch (const std::exception& e) {
    run_.report.errors.push_back("stage " + stage.name +
                                 ": its windows cannot be read: " + e.what());
  }
  if (ran == 0) return all_succeeded ? StageStatus::kSkipped : StageStatus::kFailed;
  return all_succeeded ? StageStatus::kSucceeded : StageStatus::kFailed;
}

}  // namespace pipeline
