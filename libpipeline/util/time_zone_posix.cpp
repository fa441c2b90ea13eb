#include <fstream>
#include <iterator>

#include "util/time_zone.hpp"

namespace pipeline {

// The date library reads the system's compiled zone files (USE_OS_TZDB).
std::string zone_data_source() {
  return "/usr/share/zoneinfo, from the tzdata package";
}

void set_program_folder(const std::filesystem::path&) {}

void prepare_zone_data() {}

// A TZif file of version 2 or later ends with "\n<POSIX TZ string>\n": the rule for every
// instant after its last transition (2037 in Debian's files).
std::string zone_rule_after_data(const std::string& name) {
  std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff tail = std::min<std::streamoff>(size, 256);
  in.seekg(size - tail);
  std::string text(static_cast<std::size_t>(tail), '\0');
  in.read(text.data(), tail);
  if (text.size() < 2 || text.back() != '\n') return {};
  text.pop_back();
  const auto start = text.rfind('\n');
  return start == std::string::npos ? std::string() : text.substr(start + 1);
}

}  // namespace pipeline
