#include "core/window_restore.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "core/window_grid.hpp"
#include "core/window_loop.hpp"

namespace pipeline {
namespace {

// What the reports say of one stage's windows.
struct Known {
  std::map<std::int64_t, WindowRow> ran;  ///< by start
  std::optional<std::int64_t> watermark;  ///< the newest report's
  bool any = false;
};

WindowState state_of(StageStatus s) {
  if (s == StageStatus::kSucceeded) return WindowState::kSucceeded;
  if (s == StageStatus::kNotStarted) return WindowState::kPending;
  return WindowState::kFailed;
}

Known read_reports(const std::string& stage, const std::vector<ReportOnRecord>& reports) {
  Known k;
  for (const auto& [report, path] : reports) {
    for (const auto& rec : report.stages) {
      if (rec.name != stage || !rec.window) continue;
      const std::int64_t start = unix_seconds(rec.window->start);
      WindowRow& row = k.ran[start];
      row.start = start;
      row.end = unix_seconds(rec.window->end);
      row.state = state_of(rec.status);
      row.attempts += static_cast<int>(rec.attempts.size());
      row.runs += 1;
      row.run_id = report.run_id;
      row.updated_ms = unix_ms(report.finished_at);
      row.counts = rec.counts;
      row.error = row.state == WindowState::kSucceeded ? std::string()
                  : rec.attempts.empty()               ? std::string(to_string(rec.status))
                                                       : describe_attempt(rec.attempts.back());
      k.any = true;
    }
    for (const auto& w : report.windows) {
      if (w.stage != stage) continue;
      k.watermark = w.watermark ? std::optional(unix_seconds(*w.watermark)) : std::nullopt;
      k.any = true;
    }
  }
  return k;
}

}  // namespace

std::vector<RestoredWindows> restore_windows(const Config& config,
                                             const std::vector<ReportOnRecord>& reports,
                                             WindowStore& store) {
  std::vector<RestoredWindows> out;
  for (const auto& stage : config.stages) {
    if (!stage.windows) continue;
    const Known k = read_reports(stage.name, reports);
    if (!k.any) continue;
    std::int64_t until = k.watermark.value_or(0);
    for (const auto& [start, row] : k.ran) until = std::max(until, row.end);
    const WindowGrid grid(*stage.windows);
    RestoredWindows done;
    done.stage = stage.name;
    std::vector<WindowRow> rows;
    for (const TimeWindow& w : grid.between(grid.first_start(), until, kWindowsAddedPerRun)) {
      WindowRow row;
      if (auto it = k.ran.find(w.start); it != k.ran.end() && it->second.end == w.end) {
        row = it->second;
        ++done.from_reports;
      }
      row.start = w.start;
      row.end = w.end;
      if (k.watermark && w.end <= *k.watermark) {
        row.state = WindowState::kSucceeded;
        row.error.clear();
      }
      if (row.state == WindowState::kSucceeded) ++done.succeeded;
      rows.push_back(std::move(row));
    }
    if (rows.empty()) continue;
    done.windows = rows.size();
    store.restore(window_key(stage), rows, rows.back().end);
    out.push_back(std::move(done));
  }
  return out;
}

}  // namespace pipeline
