#include "process_platform.hpp"

#ifdef _WIN32
#error "The Windows stage launcher (Job Object, CREATE_SUSPENDED, CTRL_BREAK) is not written yet"
#else

#include <linux/close_range.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace pipeline::platform {

StageLaunch::StageLaunch(const std::map<std::string, std::string>& env) {
  entries_.reserve(env.size());
  for (const auto& [k, v] : env) entries_.push_back(k + "=" + v);
  for (const auto& e : entries_) pointers_.push_back(e.c_str());
  pointers_.push_back(nullptr);
}

bp::error_code StageLaunch::on_setup(bp::posix::default_launcher& launcher,
                                     const bp::filesystem::path&, const char* const*) {
  launcher.env = pointers_.data();
  return {};
}

// Runs in the child between fork and exec: only async-signal-safe calls.
bp::error_code StageLaunch::on_exec_setup(bp::posix::default_launcher&, const bp::filesystem::path&,
                                          const char* const*) {
  if (::setpgid(0, 0) != 0) return {errno, bp::system_category()};
  // Boost 1.81 closes the wrong descriptor range; make sure nothing of ours leaks into stages.
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    return {errno, bp::system_category()};
  }
  sigset_t all;
  ::sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD}) ::signal(sig, SIG_DFL);
  return {};
}

ExitStatus decode_exit_status(int native_status) {
  if (WIFEXITED(native_status)) return {WEXITSTATUS(native_status), std::nullopt};
  if (WIFSIGNALED(native_status)) return {std::nullopt, WTERMSIG(native_status)};
  return {native_status, std::nullopt};
}

bool signal_stage(std::int64_t group, StopStep step) {
  if (group <= 1) return false;  // never signal init or "every process we may signal"
  int sig = step == StopStep::kTerminate ? SIGTERM : SIGKILL;
  return ::kill(-static_cast<pid_t>(group), sig) == 0;
}

bool stage_alive(std::int64_t group) {
  if (group <= 1) return false;
  return ::kill(-static_cast<pid_t>(group), 0) == 0 || errno == EPERM;
}

std::int64_t stage_group(const bp::process& p) {
  return p.id();
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

#endif
