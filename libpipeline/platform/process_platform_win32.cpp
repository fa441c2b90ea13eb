// Windows: each stage starts suspended, is put in a Job Object of its own that kills what is
// left in it when its last handle closes, and only then runs. Our own CreateProcessW launcher
// rather than Boost.Process v2's: Boost 1.81's Windows launcher lets a stage inherit every
// inheritable handle of the runner, and its environment header does not compile here; a handle
// list (PROC_THREAD_ATTRIBUTE_HANDLE_LIST) gives the stage exactly NUL, its two pipes and
// nothing else. Boost's process object still waits for the exit, through the completion port.
#include <windows.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cwchar>
#include <system_error>
#include <utility>

#include "platform/process_platform.hpp"
#include "platform/text_win32.hpp"
#include "util/command_line.hpp"

namespace pipeline::platform {

namespace {

namespace fs = std::filesystem;

/// A handle closed when it goes out of scope, unless released.
class OwnedHandle {
 public:
  explicit OwnedHandle(HANDLE h = nullptr) : h_(h == INVALID_HANDLE_VALUE ? nullptr : h) {}
  OwnedHandle(OwnedHandle&& other) noexcept : h_(other.release()) {}
  OwnedHandle(const OwnedHandle&) = delete;
  OwnedHandle& operator=(const OwnedHandle&) = delete;
  OwnedHandle& operator=(OwnedHandle&&) = delete;
  ~OwnedHandle() { reset(); }
  HANDLE get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }
  HANDLE release() { return std::exchange(h_, nullptr); }
  void reset() {
    if (h_) CloseHandle(std::exchange(h_, nullptr));
  }

