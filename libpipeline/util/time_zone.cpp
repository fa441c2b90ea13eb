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
  return z;
}

std::int64_t TimeZone::offset_at(std::int64_t unix_seconds) const {
  if (!zone_) return 0;
  return zone_->get_info(date::sys_seconds{seconds{unix_seconds}}).offset.count();
}

TimeZone::Instants TimeZone::instants(std::int64_t local) const {
  Instants out;
  if (!zone_) {
    out.first = local;
    return out;
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
  const std::string f(fmt);
  const auto secs = std::chrono::floor<seconds>(t);
  if (!zone_) return date::format(f, secs);
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
  if (!y || !take(s, i, '-')) return std::nullopt;
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
  out.local_seconds =
      date::sys_days(ymd).time_since_epoch().count() * 86400 + h * 3600 + m * 60 + sec;
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
  return out;
}

std::int64_t instant_of(const CivilTime& t, const TimeZone& zone) {
  if (t.offset) return t.local_seconds - *t.offset;
  return zone.instants(t.local_seconds).first;
}

}  // namespace pipeline
