#pragma once
/// The time windows of a stage (SPEC 11): where they begin and end, from `start`, `every` and
/// the zone. Boundaries are the instants at which the zone's wall clock reads origin +
/// k x every: every such instant (both, where the clock goes back over it; the end of the gap,
/// where it jumps over it), so the windows tile time with no gap and no overlap.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace pipeline {

/// One window: [start, end) in Unix seconds.
struct TimeWindow {
  std::int64_t start = 0;
  std::int64_t end = 0;
  bool operator==(const TimeWindow&) const = default;
};

/// "20260101T000000Z": the window's start in UTC, unique on its grid and safe in file names.
std::string window_id(std::int64_t start);

/// Reads what window_id writes; nullopt otherwise.
std::optional<std::int64_t> parse_window_id(const std::string& id);

class WindowGrid {
 public:
  explicit WindowGrid(const WindowsConfig& config) : c_(config) {}

  /// The windows that start at or after `from` and end by `until`, oldest first, at most
  /// `limit` of them.
  std::vector<TimeWindow> between(std::int64_t from, std::int64_t until, std::size_t limit) const;

  /// The windows that overlap [from, until), oldest first, at most `limit`.
  std::vector<TimeWindow> overlapping(std::int64_t from, std::int64_t until,
                                      std::size_t limit) const;

  /// Where the first window begins.
  std::int64_t first_start() const;

  const WindowsConfig& config() const { return c_; }

 private:
  /// Every boundary of the grid points whose wall-clock time is in [lo, hi], sorted, unique.
  std::vector<std::int64_t> boundaries(std::int64_t lo, std::int64_t hi) const;

  const WindowsConfig& c_;
};

}  // namespace pipeline
