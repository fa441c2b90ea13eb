#pragma once
/// Wall-clock time as the records show it: RFC 3339 with milliseconds and the local offset,
/// strftime in local time, and the file-name stamp YYYYMMDD_HHMMSS.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pipeline {

using TimePoint = std::chrono::system_clock::time_point;

/// "2026-11-21T23:17:57.123+01:00" in local time.
std::string format_rfc3339(TimePoint t);

/// Reads what format_rfc3339 writes (and "Z", and no or any fraction); nullopt if malformed.
std::optional<TimePoint> parse_rfc3339(std::string_view text);

/// strftime(fmt) of t in local time; an empty result for a format that produces nothing.
std::string format_local(TimePoint t, std::string_view fmt);

/// strftime(fmt) of a day in the month before t's (local time).
std::string format_prev_month(TimePoint t, std::string_view fmt);

/// Day of the month of t in local time, 1-31.
int local_day_of_month(TimePoint t);

/// "YYYYMMDD_HHMMSS" in local time, for report and log file names.
std::string file_stamp(TimePoint t);

/// Seconds since the Unix epoch (whole, rounded down), as time windows are kept.
inline std::int64_t unix_seconds(TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}
/// A TimePoint counts nanoseconds and ends in 2262: a later time (a window of year 9999) is
/// the last TimePoint rather than a wrapped one.
inline TimePoint from_unix_seconds(std::int64_t s) {
  constexpr std::int64_t kLast =
      std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count();
  return s >= kLast ? TimePoint::max() : TimePoint(std::chrono::seconds(s));
}

/// Nanoseconds since the Unix epoch, as file times are kept (FileStat::mtime_ns).
inline std::int64_t unix_ns(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
inline TimePoint from_unix_ns(std::int64_t ns) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(ns)));
}

/// Milliseconds since the Unix epoch, as the history and the state store keep times.
inline std::int64_t unix_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace pipeline
