#include "util/local_time.hpp"

namespace pipeline {

std::tm to_local_tm(std::time_t secs) {
  std::tm tm{};
  localtime_r(&secs, &tm);
  return tm;
}

std::tm to_utc_tm(std::time_t secs) {
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

}  // namespace pipeline