 private:
  HANDLE h_ = nullptr;
};

[[noreturn]] void throw_error(DWORD err, const char* what) {
  throw std::system_error(static_cast<int>(err), std::system_category(), what);
}
[[noreturn]] void throw_last_error(const char* what) {
  throw_error(GetLastError(), what);
}

/// The exit code of a process ended by TerminateJobObject or TerminateProcess, as taskkill
/// gives it.
constexpr UINT kKilledExitCode = 1;

/// What each output pipe asks to buffer: as on Linux, fewer and larger reads.
constexpr DWORD kPipeBytes = 1 << 20;

std::atomic<unsigned> g_pipe_serial{0};

/// A pipe for one output stream of a stage: the read end overlapped (asio reads it through the
/// completion port), the write end an ordinary inheritable handle (a stage writes to its
/// stdout synchronously, which an overlapped handle does not promise to support). An anonymous
/// pipe cannot be overlapped, so this is a named one, unique and local to this machine.
std::pair<OwnedHandle, OwnedHandle> output_pipe() {
  const std::wstring name = L"\\\\.\\pipe\\pipeline_runner-" +
                            std::to_wstring(GetCurrentProcessId()) + L"-" +
                            std::to_wstring(g_pipe_serial.fetch_add(1));
  OwnedHandle read(CreateNamedPipeW(
      name.c_str(), PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, 0,
      kPipeBytes, 0, nullptr));
  if (!read) throw_last_error("CreateNamedPipeW");
  SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  OwnedHandle write(CreateFileW(name.c_str(), GENERIC_WRITE, 0, &inheritable, OPEN_EXISTING,
                                FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!write) throw_last_error("CreateFileW (pipe)");
  return {std::move(read), std::move(write)};
}

/// The name part of a NAME=VALUE entry.
std::wstring_view entry_name(const std::wstring& entry) {
  return std::wstring_view(entry).substr(0, entry.find(L'=', 1));
}

/// The environment block CreateProcessW takes: NAME=VALUE entries, each ending in a null, one
/// more null at the end, sorted by name without case (as Windows keeps its own).
std::wstring environment_block(const std::map<std::string, std::string>& env) {
  std::vector<std::wstring> entries;
  entries.reserve(env.size());
  for (const auto& [name, value] : env) entries.push_back(widen(name + "=" + value));
  std::sort(entries.begin(), entries.end(), [](const std::wstring& a, const std::wstring& b) {
    const auto na = entry_name(a);
    const auto nb = entry_name(b);
    return CompareStringOrdinal(na.data(), static_cast<int>(na.size()), nb.data(),
                                static_cast<int>(nb.size()), TRUE) == CSTR_LESS_THAN;
  });
  std::wstring block;
  for (const auto& e : entries) {
    block += e;
    block += L'\0';
  }
  if (entries.empty()) block += L'\0';  // an empty block is two nulls
  block += L'\0';
  return block;
}

/// The attribute list of a STARTUPINFOEXW that names the only handles a child inherits.
class InheritOnly {
 public:
  explicit InheritOnly(std::vector<HANDLE> handles) : handles_(std::move(handles)) {
    SIZE_T size = 0;
    InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    buffer_.resize(size);
    list_ = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(buffer_.data());
    if (!InitializeProcThreadAttributeList(list_, 1, 0, &size)) {
      list_ = nullptr;
      throw_last_error("InitializeProcThreadAttributeList");
    }
    if (!UpdateProcThreadAttribute(list_, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles_.data(),
                                   handles_.size() * sizeof(HANDLE), nullptr, nullptr)) {
      throw_last_error("UpdateProcThreadAttribute");
    }
  }
  InheritOnly(const InheritOnly&) = delete;
  InheritOnly& operator=(const InheritOnly&) = delete;
  ~InheritOnly() {
    if (list_) DeleteProcThreadAttributeList(list_);
  }
  LPPROC_THREAD_ATTRIBUTE_LIST get() const { return list_; }

 private:
  std::vector<HANDLE> handles_;  // must outlive the list, which points at them
  std::vector<char> buffer_;
  LPPROC_THREAD_ATTRIBUTE_LIST list_ = nullptr;
};

/// The name of the Job Object of the stage whose main process is `pid`, started by this
/// runner: a later run finds what is left of a stage by it (see processes_of_run).
std::wstring job_name(DWORD runner, DWORD pid) {
  return L"Local\\pipeline_runner-" + std::to_wstring(runner) + L"-" + std::to_wstring(pid);
}

/// A Job Object, named for a later run, that kills every process in it when its last handle
/// closes (the runner's, also when the runner is killed) and lets a crashing stage die
/// rather than wait on an error dialog.
OwnedHandle make_job(const std::wstring& name) {
  OwnedHandle job(CreateJobObjectW(nullptr, name.c_str()));
  if (!job) throw_last_error("CreateJobObjectW");
  if (GetLastError() == ERROR_ALREADY_EXISTS) throw_error(ERROR_ALREADY_EXISTS, "CreateJobObjectW");
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags =
      JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
  if (!SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &limits,
                               sizeof(limits))) {
    throw_last_error("SetInformationJobObject");
  }
  return job;
}

/// How many processes of the job are running.
DWORD active_processes(HANDLE job) {
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION info{};
  if (!QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &info, sizeof(info),
                                 nullptr)) {
    return 0;
  }
  return info.ActiveProcesses;
}

/// The ids of the job's processes.
std::vector<std::int64_t> job_processes(HANDLE job) {
  constexpr DWORD kMax = 4096;
  std::vector<char> buf(sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) + kMax * sizeof(ULONG_PTR));
  auto* list = reinterpret_cast<JOBOBJECT_BASIC_PROCESS_ID_LIST*>(buf.data());
  list->NumberOfAssignedProcesses = kMax;
  if (!QueryInformationJobObject(job, JobObjectBasicProcessIdList, list,
                                 static_cast<DWORD>(buf.size()), nullptr)) {
    return {};
  }
  std::vector<std::int64_t> out;
  for (DWORD i = 0; i < list->NumberOfProcessIdsInList; ++i) {
    out.push_back(static_cast<std::int64_t>(list->ProcessIdList[i]));
  }
  return out;
}

HANDLE job_of(std::uintptr_t job) {
  return reinterpret_cast<HANDLE>(job);
}

}  // namespace

ExitStatus decode_exit_status(int native_status) {
  return {native_status, std::nullopt};  // Windows has exit codes only
}

bool become_child_subreaper() {
  return false;  // the Job Object holds every descendant of a stage already
}

