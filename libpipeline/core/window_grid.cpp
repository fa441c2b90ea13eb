#include "core/window_grid.hpp"

#include <algorithm>

namespace pipeline {
namespace {

// No zone is further than this from UTC, nor moves its clock by more at once: a boundary is
// never further than this from the wall-clock time it was made from.
constexpr std::int64_t kZoneReach = std::int64_t{27} * 3600;
constexpr std::int64_t kDay = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

std::string window_id(std::int64_t start) {
  return TimeZone().format_seconds(start, "%Y%m%dT%H%M%SZ");
}

std::optional<std::int64_t> parse_window_id(const std::string& id) {
  if (id.size() != 16 || id[8] != 'T' || id[15] != 'Z') return std::nullopt;
  std::string civil = id.substr(0, 4) + "-" + id.substr(4, 2) + "-" + id.substr(6, 2) + "T" +
                      id.substr(9, 2) + ":" + id.substr(11, 2) + ":" + id.substr(13, 2) + "Z";
  auto t = parse_civil_time(civil);
  if (!t) return std::nullopt;
  return t->local_seconds;
}

std::int64_t WindowGrid::first_start() const {
  const auto at = c_.zone.instants(c_.origin_local);
  return at.first;
}

std::vector<std::int64_t> WindowGrid::boundaries(std::int64_t lo, std::int64_t hi) const {
  const std::int64_t step = c_.every.count();
  std::vector<std::int64_t> out;
  const std::int64_t k0 = std::max<std::int64_t>(0, floor_div(lo - c_.origin_local, step) + 1);
  const std::int64_t k1 = floor_div(hi - c_.origin_local, step);
  if (k1 < k0) return out;
  out.reserve(static_cast<std::size_t>(k1 - k0 + 1));
  for (std::int64_t k = k0; k <= k1; ++k) {
    const auto at = c_.zone.instants(c_.origin_local + k * step);
    out.push_back(at.first);
    if (at.second) out.push_back(*at.second);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<TimeWindow> WindowGrid::between(std::int64_t from, std::int64_t until,
                                            std::size_t limit) const {
  std::vector<TimeWindow> out;
  const std::int64_t step = c_.every.count();
  std::int64_t cursor = std::max(from, first_start());
  std::int64_t span = 2 * kDay + step;
  while (out.size() < limit && cursor < until) {
    const auto remaining =
        static_cast<std::int64_t>(std::min<std::size_t>(limit - out.size(), 100'000));
    const std::int64_t chunk_end = std::min(until, cursor + std::max(span, step * (remaining + 1)));
    // Every boundary in [cursor, chunk_end] comes from a grid point within kZoneReach of it.
    const auto b = boundaries(cursor - kZoneReach - step, chunk_end + kZoneReach + step);
    bool found = false;
    for (std::size_t i = 0; i + 1 < b.size() && out.size() < limit; ++i) {
      if (b[i] < cursor || b[i + 1] > chunk_end) continue;
      out.push_back({b[i], b[i + 1]});
      cursor = b[i + 1];
      found = true;
    }
    if (!found) {
      if (chunk_end >= until) break;
      span *= 2;  // the window at the cursor is longer than the chunk
    }
  }
  return out;
}

std::vector<TimeWindow> WindowGrid::overlapping(std::int64_t from, std::int64_t until,
                                                std::size_t limit) const {
  const std::int64_t step = c_.every.count();
  // The window that holds `from` begins at the last boundary at or before it.
  std::int64_t begin = first_start();
  for (std::int64_t b : boundaries(from - kZoneReach - step, from + kZoneReach + step)) {
    if (b <= from) begin = std::max(begin, b);
  }
  std::vector<TimeWindow> out;
  for (const auto& w : between(begin, until + step + kZoneReach, limit + 1)) {
    if (w.end > from && w.start < until && out.size() < limit) out.push_back(w);
  }
  return out;
}

}  // namespace pipeline
