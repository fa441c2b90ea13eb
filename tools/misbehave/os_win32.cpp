// misbehave's Windows half. Without fork, a child is this program started again with
// --as-child; it finds the pidfile in MISBEHAVE_PIDFILE and tells its parent it is ready
// through an inherited pipe whose handle is on its command line.
#include <windows.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "os.hpp"

namespace misbehave {

std::string pidfile;

namespace {

constexpr char kPidfileVariable[] = "MISBEHAVE_PIDFILE";

enum class ChildKind { kKeepOutput = 0, kQuiet = 1, kDaemonMiddle = 2, kDaemon = 3 };

void sleep_ms(long ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

/// Starts this program again as a child of `kind`; returns its process handle. `ready` is
/// the write end of the pipe the child says it is ready on. The child inherits exactly that
/// and, for kKeepOutput, our stdout and stderr; the others write to NUL (on POSIX they close
/// their output). A handle list, so that no other inheritable handle of ours reaches it.
HANDLE start_child(ChildKind kind, long ms, HANDLE ready, DWORD flags) {
  wchar_t self[MAX_PATH * 4];
  if (GetModuleFileNameW(nullptr, self, MAX_PATH * 4) == 0) std::exit(121);
  if (!pidfile.empty()) {
    SetEnvironmentVariableA(kPidfileVariable, pidfile.c_str());  // read back by getenv
  }
  std::wstring line = L"misbehave --as-child " +
                      std::to_wstring(reinterpret_cast<std::uintptr_t>(ready)) + L" " +
                      std::to_wstring(ms) + L" " + std::to_wstring(static_cast<int>(kind));
  const bool keep = kind == ChildKind::kKeepOutput || kind == ChildKind::kDaemonMiddle;
  std::vector<HANDLE> inherited{ready};
  STARTUPINFOEXW startup{};
  startup.StartupInfo.cb = sizeof(startup);
  startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  // Its output goes to NUL unless kept.
  SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE nul = CreateFileW(L"NUL", GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &inheritable,
                           OPEN_EXISTING, 0, nullptr);
  startup.StartupInfo.hStdInput = nul;
  startup.StartupInfo.hStdOutput = keep ? GetStdHandle(STD_OUTPUT_HANDLE) : nul;
  startup.StartupInfo.hStdError = keep ? GetStdHandle(STD_ERROR_HANDLE) : nul;
  for (HANDLE h : {nul, startup.StartupInfo.hStdOutput, startup.StartupInfo.hStdError}) {
    if (h && h != INVALID_HANDLE_VALUE &&
        std::find(inherited.begin(), inherited.end(), h) == inherited.end()) {
      inherited.push_back(h);
    }
  }
  SIZE_T size = 0;
  InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
  std::vector<char> buffer(size);
  auto* attributes = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(buffer.data());
  if (!InitializeProcThreadAttributeList(attributes, 1, 0, &size) ||
      !UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherited.data(),
                                 inherited.size() * sizeof(HANDLE), nullptr, nullptr)) {
    std::exit(121);
  }
  startup.lpAttributeList = attributes;
  flags |= EXTENDED_STARTUPINFO_PRESENT;
  PROCESS_INFORMATION info{};
  BOOL ok = CreateProcessW(self, line.data(), nullptr, nullptr, TRUE, flags, nullptr, nullptr,
                           &startup.StartupInfo, &info);
  if (!ok && (flags & CREATE_BREAKAWAY_FROM_JOB)) {  // the job does not let it out: stay in
    ok = CreateProcessW(self, line.data(), nullptr, nullptr, TRUE,
                        flags & ~static_cast<DWORD>(CREATE_BREAKAWAY_FROM_JOB), nullptr, nullptr,
                        &startup.StartupInfo, &info);
  }
  DeleteProcThreadAttributeList(attributes);
  CloseHandle(nul);
  if (!ok) std::exit(121);
  CloseHandle(info.hThread);
  return info.hProcess;
}

/// The parent's side of "start a child and go on once it has recorded its id".
HANDLE start_and_wait_ready(ChildKind kind, long ms, DWORD flags) {
  SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE read = nullptr, write = nullptr;
  if (!CreatePipe(&read, &write, &inheritable, 0)) std::exit(121);
  SetHandleInformation(read, HANDLE_FLAG_INHERIT, 0);
  HANDLE child = start_child(kind, ms, write, flags);
  CloseHandle(write);
  char c;
  DWORD n = 0;
  ReadFile(read, &c, 1, &n, nullptr);  // a byte, or the end when every child is gone
  CloseHandle(read);
  return child;
}

BOOL WINAPI ignore_event(DWORD) {
  return TRUE;
}

}  // namespace

void record_self() {
  if (pidfile.empty()) return;
  std::ofstream(pidfile, std::ios::app) << GetCurrentProcessId() << "\n";
}

void write_all(int stream, const char* data, std::size_t n) {
  HANDLE h = GetStdHandle(stream == 2 ? STD_ERROR_HANDLE : STD_OUTPUT_HANDLE);
  while (n > 0) {
    DWORD written = 0;
    const DWORD part = static_cast<DWORD>(std::min<std::size_t>(n, 1 << 30));
    if (!WriteFile(h, data, part, &written, nullptr) || written == 0) std::exit(120);
    data += written;
    n -= written;
  }
}

long long read_stdin() {
  HANDLE h = GetStdHandle(STD_INPUT_HANDLE);
  char buf[4096];
  long long total = 0;
  DWORD n = 0;
  while (ReadFile(h, buf, sizeof buf, &n, nullptr) && n > 0) total += n;
  return total;
}

void ignore_term() {
  SetConsoleCtrlHandler(ignore_event, TRUE);  // Ctrl-Break and Ctrl-C
}

void die(int sig) {
  std::_Exit(128 + sig);
}

void fork_child(long ms, bool keep_output, bool new_group) {
  HANDLE child = start_and_wait_ready(keep_output ? ChildKind::kKeepOutput : ChildKind::kQuiet, ms,
                                      new_group ? CREATE_NEW_PROCESS_GROUP : 0);
  CloseHandle(child);
}

void daemonize(long ms) {
  HANDLE middle = start_and_wait_ready(ChildKind::kDaemonMiddle, ms, 0);
  WaitForSingleObject(middle, INFINITE);
  CloseHandle(middle);
}

std::optional<std::string> fds_report() {
  return std::nullopt;
}

std::optional<std::string> handle_report(const std::string& value) {
  HANDLE h = reinterpret_cast<HANDLE>(std::strtoull(value.c_str(), nullptr, 10));
  char path[MAX_PATH * 4];
  DWORD n = GetFinalPathNameByHandleA(h, path, sizeof path, FILE_NAME_NORMALIZED);
  if (n == 0 || n >= sizeof path) return "handle " + value + ": none";
  return "handle " + value + ": " + std::string(path, n);
}

std::optional<std::string> signals_report() {
  return std::nullopt;
}

std::optional<int> run_as_child(int argc, char** argv) {
  if (argc != 5 || std::string(argv[1]) != "--as-child") return std::nullopt;
  HANDLE ready = reinterpret_cast<HANDLE>(std::strtoull(argv[2], nullptr, 10));
  const long ms = std::strtol(argv[3], nullptr, 10);
  const auto kind = static_cast<ChildKind>(std::atoi(argv[4]));
  if (const char* file = std::getenv(kPidfileVariable)) pidfile = file;
  if (kind == ChildKind::kDaemonMiddle) {
    // Out of the console, the process group and (if the job lets it) the job.
    HANDLE daemon =
        start_child(ChildKind::kDaemon, ms, ready,
                    DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | CREATE_BREAKAWAY_FROM_JOB);
    CloseHandle(daemon);
    return 0;  // the daemon signals the first parent itself
  }
  record_self();
  DWORD n = 0;
  WriteFile(ready, "r", 1, &n, nullptr);
  CloseHandle(ready);
  sleep_ms(ms);
  return 0;
}

}  // namespace misbehave
