#include "time_format.hpp"

#include <cstdio>
#include <ctime>

namespace pipeline {
namespace {

std::tm to_local_tm(std::time_t secs) {
  std::tm tm{};
#ifdef _WIN32
  localtime_s(&tm, &secs);
#else
  localtime_r(&secs, &tm);
#endif
  return tm;
}

std::string strftime_tm(const std::tm& tm, std::string_view fmt) {
  std::string f(fmt);
  for (std::size_t size = 64; size <= 64 * 1024; size *= 4) {
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
  std::tm utc{};
#ifdef _WIN32
  gmtime_s(&utc, &secs);
#else
  gmtime_r(&secs, &utc);
#endif
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

}  // namespace pipeline
