#include "util/time_zone.hpp"

#include <date/tz.h>

#include <mutex>
#include <stdexcept>

namespace pipeline {
namespace {

using date::local_seconds;
using std::chrono::seconds;

}  // namespace

TimeZone TimeZone::named(const std::string& name) {
  TimeZone z;
  if (name == "UTC" || name == "Etc/UTC") return z;
  static std::once_flag prepared;
  std::call_once(prepared, prepare_zone_data);
  try {
    z.zone_ = date::locate_zone(name);
  } catch (const std::exception& e) {
    // The library says "X not found in timezone database", or why the database is unusable.
    throw std::runtime_error("time zone '" + name + "': " + e.what() + " (zone data: " +
                             zone_data_source() + "; names are like Europe/Berlin or UTC)");
  }
  z.name_ = name;
  if (std::string rule = zone_rule_after_data(name); !rule.empty()) {
    z.rule_ = PosixTzRule::parse(rule);  // none the library reads: the last offset stands
  }
  return z;
}

const PosixTzRule* TimeZone::after_data(std::int64_t unix_seconds) const {
  if (!rule_) return nullptr;
  const auto info = zone_->get_info(date::sys_seconds{seconds{unix_seconds}});
  // Past the last transition the data lists, its last period never ends (the library says
  // it ends in year 32767).
  static const date::sys_days kOpenEnded{date::year{10000} / 1 / 1};
  return info.end >= kOpenEnded ? rule_.get() : nullptr;
}

std::int64_t TimeZone::offset_at(std::int64_t unix_seconds) const {
  if (!zone_) return 0;
  const date::sys_seconds t{seconds{unix_seconds}};
  if (const auto* rule = after_data(unix_seconds)) return rule->offset_at(unix_seconds);
  return zone_->get_info(t).offset.count();
}

TimeZone::Instants TimeZone::instants(std::int64_t local) const {
  Instants out;
  if (!zone_) {
    out.first = local;
    return out;
  }
  // No zone is a day or more from UTC: a day before the wall-clock time is an instant before
  // it, past the data's end only where all of that wall-clock time is.
  if (const auto* rule = after_data(local - 86400)) {
    const auto at = rule->instants(local);
    return {at.first, at.second, at.gap};
  }
  const date::local_info info = zone_->get_info(local_seconds{seconds{local}});
  switch (info.result) {
    case date::local_info::unique:
      out.first = local - info.first.offset.count();
      break;
    case date::local_info::ambiguous:
      out.first = local - info.first.offset.count();
      out.second = local - info.second.offset.count();
      break;
    case date::local_info::nonexistent:
      out.first = info.first.end.time_since_epoch().count();  // the transition
      out.gap = true;
      break;
  }
  return out;
}

std::string TimeZone::format(TimePoint t, std::string_view fmt) const {
  return format_seconds(std::chrono::floor<seconds>(t.time_since_epoch()).count(), fmt);
}

std::string TimeZone::format_seconds(std::int64_t unix_seconds, std::string_view fmt) const {
  const std::string f(fmt);
  const date::sys_seconds secs{seconds{unix_seconds}};
  if (!zone_) return date::format(f, secs);
  if (const auto* rule = after_data(unix_seconds)) return rule->format(unix_seconds, fmt);
  return date::format(f, date::make_zoned(zone_, secs));
}

}  // namespace pipeline

namespace pipeline {
namespace {

// Reads exactly n digits at s[i..]; advances i.
std::optional<int> digits(std::string_view s, std::size_t& i, std::size_t n) {
  if (i + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const char c = s[i + k];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  i += n;
  return v;
}

bool take(std::string_view s, std::size_t& i, char c) {
  if (i < s.size() && s[i] == c) {
    ++i;
    return true;
  }
  return false;
}

}  // namespace

std::optional<CivilTime> parse_civil_time(std::string_view s) {
  std::size_t i = 0;
  auto y = digits(s, i, 4);
  if (!y || *y < kFirstYear || !take(s, i, '-')) return std::nullopt;
  auto mo = digits(s, i, 2);
  if (!mo || !take(s, i, '-')) return std::nullopt;
  auto d = digits(s, i, 2);
  if (!d) return std::nullopt;
  const date::year_month_day ymd{date::year{*y}, date::month(static_cast<unsigned>(*mo)),
                                 date::day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return std::nullopt;
  int h = 0, m = 0, sec = 0;
  if (take(s, i, 'T') || take(s, i, ' ')) {
    auto hh = digits(s, i, 2);
    if (!hh || !take(s, i, ':')) return std::nullopt;
    auto mm = digits(s, i, 2);
    if (!mm) return std::nullopt;
    h = *hh;
    m = *mm;
    if (take(s, i, ':')) {
      auto ss = digits(s, i, 2);
      if (!ss) return std::nullopt;
      sec = *ss;
    }
    if (h > 23 || m > 59 || sec > 59) return std::nullopt;
  }
  CivilTime out;
  // Days since 1970 as a 64-bit count: the library's days are an int, and days * 86400 in
  // an int wraps after 2038-01-19 (to 1901).
  const std::int64_t day = date::sys_days(ymd).time_since_epoch().count();
  out.local_seconds = day * 86400 + std::int64_t{h} * 3600 + std::int64_t{m} * 60 + sec;
  if (take(s, i, 'Z')) {
    out.offset = 0;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    const int sign = s[i++] == '-' ? -1 : 1;
    auto oh = digits(s, i, 2);
    if (!oh) return std::nullopt;
    take(s, i, ':');
    auto om = digits(s, i, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    out.offset = sign * (*oh * 3600 + *om * 60);
  }
  if (i != s.size()) return std::nullopt;
  if (out.offset && out.local_seconds - *out.offset < 0) return std::nullopt;  // before 1970
  return out;
}

std::int64_t instant_of(const CivilTime& t, const TimeZone& zone) {
  if (t.offset) return t.local_seconds - *t.offset;
  return zone.instants(t.local_seconds).first;
}

}  // namespace pipeline