bp::process StageProcesses::start(boost::asio::io_context& ctx, const std::filesystem::path& exe,
                                  const std::vector<std::string>& args,
                                  boost::asio::readable_pipe& out, boost::asio::readable_pipe& err,
                                  const std::filesystem::path& cwd,
                                  const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{narrow(exe.native())};
  argv.insert(argv.end(), args.begin(), args.end());
  std::wstring command_line = widen(windows_command_line(argv));
  std::wstring env_block = environment_block(env);
  auto [out_read, out_write] = output_pipe();
  auto [err_read, err_write] = output_pipe();
  SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  OwnedHandle nul(CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                              &inheritable, OPEN_EXISTING, 0, nullptr));
  if (!nul) throw_last_error("CreateFileW (NUL)");
  InheritOnly inherit({nul.get(), out_write.get(), err_write.get()});

  STARTUPINFOEXW startup{};
  startup.StartupInfo.cb = sizeof(startup);
  startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  startup.StartupInfo.hStdInput = nul.get();
  startup.StartupInfo.hStdOutput = out_write.get();
  startup.StartupInfo.hStdError = err_write.get();
  startup.lpAttributeList = inherit.get();
  // A process group of its own: CTRL_BREAK_EVENT reaches the stage and what it starts, not the
  // runner. It shares the runner's console (a console control event reaches only the
  // processes attached to the sender's). A runner without a console (a service, a hidden
  // task, a test under wine) starts its stages detached, with no console at all, and their
  // gentle step is then the kill: a console made for the stage (CREATE_NO_WINDOW) would live
  // on in a console host while any child of the stage is attached to it, and under wine that
  // host holds the stage's output pipes open.
  DWORD flags = EXTENDED_STARTUPINFO_PRESENT | CREATE_SUSPENDED | CREATE_NEW_PROCESS_GROUP |
                CREATE_UNICODE_ENVIRONMENT;
  if (GetConsoleWindow() == nullptr) flags |= DETACHED_PROCESS;
  const std::wstring dir = cwd.native();
  PROCESS_INFORMATION info{};
  if (!CreateProcessW(exe.c_str(), command_line.data(), nullptr, nullptr, TRUE, flags,
                      env_block.data(), dir.empty() ? nullptr : dir.c_str(), &startup.StartupInfo,
                      &info)) {
    throw_last_error("CreateProcessW");
  }
  OwnedHandle process(info.hProcess);
  OwnedHandle thread(info.hThread);
  out_write.reset();  // the stage holds the only write ends now: its end is our end of file
  err_write.reset();
  nul.reset();
  // Suspended, it has started nothing yet: in the job, everything it starts will be too.
  try {
    OwnedHandle job = make_job(job_name(GetCurrentProcessId(), info.dwProcessId));
    if (!AssignProcessToJobObject(job.get(), process.get())) {
      throw_last_error("AssignProcessToJobObject");
    }
    job_ = reinterpret_cast<std::uintptr_t>(job.release());
  } catch (...) {
    TerminateProcess(process.get(), kKilledExitCode);
    WaitForSingleObject(process.get(), INFINITE);
    throw;
  }
  group_ = static_cast<std::int64_t>(info.dwProcessId);       // it leads its own process group
  gate_ = reinterpret_cast<std::intptr_t>(thread.release());  // resumed by release()
  out.assign(out_read.release());
  err.assign(err_read.release());
  return bp::process(ctx.get_executor(), info.dwProcessId, process.release());
}

bool StageProcesses::signal(StopStep step, Reach reach) {
  if (group_ == 0 || job_ == 0) return false;
  if (step == StopStep::kTerminate) {
    // Ctrl-Break to the stage's process group, while its leader (the main process) runs: a
    // console program can clean up (Python's default Ctrl-Break handling exits). Once the
    // leader is gone the group may be too, and where an event for a group that is gone goes is
    // not documented: the runner shares the console, and does not risk Ctrl-Break itself. The
    // rest of the stage then waits for the kill.
    if (reach != Reach::kGroup) return false;
    return GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, static_cast<DWORD>(group_)) != 0;
  }
  const bool any = active_processes(job_of(job_)) > 0;
  return TerminateJobObject(job_of(job_), kKilledExitCode) != 0 && any;
}

bool StageProcesses::alive() {
  return job_ != 0 && active_processes(job_of(job_)) > 0;
}

std::string StageProcesses::identity() const {
  return stage_identity(group_);
}

