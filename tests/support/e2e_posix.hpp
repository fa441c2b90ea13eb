#pragma once
/// What only POSIX end-to-end tests use: sh quoting, the runner started in the background by
/// fork and stopped by a signal, small tmpfs mounts for full disks, and strace's limits.

#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/e2e_project.hpp"

namespace pipeline::testing {

/// For a runner under strace: a sanitizer build's leak checker cannot work under ptrace and
/// would end the run with exit 1 (harmless in a release build).
inline const std::string kNoLeakCheckUnderPtrace = "ASAN_OPTIONS=detect_leaks=0";

/// A wrapper (Project::wrapper) that kills the runner with SIGKILL at its n-th call of
/// `syscall` (strace's fault injection; the runner alone, not its stages). Give the project
/// kNoLeakCheckUnderPtrace as its env too.
inline std::string kill_at(const std::string& syscall, int n) {
  return "strace -qq -o /dev/null -e trace=" + syscall + " -e inject=" + syscall +
         ":signal=KILL:when=" + std::to_string(n);
}

/// libfaketime, for a runner (and its stages) at another wall-clock time; steady time runs
/// as it does.
inline const char* kFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

inline bool have_faketime() {
  if (fs::exists(kFaketime)) return true;
  WARN("SKIPPED: libfaketime is not installed (tools/install-deps.sh installs it)");
  return false;
}

/// The project's runs at a wall-clock time: "@2040-01-03 12:00:00" (that time, then running)
/// or "+365d" (that far ahead of now).
inline void fake_time(Project& p, const std::string& when) {
  p.env = std::string("LD_PRELOAD=") + kFaketime +
          " FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME=" + quote(when) +
          " ASAN_OPTIONS=verify_asan_link_order=0";
}

/// Prometheus's own checker on a metrics file: its exit code and what it said (nothing, for
/// a file it takes without a lint complaint).
inline std::pair<int, std::string> promtool_check(const fs::path& prom) {
  std::string cmd =
      std::string(PROMTOOL_PATH) + " check metrics < " + quote(prom.string()) + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  std::string said;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe)) said += buf;
  return {::pclose(pipe), said};
}

/// The runner started in the background the way cron would (empty environment, cwd /).
struct Background {
  pid_t pid = -1;

  explicit Background(const Project& p, std::vector<std::string> extra = {}) {
    std::string cfg = p.config_path().string();
    std::vector<std::string> args = {PIPELINE_RUNNER_PATH, "--run-once", "-q", "-c", cfg};
    args.insert(args.end(), extra.begin(), extra.end());
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      char* envp[] = {nullptr};
      if (::chdir("/") != 0) ::_exit(126);
      ::execve(PIPELINE_RUNNER_PATH, argv.data(), envp);
      ::_exit(127);
    }
  }

  /// Waits for the runner; its exit status and peak RSS (KiB).
  std::pair<int, long> wait() {
    int status = 0;
    struct rusage usage {};
    ::wait4(pid, &status, 0, &usage);
    return {status, usage.ru_maxrss};
  }
};

/// A small tmpfs mounted on a folder of a test project, unmounted at the end: a disk that
/// fills up. Root only; where it cannot mount, the test says so loudly and skips.
struct Tmpfs {
  fs::path where;
  bool mounted = false;

  Tmpfs(const fs::path& path, const std::string& size) : where(path) {
    fs::create_directories(path);
    mounted = ::mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~Tmpfs() {
    if (mounted) ::umount2(where.c_str(), MNT_DETACH);
  }
  /// The disk gets room again (or less of it): the files stay.
  void resize(const std::string& size) {
    REQUIRE(::mount("tmpfs", where.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0);
  }
  /// Fills what is left with one file (removed to make room again).
  void fill() {
    std::ofstream out(where / "filler", std::ios::binary);
    std::string block(4096, 'x');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
};

#define SKIP_UNLESS_MOUNTED(t)                                                          \
  if (!(t).mounted) {                                                                   \
    WARN("SKIPPED: cannot mount a tmpfs on " << (t).where                               \
                                             << " (not root?): this test did not run"); \
    return;                                                                             \
  }

/// A runner dying hard mid-stage: starts it in the background, waits until its stage wrote
/// `count` pids to `pidfile` (misbehave --pidfile), then SIGKILLs the runner alone. Returns
/// the stage's pids, all still running.
inline std::vector<long> kill_runner_mid_stage(const Project& p, const std::string& stage,
                                               const std::string& pidfile, std::size_t count) {
  Background doomed(p);
  REQUIRE(wait_for_event(p, stage + ".start"));
  for (int i = 0; i < 3000 && read_pids(pidfile).size() < count; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(read_pids(pidfile).size() == count);
  ::kill(doomed.pid, SIGKILL);
  doomed.wait();
  auto pids = read_pids(pidfile);
  for (long pid : pids) REQUIRE_FALSE(process_gone(pid));  // orphans, still running
  return pids;
}

}  // namespace pipeline::testing
