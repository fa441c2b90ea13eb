// Windows: the environment block, computer name and pid, as UTF-8 (read through the wide
// calls: the "A" calls would give the ANSI code page's text).
#include <windows.h>

#include <string>

#include "platform/runner_environment.hpp"

namespace pipeline {
namespace {

std::string utf8(const wchar_t* text, std::size_t size) {
  if (size == 0) return {};
  int n =
      WideCharToMultiByte(CP_UTF8, 0, text, static_cast<int>(size), nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<std::size_t>(n > 0 ? n : 0), '\0');
  if (n > 0) {
    WideCharToMultiByte(CP_UTF8, 0, text, static_cast<int>(size), out.data(), n, nullptr, nullptr);
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  wchar_t* block = GetEnvironmentStringsW();
  for (const wchar_t* p = block; p && *p;) {
    std::wstring_view entry(p);
    std::size_t eq = entry.find(L'=', 1);  // skips the "=C:=C:\..." entries
    if (eq != std::wstring_view::npos) {
      env.emplace(utf8(entry.data(), eq), utf8(entry.data() + eq + 1, entry.size() - eq - 1));
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
  return utf8(buf, size);
}

std::int64_t current_pid() {
  return static_cast<std::int64_t>(GetCurrentProcessId());
}

}  // namespace pipeline
