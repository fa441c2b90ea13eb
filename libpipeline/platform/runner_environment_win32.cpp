// Windows: the environment block, computer name and pid, as UTF-8 (read through the wide
// calls: the "A" calls would give the ANSI code page's text).
#include <windows.h>
// windows.h leaves it out under WIN32_LEAN_AND_MEAN
#include <shellapi.h>

#include <string>

#include "platform/runner_environment.hpp"
#include "platform/text_win32.hpp"

namespace pipeline {

std::vector<std::string> command_line_arguments(int argc, char** argv) {
  int n = 0;
  wchar_t** wide = CommandLineToArgvW(GetCommandLineW(), &n);
  if (!wide) return {argv, argv + argc};
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back(platform::narrow(wide[i]));
  LocalFree(wide);
  return out;
}

void open_standard_streams() {
  // Nothing to do: a missing standard handle is null, and a file opened later never takes its
  // place (handles are not numbered from 0 as POSIX descriptors are).
}

void use_utf8_console() {
  SetConsoleOutputCP(CP_UTF8);  // fails harmlessly without a console
}

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

std::filesystem::path own_executable() {
  std::wstring buf(MAX_PATH, L'\0');
  for (;;) {
    const DWORD n = GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
    if (n == 0) return {};
    if (n < buf.size()) return std::filesystem::path(buf.substr(0, n));
    buf.resize(buf.size() * 2);
  }
}

namespace {
std::wstring environment_variable(const wchar_t* name) {
  const DWORD n = GetEnvironmentVariableW(name, nullptr, 0);
  if (n == 0) return {};
  std::wstring value(n, L'\0');
  const DWORD got = GetEnvironmentVariableW(name, value.data(), n);
  value.resize(got < n ? got : 0);
  return value;
}
}  // namespace

std::string user_name() {
  std::wstring user = environment_variable(L"USERNAME");
  if (user.empty()) {
    wchar_t buf[257] = {};
    DWORD size = 257;
    if (GetUserNameW(buf, &size) && size > 0) user.assign(buf, size - 1);
  }
  const std::wstring domain = environment_variable(L"USERDOMAIN");
  return platform::narrow(domain.empty() ? user : domain + L"\\" + user);
}

std::string native_scheduler() {
  return "windows";
}

}  // namespace pipeline
