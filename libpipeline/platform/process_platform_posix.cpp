#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

#include "platform/process_platform.hpp"

namespace pipeline::platform {

namespace {

/// Strings and the null-terminated array of pointers to them that exec takes (argv, envp).
class CStringArray {
 public:
  explicit CStringArray(std::vector<std::string> strings) : strings_(std::move(strings)) {
    pointers_.reserve(strings_.size() + 1);
    for (auto& s : strings_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  char* const* data() { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

/// A descriptor closed when it goes out of scope, unless released.
class OwnedFd {
 public:
  explicit OwnedFd(int fd) : fd_(fd) {}
  OwnedFd(OwnedFd&& other) noexcept : fd_(other.release()) {}
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  OwnedFd& operator=(OwnedFd&&) = delete;
  ~OwnedFd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

 private:
  int fd_ = -1;
};

[[noreturn]] void throw_errno(int err, const char* what) {
  throw std::system_error(err, std::generic_category(), what);
}

/// What each output pipe asks to hold (Linux allows up to /proc/sys/fs/pipe-max-size, 1 MiB by
/// default, without privileges): a stage that writes fast is stopped less often by a full pipe
/// and the runner wakes up for fewer, larger reads.
constexpr int kPipeBytes = 1 << 20;

/// A pipe for one output stream of a stage, both ends close-on-exec (posix_spawn's dup2 clears
/// the flag on the copy the stage gets).
std::pair<OwnedFd, OwnedFd> output_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  ::fcntl(fds[0], F_SETPIPE_SZ, kPipeBytes);  // a pipe left smaller only costs wake-ups
  return {OwnedFd(fds[0]), OwnedFd(fds[1])};
}

/// What the child does between fork and exec, all of it made before the fork: in there it
/// may only make system calls (the runner may have other threads, holding any lock).
struct ChildSetup {
  const char* exe;
  char* const* argv;
  char* const* envp;
  const char* dir;  ///< empty: the runner's
  int out;          ///< the write ends of the output pipes
  int err;
  int gate;  ///< the child's end of the start gate
};

/// The descriptor the child holds its end of the start gate on (close-on-exec).
constexpr int kGateFd = 3;

/// The child's way out before exec: why, through the gate, for the runner to report.
[[noreturn]] void fail_at_gate(int gate, int err) {
  [[maybe_unused]] ssize_t n = ::write(gate, &err, sizeof err);
  ::_exit(127);
}

/// Never returns. In this order: a session of its own (and so a process group numbered by its
/// pid: the group is what the stop ladder signals, the session also holds what a job-control
/// shell in the stage moves to other groups); every signal at its default; stdin from
/// /dev/null, stdout and stderr into the pipes, the gate on 3 and every other descriptor
/// closed (the lock file's, the runner's end of the gate, a library's); the stage's
/// directory. Then it says it is ready (one byte), so the runner records it only once it
/// holds nothing of the runner's; it waits at the gate for the runner to have recorded who it
/// is, and exits unseen (127) when the runner died first. Then no signal blocked, and exec.
/// Any error goes back through the gate as an errno (four bytes: the gate keeps messages
/// apart).
[[noreturn]] void child_at_gate(ChildSetup s) {
  ::setsid();
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // KILL, STOP: no-ops
  // Out of 0..2 first, so that the dup2s below cannot overwrite one another.
  for (int* fd : {&s.out, &s.err, &s.gate}) {
    if (*fd < 3) *fd = ::fcntl(*fd, F_DUPFD_CLOEXEC, 3);
  }
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(s.out, 1) < 0 || ::dup2(s.err, 2) < 0 ||
      (s.gate != kGateFd && ::dup3(s.gate, kGateFd, O_CLOEXEC) < 0)) {
    fail_at_gate(s.gate, errno);
  }
  if (::close_range(kGateFd + 1, ~0U, 0) != 0) {  // a kernel before 5.9
    for (int fd = kGateFd + 1; fd < 65536; ++fd) ::close(fd);
  }
  if (s.dir[0] != '\0' && ::chdir(s.dir) != 0) fail_at_gate(kGateFd, errno);
  const char ready = 'R';
  if (::write(kGateFd, &ready, 1) != 1) ::_exit(127);
  char go = 0;
  ssize_t n = 0;
  do {
    n = ::read(kGateFd, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) ::_exit(127);  // the runner is gone: the stage must not run unrecorded
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(s.exe, s.argv, s.envp);
  fail_at_gate(kGateFd, errno);
}

}  // namespace

ExitStatus decode_exit_status(int native_status) {
  if (WIFEXITED(native_status)) return {WEXITSTATUS(native_status), std::nullopt};
  if (WIFSIGNALED(native_status)) return {std::nullopt, WTERMSIG(native_status)};
  return {native_status, std::nullopt};
}

bool become_child_subreaper() {
  return ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
}

namespace {

// The whole of a file under /proc, empty when it cannot be read. read(), not a stream: a
// process that ends while its file is read fails the read with ESRCH, and a file stream
// throws on that whatever its exception mask (it did, in recovery and in supervision).
std::string read_proc(const std::string& path) {
  std::string text;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      text.clear();
      break;
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

// Calls fn(pid) for every process in /proc.
template <typename Fn>
void for_each_process(Fn fn) {
  DIR* d = ::opendir("/proc");
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid > 0 && *end == '\0') fn(static_cast<pid_t>(pid));
  }
  ::closedir(d);
}

// The fields of /proc/<pid>/stat we use ("pid (comm) state ppid pgrp session ... starttime";
// comm may hold spaces and parentheses, so fields are counted from the last ')').
struct ProcStat {
  char state = '?';  ///< field 3: 'Z' for a zombie (dead, not yet reaped)
  pid_t ppid = 0, pgrp = 0, session = 0;
  unsigned long long start_ticks = 0;  ///< field 22: clock ticks after boot
};
std::optional<ProcStat> proc_stat(pid_t pid) {
  const std::string text = read_proc("/proc/" + std::to_string(pid) + "/stat");
  auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 1));
  std::string field;
  ProcStat st;
  for (int n = 3; n <= 22 && fields >> field; ++n) {
    if (n == 3) st.state = field[0];
    if (n == 4) st.ppid = static_cast<pid_t>(std::strtol(field.c_str(), nullptr, 10));
    if (n == 5) st.pgrp = static_cast<pid_t>(std::strtol(field.c_str(), nullptr, 10));
    if (n == 6) st.session = static_cast<pid_t>(std::strtol(field.c_str(), nullptr, 10));
    if (n == 22) {
      st.start_ticks = std::strtoull(field.c_str(), nullptr, 10);
      return st;
    }
  }
  return std::nullopt;
}

pid_t parent_of(pid_t pid) {
  auto st = proc_stat(pid);
  return st ? st->ppid : 0;
}

std::string read_boot_id() {
  std::string id = read_proc("/proc/sys/kernel/random/boot_id");
  if (!id.empty() && id.back() == '\n') id.pop_back();
  return id;
}

const std::string& boot_id() {
  static const std::string id = read_boot_id();  // the same until the machine restarts
  return id;
}

// A stage identity as stage_identity() writes it.
struct StageIdentity {
  pid_t session = 0;
  unsigned long long start_ticks = 0;
  std::string boot;
};
std::optional<StageIdentity> parse_identity(const std::string& text) {
  StageIdentity id;
  char boot[64] = {};
  long session = 0;
  if (std::sscanf(text.c_str(), "session=%ld start=%llu boot=%63s", &session, &id.start_ticks,
                  boot) != 3 ||
      session <= 1) {
    return std::nullopt;
  }
  id.session = static_cast<pid_t>(session);
  id.boot = boot;
  return id;
}

// Our direct children from /proc/self/task/*/children (one read per thread), or nullopt where
// the kernel does not provide those files.
std::optional<std::vector<pid_t> > children_from_task_lists() {
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return std::nullopt;
  std::vector<pid_t> out;
  bool any = false;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string path = std::string("/proc/self/task/") + e->d_name + "/children";
    if (::access(path.c_str(), R_OK) != 0) continue;
    any = true;
    std::istringstream pids(read_proc(path));
    for (long pid; pids >> pid;) out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(d);
  if (!any) return std::nullopt;
  return out;
}

std::vector<pid_t> adopted_children() {
  if (auto listed = children_from_task_lists()) return *listed;
  std::vector<pid_t> out;  // the slow way: every process's parent
  pid_t self = ::getpid();
  for_each_process([&](pid_t pid) {
    if (parent_of(pid) == self) out.push_back(pid);
  });
  return out;
}

void reap(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, WNOHANG);
  }
}

