#include <date/tz.h>
#include <windows.h>

#include <cstdlib>
#include <string>

#include "util/time_zone.hpp"

namespace pipeline {
namespace {

// PIPELINE_TZDATA, else the tzdata folder beside this program (the build puts it there).
std::string zone_data_folder() {
  if (const char* set = std::getenv("PIPELINE_TZDATA"); set && *set) return set;
  std::wstring exe(MAX_PATH, L'\0');
  for (;;) {
    DWORD n = GetModuleFileNameW(nullptr, exe.data(), static_cast<DWORD>(exe.size()));
    if (n < exe.size()) {
      exe.resize(n);
      break;
    }
    exe.resize(exe.size() * 2);
  }
  exe.resize(exe.find_last_of(L"\\/") + 1);
  exe += L"tzdata";
  // The date library opens its files by narrow names: the ANSI code page's.
  int len = WideCharToMultiByte(CP_ACP, 0, exe.c_str(), -1, nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<std::size_t>(len > 0 ? len - 1 : 0), '\0');
  WideCharToMultiByte(CP_ACP, 0, exe.c_str(), -1, out.data(), len, nullptr, nullptr);
  return out;
}

}  // namespace

std::string zone_data_source() {
  return "the IANA files in " + zone_data_folder() + " (set PIPELINE_TZDATA to use another)";
}

void prepare_zone_data() {
  date::set_install(zone_data_folder());
}

}  // namespace pipeline
