#include "platform/runner_environment.hpp"

#ifdef _WIN32
#include <process.h>
#include <windows.h>
#else
#include <unistd.h>
extern char** environ;
#endif

namespace pipeline {

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  auto add = [&env](const std::string& entry) {
    std::size_t eq = entry.find('=', 1);  // Windows has "=C:=C:\..." entries
    if (eq != std::string::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  };
#ifdef _WIN32
  char* block = GetEnvironmentStringsA();
  for (char* p = block; p && *p; p += std::strlen(p) + 1) add(p);
  if (block) FreeEnvironmentStringsA(block);
#else
  for (char** e = environ; e && *e; ++e) add(*e);
#endif
  return env;
}

std::string host_name() {
  char buf[256] = {};
#ifdef _WIN32
  DWORD size = sizeof buf;
  if (!GetComputerNameA(buf, &size)) return "unknown";
#else
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
#endif
  return buf;
}

std::int64_t current_pid() {
#ifdef _WIN32
  return _getpid();
#else
  return ::getpid();
#endif
}

}  // namespace pipeline