// The leaders of the stages running now: their main processes are Boost's to wait for, so
// they are never reaped here nor taken for escapees.
std::mutex g_leaders_mutex;
std::vector<pid_t> g_leaders;

std::vector<pid_t> running_leaders() {
  std::lock_guard<std::mutex> lock(g_leaders_mutex);
  return g_leaders;
}

// True when every NAME=VALUE of marks is in the process's environment (false for none).
bool has_marks(pid_t pid, const std::vector<std::string>& marks) {
  if (marks.empty()) return false;
  const std::string env = read_proc("/proc/" + std::to_string(pid) + "/environ");
  return std::all_of(marks.begin(), marks.end(), [&](const std::string& mark) {
    for (std::size_t start = 0; start < env.size();) {
      std::size_t end = env.find('\0', start);
      if (end == std::string::npos) end = env.size();
      if (env.compare(start, end - start, mark) == 0) return true;
      start = end + 1;
    }
    return false;
  });
}

int native_signal(StopStep step) {
  return step == StopStep::kTerminate ? SIGTERM : SIGKILL;
}

}  // namespace

bp::process StageProcesses::start(boost::asio::io_context& ctx, const std::filesystem::path& exe,
                                  const std::vector<std::string>& args,
                                  boost::asio::readable_pipe& out, boost::asio::readable_pipe& err,
                                  const std::filesystem::path& cwd,
                                  const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{exe.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> entries;
  entries.reserve(env.size());
  for (const auto& [k, v] : env) entries.push_back(k + "=" + v);
  CStringArray argv_c(std::move(argv));
  CStringArray envp(std::move(entries));
  auto [out_read, out_write] = output_pipe();
  auto [err_read, err_write] = output_pipe();
  int gate[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, gate) != 0)
    throw_errno(errno, "socketpair");
  OwnedFd ours(gate[0]);
  OwnedFd theirs(gate[1]);
  const std::string dir = cwd.string();
  const ChildSetup setup{exe.c_str(),     argv_c.data(),   envp.data(), dir.c_str(),
                         out_write.get(), err_write.get(), theirs.get()};

  // fork, not posix_spawn: posix_spawn returns once the program runs, and a runner killed
  // before it recorded the stage would leave a stage no later run can find (one that cleared
  // its environment and left its session). Every signal stays blocked across the fork, so
  // none reaches one of our handlers in the child before it set them to default.
  sigset_t all;
  sigset_t old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::fork();
  if (pid == 0) child_at_gate(setup);
  const int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) throw_errno(fork_errno, "fork");
  out_write.reset();  // the stage holds the only write ends now: its exit is our end of file
  err_write.reset();
  theirs.reset();
  // Ready (one byte), or why not (an errno; end of file: it was killed meanwhile). It was
  // made but never ran anything: it is reaped here.
  int answer = 0;
  ssize_t n = 0;
  do {
    n = ::recv(ours.get(), &answer, sizeof answer, 0);
  } while (n < 0 && errno == EINTR);
  if (n != 1) {
    ::waitpid(pid, nullptr, 0);
    throw_errno(n == static_cast<ssize_t>(sizeof answer) ? answer : ESRCH, "start");
  }
  gate_ = ours.release();
  out.assign(out_read.release());
  err.assign(err_read.release());
  bp::process p(ctx.get_executor(), pid);  // waits through a pidfd
  group_ = pid;                            // the leader of its own session and group
  for (const char* name :
       {"PIPELINE_RUN_ID", "PIPELINE_STAGE", "PIPELINE_ITEM", "PIPELINE_ATTEMPT"}) {
    if (auto it = env.find(name); it != env.end()) marks_.push_back(it->first + "=" + it->second);
  }
  std::lock_guard<std::mutex> lock(g_leaders_mutex);
  g_leaders.push_back(pid);
  return p;
}

