#include "util/time_format.hpp"

#include <cstdio>
#include <ctime>

#include "util/local_time.hpp"

namespace pipeline {
namespace {

std::string strftime_tm(const std::tm& tm, std::string_view fmt) {
  std::string f(fmt);
  for (std::size_t size = 64; size <= std::size_t{64} * 1024; size *= 4) {
    std::string buf(size, '\0');
    std::size_t n = std::strftime(buf.data(), buf.size(), f.c_str(), &tm);
    if (n > 0 || f.empty()) {
      buf.resize(n);
      return buf;
    }
  }
  return {};
}

// Offset of local time from UTC at the given instant, in minutes (portable: no tm_gmtoff).
long utc_offset_minutes(std::time_t secs) {
  std::tm local = to_local_tm(secs);
  std::tm utc = to_utc_tm(secs);
  long days = local.tm_yday - utc.tm_yday;
  if (local.tm_year != utc.tm_year) days = local.tm_year > utc.tm_year ? 1 : -1;
  return ((days * 24 + local.tm_hour - utc.tm_hour) * 60) + local.tm_min - utc.tm_min;
}

}  // namespace

std::string format_rfc3339(TimePoint t) {
  auto ms_total =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms_total / 1000);
  auto ms = ms_total % 1000;
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  std::tm tm = to_local_tm(secs);
  long off = utc_offset_minutes(secs);
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms), sign, off / 60, off % 60);
  return buf;
}

std::string format_local(TimePoint t, std::string_view fmt) {
  return strftime_tm(to_local_tm(std::chrono::system_clock::to_time_t(t)), fmt);
}

std::string format_prev_month(TimePoint t, std::string_view fmt) {
  std::tm tm = to_local_tm(std::chrono::system_clock::to_time_t(t));
  tm.tm_mday = 1;  // the first of this month minus one month is always a valid day
  if (tm.tm_mon == 0) {
    tm.tm_mon = 11;
    tm.tm_year -= 1;
  } else {
    tm.tm_mon -= 1;
  }
  tm.tm_isdst = -1;
  std::mktime(&tm);  // normalises tm_wday / tm_yday for formats that use them
  return strftime_tm(tm, fmt);
}

int local_day_of_month(TimePoint t) {
  return to_local_tm(std::chrono::system_clock::to_time_t(t)).tm_mday;
}

std::string file_stamp(TimePoint t) {
  return format_local(t, "%Y%m%d_%H%M%S");
}

std::optional<TimePoint> parse_rfc3339(std::string_view t) {
  auto digits = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    if (at + n > t.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2),
       s = digits(17, 2);
  if (!y || !mo || !d || !h || !mi || !s || t[4] != '-' || t[7] != '-' ||
      (t[10] != 'T' && t[10] != ' ') || t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year(*y), std::chrono::month(unsigned(*mo)),
                                  std::chrono::day(unsigned(*d))};
  // Years past 2261 do not fit a nanosecond system_clock time point.
  if (!ymd.ok() || *y < 1970 || *y > 2261 || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  std::size_t i = 19;
  std::int64_t ms = 0;
  if (i < t.size() && t[i] == '.') {
    std::int64_t scale = 100;
    for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, scale /= 10) {
      ms += (t[i] - '0') * scale;
    }
  }
  int offset_min = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    auto oh = digits(i + 1, 2), om = digits(i + 4, 2);
    if (!oh || !om || i + 3 >= t.size() || t[i + 3] != ':') return std::nullopt;
    offset_min = (*oh * 60 + *om) * (t[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  auto tp = std::chrono::sys_days(ymd) + std::chrono::hours(*h) + std::chrono::minutes(*mi) +
            std::chrono::seconds(*s) + std::chrono::milliseconds(ms) -
            std::chrono::minutes(offset_min);
  return std::chrono::time_point_cast<TimePoint::duration>(tp);
}

}  // namespace pipeline
