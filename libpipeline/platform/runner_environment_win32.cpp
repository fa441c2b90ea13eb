// Windows: the environment block, computer name and pid, as UTF-8 (read through the wide
// calls: the "A" calls would give the ANSI code page's text).
#include <windows.h>

#include <string>

#include "platform/runner_environment.hpp"
#include "platform/text_win32.hpp"

namespace pipeline {
std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  wchar_t* block = GetEnvironmentStringsW();
  for (const wchar_t* p = block; p && *p;) {
    std::wstring_view entry(p);
    std::size_t eq = entry.find(L'=', 1);  // skips the "=C:=C:\..." entries
    if (eq != std::wstring_view::npos) {
      env.emplace(platform::narrow(entry.substr(0, eq)), platform::narrow(entry.substr(eq + 1)));
    }
    p += entry.size() + 1;
  }
  if (block) FreeEnvironmentStringsW(block);
  return env;
}

std::string host_name() {
  wchar_t buf[MAX_COMPUTERNAME_LENGTH + 1] = {};
  DWORD size = MAX_COMPUTERNAME_LENGTH + 1;
  if (!GetComputerNameW(buf, &size)) return "unknown";
  return platform::narrow(std::wstring_view(buf, size));
}

std::int64_t current_pid() {
  return static_cast<std::int64_t>(GetCurrentProcessId());
}

}  // namespace pipeline