void StageProcesses::release() {
  OwnedHandle thread(reinterpret_cast<HANDLE>(std::exchange(gate_, -1)));
  if (ResumeThread(thread.get()) == static_cast<DWORD>(-1)) {
    const DWORD error = GetLastError();
    TerminateJobObject(job_of(job_), kKilledExitCode);  // it never ran: nothing to wait for
    throw_error(error, "ResumeThread");
  }
}

void StageProcesses::close() {
  if (gate_ != -1) {  // held: it never runs (ended as killed, as a job closing would not say)
    if (job_ != 0) TerminateJobObject(job_of(job_), kKilledExitCode);
    CloseHandle(reinterpret_cast<HANDLE>(std::exchange(gate_, -1)));
  }
  if (job_ != 0) CloseHandle(job_of(job_));  // kills whatever is still in it
  job_ = 0;
  group_ = 0;
}

std::string stage_identity(std::int64_t group) {
  if (group <= 0) return {};
  return "job=" + narrow(job_name(GetCurrentProcessId(), static_cast<DWORD>(group)));
}

std::vector<std::int64_t> processes_of_run(const std::string& /*run_id*/,
                                           const std::vector<std::string>& stage_identities) {
  // The job of a dead runner's stage kills its processes once no handle to it is left, so
  // this finds something only while another process holds the job open. Windows gives no
  // cheap way to read another process's environment, so the run id is not looked for there.
  std::vector<std::int64_t> out;
  for (const auto& identity : stage_identities) {
    if (identity.rfind("job=", 0) != 0) continue;
    OwnedHandle job(OpenJobObjectW(JOB_OBJECT_QUERY, FALSE, widen(identity.substr(4)).c_str()));
    if (!job) continue;
    for (auto pid : job_processes(job.get())) {
      if (pid != static_cast<std::int64_t>(GetCurrentProcessId())) out.push_back(pid);
    }
  }
  return out;
}

bool kill_process(std::int64_t pid) {
  if (pid <= 0 || pid == static_cast<std::int64_t>(GetCurrentProcessId())) return false;
  OwnedHandle process(OpenProcess(PROCESS_TERMINATE, FALSE, static_cast<DWORD>(pid)));
  return process && TerminateProcess(process.get(), kKilledExitCode) != 0;
}

namespace {

/// The value of an environment variable, its name matched without case as Windows does.
std::optional<std::string> env_value(const std::map<std::string, std::string>& env,
                                     std::string_view name) {
  for (const auto& [key, value] : env) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return std::nullopt;
}

/// `text` cut at `sep`, empty parts and surrounding quotes dropped.
std::vector<std::string> split_list(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(sep, start);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(start, end - start);
    if (part.size() >= 2 && part.front() == '"' && part.back() == '"') {
      part = part.substr(1, part.size() - 2);
    }
    if (!part.empty()) out.push_back(part);
    start = end + 1;
  }
  return out;
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

/// `p` as it is when it names a file with an extension, else `p` with the first extension
/// of PATHEXT that names a file (as cmd.exe looks for a program).
std::optional<fs::path> with_extension(const fs::path& p, const std::vector<std::string>& exts) {
  if (p.has_extension() && is_file(p)) return p;
  for (const auto& ext : exts) {
    fs::path candidate = p;
    candidate += widen(ext);
    if (is_file(candidate)) return candidate;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::filesystem::path> find_program(const std::string& name,
                                                  const std::map<std::string, std::string>& env,
                                                  const std::filesystem::path& cwd) {
  const auto exts = split_list(env_value(env, "PATHEXT").value_or(".COM;.EXE;.BAT;.CMD"), ';');
  if (name.find_first_of("/\\:") != std::string::npos) {
    fs::path p(widen(name));
    if (p.is_relative()) p = cwd / p;
    return with_extension(p, exts).value_or(p);  // else CreateProcessW says what is wrong
  }
  // PATH only, as PowerShell does: cmd.exe's habit of trying the current folder first runs
  // whatever program a data folder happens to hold.
  for (const auto& dir_text : split_list(env_value(env, "PATH").value_or(""), ';')) {
    fs::path dir(widen(dir_text));
    if (dir.is_relative()) dir = cwd / dir;
    if (auto found = with_extension(dir / widen(name), exts)) return found;
  }
  return std::nullopt;
}

}  // namespace pipeline::platform
