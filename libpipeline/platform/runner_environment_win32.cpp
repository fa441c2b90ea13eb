// Windows: the environment block, computer name and pid. Unbuilt until issue 9 (the Windows lane).
#include <process.h>
#include <windows.h>

#include <cstring>

#include "platform/runner_environment.hpp"

namespace pipeline {

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  char* block = GetEnvironmentStringsA();
  for (char* p = block; p && *p; p += std::strlen(p) + 1) {
    std::string entry(p);
    std::size_t eq = entry.find('=', 1);  // skips the "=C:=C:\..." entries
    if (eq != std::string::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  if (block) FreeEnvironmentStringsA(block);
  return env;
}

std::string host_name() {
  char buf[256] = {};
  DWORD size = sizeof buf;
  if (!GetComputerNameA(buf, &size)) return "unknown";
  return buf;
}

std::int64_t current_pid() {
  return _getpid();
}

}  // namespace pipeline
