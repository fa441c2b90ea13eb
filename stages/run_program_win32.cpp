#include <windows.h>

#include "platform/text_win32.hpp"
#include "run_program.hpp"
#include "util/command_line.hpp"

namespace stage {

std::optional<int> run_program(const std::vector<std::string>& argv) {
  if (argv.empty()) return std::nullopt;
  // No application name: Windows looks the program up (its folder, ours, the system folders,
  // PATH) and adds ".exe"; the command line carries the arguments, quoted to come back exact.
  std::wstring line = pipeline::platform::widen(pipeline::windows_command_line(argv));
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;  // ours, so its messages reach the stage's log
  startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  startup.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
  startup.hStdError = GetStdHandle(STD_ERROR_HANDLE);
  PROCESS_INFORMATION info{};
  if (!CreateProcessW(nullptr, line.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &startup,
                      &info)) {
    return std::nullopt;
  }
  CloseHandle(info.hThread);
  DWORD code = 0;
  const bool waited = WaitForSingleObject(info.hProcess, INFINITE) == WAIT_OBJECT_0 &&
                      GetExitCodeProcess(info.hProcess, &code);
  CloseHandle(info.hProcess);
  if (!waited) return std::nullopt;
  return static_cast<int>(code);
}

}  // namespace stage
