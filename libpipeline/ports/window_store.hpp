#pragma once
/// The state of every time window of every windowed stage (SPEC 11), kept where later runs
/// find it: which are pending, running, succeeded or failed, with attempts, runs and counts.
/// Each stage's windows are kept per grid (its every, start and zone): windows of a grid the
/// config no longer has are not this one's.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pipeline {

enum class WindowState { kPending, kRunning, kSucceeded, kFailed };

std::string_view to_string(WindowState s);
std::optional<WindowState> window_state_from_string(std::string_view s);

struct WindowRow {
  std::int64_t start = 0;  ///< Unix seconds
  std::int64_t end = 0;
  WindowState state = WindowState::kPending;
  int attempts = 0;    ///< every attempt of every run
  int runs = 0;        ///< runs that worked on it
  std::string run_id;  ///< the last run that worked on it (or reset it)
  std::int64_t updated_ms = 0;
  std::string error;                           ///< why its last run did not succeed
  std::map<std::string, std::int64_t> counts;  ///< what its last attempt counted
};

/// Which windows of which stage.
struct WindowKey {
  std::string stage;
  std::string grid;
};

class WindowStore {
 public:
  virtual ~WindowStore() = default;
  /// How far the stage's windows are known: the end of the last one added; nullopt for none.
  virtual std::optional<std::int64_t> known_until(const WindowKey& key) = 0;
  /// Adds windows as pending (a window already kept stays as it is) and moves known_until to
  /// `until`, in one transaction.
  virtual void add(const WindowKey& key,
                   const std::vector<std::pair<std::int64_t, std::int64_t>>& windows,
                   std::int64_t until) = 0;
  /// Windows not succeeded, oldest first, at most limit.
  virtual std::vector<WindowRow> open(const WindowKey& key, std::size_t limit) = 0;
  /// How many windows that end by `due_by` are not succeeded (windows a clock that ran ahead
  /// added, not due any more, are not behind).
  virtual std::size_t open_count(const WindowKey& key, std::int64_t due_by) = 0;
  /// Windows that overlap [from, until), oldest first.
  virtual std::vector<WindowRow> overlapping(const WindowKey& key, std::int64_t from,
                                             std::int64_t until) = 0;
  /// Writes a window's row (durably, once this returns).
  virtual void put(const WindowKey& key, const WindowRow& row) = 0;
  /// Writes these rows (replacing any kept at the same start) and sets known_until to `until`,
  /// in one transaction: a store rebuilt from the reports.
  virtual void restore(const WindowKey& key, const std::vector<WindowRow>& rows,
                       std::int64_t until) = 0;
  /// Marks the windows that overlap [from, until) pending again, in one transaction; returns
  /// them as they were.
  virtual std::vector<WindowRow> reset(const WindowKey& key, std::int64_t from, std::int64_t until,
                                       const std::string& by_run, std::int64_t now_ms) = 0;
};

}  // namespace pipeline
