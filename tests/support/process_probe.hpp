#pragma once
/// Test-side looks at real processes (Linux /proc): is a pid gone (absent or a zombie)?

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace pipeline::testing {

inline bool process_gone(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  return close == std::string::npos || close + 2 >= text.size() || text[close + 2] == 'Z';
}

inline std::vector<long> read_pids(const std::string& file) {
  std::ifstream in(file);
  std::vector<long> pids;
  for (long pid; in >> pid;) pids.push_back(pid);
  return pids;
}

}  // namespace pipeline::testing
