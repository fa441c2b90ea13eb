#include "util/time_zone.hpp"

namespace pipeline {

// The date library reads the system's compiled zone files (USE_OS_TZDB).
std::string zone_data_source() {
  return "/usr/share/zoneinfo, from the tzdata package";
}

void set_program_folder(const std::filesystem::path&) {}

void prepare_zone_data() {}

}  // namespace pipeline
