#pragma once
/// Broken-down time from the C library, thread-safe on each platform (localtime_r/gmtime_r
/// or localtime_s/gmtime_s). The one platform difference a leaf has; its pair is chosen by
/// CMake like the files of platform/.

#include <ctime>

namespace pipeline {

std::tm to_local_tm(std::time_t secs);
std::tm to_utc_tm(std::time_t secs);

}  // namespace pipeline