std::vector<std::int64_t> StageProcesses::escapees() {
  const auto leaders = running_leaders();
  const bool only_stage = leaders.size() == 1 && leaders[0] == group_;
  std::vector<std::int64_t> out;
  for (pid_t pid : adopted_children()) {
    if (std::find(leaders.begin(), leaders.end(), pid) != leaders.end()) continue;
    auto st = proc_stat(pid);
    if (!st) continue;
    if (st->state == 'Z') {  // exited: reaping is all it needs
      reap({pid});
      continue;
    }
    const std::pair<std::int64_t, unsigned long long> who{pid, st->start_ticks};
    if (std::find(claimed_.begin(), claimed_.end(), who) != claimed_.end()) {
      out.push_back(pid);
    } else if (only_stage || st->session == group_ || st->pgrp == group_ ||
               has_marks(pid, marks_)) {
      claimed_.push_back(who);
      out.push_back(pid);
    }
  }
  return out;
}

bool StageProcesses::signal(StopStep step, Reach reach) {
  if (group_ <= 1) return false;  // never signal init or "every process we may signal"
  const int sig = native_signal(step);
  bool received = ::kill(-static_cast<pid_t>(group_), sig) == 0;
  if (reach == Reach::kGroup) return received;
  for (auto pid : escapees()) received = ::kill(static_cast<pid_t>(pid), sig) == 0 || received;
  return received;
}

