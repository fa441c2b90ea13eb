#pragma once
/// A windowed stage's part of a run (SPEC 11): makes the windows that became due known to the
/// store, then works through the open ones oldest first, at most max_per_run, each with the
/// stage's attempts, its own logs and its own record; keeps each window's state in the store
/// before and after it runs, so a run that dies mid-window leaves it to be run again, never
/// skipped.

#include <optional>
#include <string>
#include <vector>

#include "core/run_context.hpp"
#include "core/stage_decision.hpp"
#include "core/window_grid.hpp"
#include "ports/window_store.hpp"

namespace pipeline {

/// Windows added to the store per run at most (the rest the next runs add, oldest first).
inline constexpr std::size_t kWindowsAddedPerRun = 100'000;

/// The store's key for a stage's windows.
WindowKey window_key(const StageConfig& stage);

/// Adds the windows that became due by `now` (end + lag passed) to the store.
void add_due_windows(const StageConfig& stage, WindowStore& store, TimePoint now);

/// Where a windowed stage stands at `now`: watermark, open windows (kept, and due but not
/// yet taken up by a run), the next one due. store null: no run has kept a window yet.
WindowSummary summarize_windows(const StageConfig& stage, WindowStore* store, TimePoint now);

/// "2026-01-01 00:00-02:00 PST": a window as a person reads it, on its zone's clock.
std::string describe_window(const WindowsConfig& c, const TimeWindow& w);

class WindowLoop {
 public:
  WindowLoop(RunContext& run, WindowStore* store) : run_(run), s_(run.s), store_(store) {}

  /// Runs the due windows of a stage whose `when` holds (decision says why), appending one
  /// record per window (or one skipped record when none is due); returns the stage's outcome
  /// for `after`: succeeded when every window it ran succeeded.
  StageStatus run(const StageConfig& stage, const DecisionResult& decided,
                  const PlaceholderValues& values, const fs::path& stage_logs);

 private:
  /// Whether the windowed stages this one runs after have succeeded over all of w; the
  /// reason when not.
  std::string waits_for(const StageConfig& stage, const TimeWindow& w);
  /// Adds the windows that became due, and says which are open and due now (announcing
  /// them); nullopt, with a skipped record, when none can run.
  std::optional<std::vector<WindowRow>> due_windows(const StageConfig& stage,
                                                    const DecisionResult& decided);
  StageRecord run_window(const StageConfig& stage, const DecisionResult& decided,
                         const PlaceholderValues& values, const fs::path& stage_logs,
                         WindowRow row);
  void skipped(const StageConfig& stage, const std::string& reason);

  RunContext& run_;
  const OrchestratorServices& s_;
  WindowStore* store_;
};

}  // namespace pipeline
