#pragma once
/// Test-side looks at real processes: is a process gone? (process_probe_posix.cpp: absent
/// from /proc or a zombie; process_probe_win32.cpp: no process by that id, or it has exited.)

#include <fstream>
#include <string>
#include <vector>

namespace pipeline::testing {

bool process_gone(long pid);

inline std::vector<long> read_pids(const std::string& file) {
  std::ifstream in(file);
  std::vector<long> pids;
  for (long pid; in >> pid;) pids.push_back(pid);
  return pids;
}

}  // namespace pipeline::testing