bool StageProcesses::alive() {
  if (group_ <= 1) return false;
  if (!escapees().empty()) return true;  // reaps the escapees that exited on the way
  return ::kill(-static_cast<pid_t>(group_), 0) == 0 || errno == EPERM;
}

std::string StageProcesses::identity() const {
  return stage_identity(group_);
}

void StageProcesses::release() {
  OwnedFd gate(static_cast<int>(std::exchange(gate_, -1)));
  const char go = 1;
  // MSG_NOSIGNAL: a child that is gone already is an error here, not a SIGPIPE for the runner.
  const bool sent = ::send(gate.get(), &go, 1, MSG_NOSIGNAL) == 1;
  const int send_errno = errno;
  int err = 0;
  ssize_t n = 0;
  do {  // end of file: the exec closed the child's end; an errno: why the exec failed
    n = ::recv(gate.get(), &err, sizeof err, 0);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof err)) throw_errno(err, "exec");
  if (!sent) throw_errno(send_errno, "start gate");
}

void StageProcesses::close() {
  if (gate_ >= 0) ::close(static_cast<int>(std::exchange(gate_, -1)));  // held: it never runs
  if (group_ == 0) return;
  std::lock_guard<std::mutex> lock(g_leaders_mutex);
  g_leaders.erase(std::remove(g_leaders.begin(), g_leaders.end(), static_cast<pid_t>(group_)),
                  g_leaders.end());
  group_ = 0;
  marks_.clear();
  claimed_.clear();
}

std::string stage_identity(std::int64_t group) {
  auto st = proc_stat(static_cast<pid_t>(group));
  if (!st) return {};  // gone already: nothing of it to find later either
  // The session its leader starts: `group` itself (a child held at the start gate may not
  // have called setsid yet, so its own session is not read here).
  return "session=" + std::to_string(group) + " start=" + std::to_string(st->start_ticks) +
         " boot=" + boot_id();
}

std::vector<std::int64_t> processes_of_run(const std::string& run_id,
                                           const std::vector<std::string>& stage_identities) {
  std::vector<std::int64_t> out;
  // The recorded stages whose numbers still mean them: same boot, and a leader that is either
  // the recorded process (same start time) or gone (then its number cannot have been reused
  // while a member of its session or group lives, short of a second session ending the same way).
  std::vector<StageIdentity> sessions;
  const std::string& boot = boot_id();
  for (const auto& text : stage_identities) {
    auto id = parse_identity(text);
    if (!id || id->boot != boot) continue;
    auto leader = proc_stat(id->session);
    if (leader && leader->start_ticks != id->start_ticks) continue;  // recycled
    sessions.push_back(*id);
  }
  const pid_t self = ::getpid();
  const std::string needle = "PIPELINE_RUN_ID=" + run_id;
  for_each_process([&](pid_t pid) {
    if (pid == self || pid == 1) return;
    if (!sessions.empty()) {
      if (auto st = proc_stat(pid); st && st->state != 'Z') {  // a zombie is dead already
        bool member = std::any_of(sessions.begin(), sessions.end(), [&](const StageIdentity& s) {
          return (st->session == s.session || st->pgrp == s.session) &&
                 st->start_ticks >= s.start_ticks;
        });
        if (member) {
          out.push_back(pid);
          return;
        }
      }
    }
    if (has_marks(pid, {needle})) out.push_back(pid);
  });
  return out;
}

bool kill_process(std::int64_t pid) {
  if (pid <= 1 || pid == ::getpid()) return false;
  return ::kill(static_cast<pid_t>(pid), SIGKILL) == 0;
}

std::optional<std::filesystem::path> find_program(const std::string& name,
                                                  const std::map<std::string, std::string>& env,
                                                  const std::filesystem::path& cwd) {
  namespace fs = std::filesystem;
  auto executable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    fs::path p(name);
    if (p.is_relative()) p = cwd / p;
    return p;  // let exec report exactly what is wrong with it
  }
  auto it = env.find("PATH");
  std::string path = it != env.end() ? it->second : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    fs::path dir = end == start ? cwd : fs::path(path.substr(start, end - start));
    if (dir.is_relative()) dir = cwd / dir;
    if (fs::path candidate = dir / name; executable(candidate)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace pipeline::platform
