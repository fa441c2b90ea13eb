#include <date/tz.h>

#include <cstdlib>
#include <string>

#include "util/time_zone.hpp"

namespace pipeline {
namespace {

std::filesystem::path& program_folder() {
  static std::filesystem::path folder;
  return folder;
}

// PIPELINE_TZDATA, else the tzdata folder beside this program (the build puts it there).
// The date library opens its files by narrow names (the ANSI code page's).
std::string zone_data_folder() {
  if (const wchar_t* set = _wgetenv(L"PIPELINE_TZDATA"); set && *set) {
    return std::filesystem::path(set).string();
  }
  return (program_folder() / "tzdata").string();
}

}  // namespace

void set_program_folder(const std::filesystem::path& folder) {
  program_folder() = folder;
}

std::string zone_data_source() {
  return "the IANA files in " + zone_data_folder() + " (set PIPELINE_TZDATA to use another)";
}

void prepare_zone_data() {
  date::set_install(zone_data_folder());
}

// The IANA text files (USE_OS_TZDB=0) hold the rules themselves, for every year.
std::string zone_rule_after_data(const std::string&) {
  return {};
}

}  // namespace pipeline
