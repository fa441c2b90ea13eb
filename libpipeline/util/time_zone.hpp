#pragma once
/// Time zones of the IANA database (Howard Hinnant's date library), for window boundaries on
/// a zone's wall clock (SPEC 11). UTC needs no database; any other zone is looked up once.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/posix_tz_rule.hpp"
#include "util/time_format.hpp"

namespace date {
class time_zone;
}

namespace pipeline {

class TimeZone {
 public:
  /// UTC.
  TimeZone() = default;
  /// The zone named so in the IANA database ("America/Los_Angeles"; "UTC" needs none).
  /// Throws std::runtime_error saying why: an unknown name (with a near one), no zone data.
  static TimeZone named(const std::string& name);

  const std::string& name() const { return name_; }
  bool is_utc() const { return zone_ == nullptr; }

  /// Seconds east of UTC at an instant (Unix seconds).
  std::int64_t offset_at(std::int64_t unix_seconds) const;

  /// When the wall clock reads a local time (seconds since 1970-01-01 00:00 on that clock).
  struct Instants {
    std::int64_t first = 0;              ///< the instant; in a fold the earlier one
    std::optional<std::int64_t> second;  ///< in a fold (the clock went back): the later one
    bool gap = false;  ///< the clock skipped that time: `first` is the instant the gap ends
  };
  Instants instants(std::int64_t local_seconds) const;

  /// strftime-style text of t (whole seconds) on this zone's wall clock: %Y-%m-%dT%H:%M:%S%z,
  /// %F, %T, %Z ("PST"), ... (the date library's format flags).
  std::string format(TimePoint t, std::string_view fmt) const;
  /// The same for Unix seconds, which reach year 9999 (a TimePoint of nanoseconds ends in 2262).
  std::string format_seconds(std::int64_t unix_seconds, std::string_view fmt) const;

 private:
  /// The zone's rule after its data ends, where the data ends (see zone_rule_after_data).
  const PosixTzRule* after_data(std::int64_t unix_seconds) const;

  const date::time_zone* zone_ = nullptr;
  std::shared_ptr<const PosixTzRule> rule_;
  std::string name_ = "UTC";
};

/// Where the zone data comes from, for messages: "/usr/share/zoneinfo (the tzdata package)".
std::string zone_data_source();

/// The folder of the running program, given by the composition root before any lookup: on
/// Windows the zone data is the tzdata folder beside the program (or PIPELINE_TZDATA's);
/// where the system has it (Linux) this changes nothing.
void set_program_folder(const std::filesystem::path& folder);

/// Makes the zone data findable before the first lookup.
void prepare_zone_data();

/// The POSIX TZ rule ("EST5EDT,M3.2.0,M11.1.0") that a zone follows after the last transition
/// its data lists, where the data stops early: the system's compiled files list transitions
/// until 2037 only, and the date library reads nothing after them, so a 2040 window would
/// miss its daylight saving time. "" where the data holds the rules for every year.
std::string zone_rule_after_data(const std::string& name);

}  // namespace pipeline

namespace pipeline {

/// The years a user may write (and the runner keeps): 1970 to 9999.
inline constexpr int kFirstYear = 1970;
inline constexpr const char* kYearRange = "from 1970-01-01 to 9999-12-31";

/// A time as a user writes one: "2026-01-05", "2026-01-05T06:00[:00]", with or without "Z" or
/// "+01:00", in the years 1970 to 9999 (nullopt otherwise). Without an offset it is a
/// wall-clock time, to be read in some zone.
struct CivilTime {
  std::int64_t local_seconds = 0;      ///< seconds since 1970-01-01 00:00 on its clock
  std::optional<std::int64_t> offset;  ///< seconds east of UTC, when written
};
std::optional<CivilTime> parse_civil_time(std::string_view text);

/// The instant a civil time names: with its offset as written, else on zone's wall clock (the
/// earlier instant in a fold, the gap's end in a gap).
std::int64_t instant_of(const CivilTime& t, const TimeZone& zone);

}  // namespace pipeline
