// misbehave's POSIX half: fork, sessions, signals and descriptors.
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "os.hpp"

namespace misbehave {

std::string pidfile;

namespace {

void record_pid(pid_t pid) {
  if (pidfile.empty()) return;
  std::ofstream(pidfile, std::ios::app) << pid << "\n";
}

void sleep_ms(long ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

void write_fd(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) std::exit(120);  // the reader went away
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

// The parent goes on only once the child has recorded its pid, so a test never races a
// child that is killed before it could say who it is.
struct Ready {
  int fds[2] = {-1, -1};
  Ready() {
    if (::pipe(fds) != 0) std::exit(121);
  }
  void signal() {
    write_fd(fds[1], "r", 1);
    ::close(fds[1]);
    ::close(fds[0]);
  }
  void wait() {
    ::close(fds[1]);
    char c;
    while (::read(fds[0], &c, 1) < 0 && errno == EINTR) {
    }
    ::close(fds[0]);
  }
};

}  // namespace

void record_self() {
  record_pid(::getpid());
}

void write_all(int stream, const char* data, std::size_t n) {
  write_fd(stream, data, n);
}

long long read_stdin() {
  char buf[4096];
  long long total = 0;
  ssize_t n;
  while ((n = ::read(0, buf, sizeof buf)) > 0) total += n;
  return total;
}

void ignore_term() {
  ::signal(SIGTERM, SIG_IGN);
}

void die(int sig) {
  ::signal(sig, SIG_DFL);
  ::raise(sig);
  sleep_ms(1000);
  std::_Exit(125);
}

void fork_child(long ms, bool keep_output, bool new_group) {
  Ready ready;
  pid_t pid = ::fork();
  if (pid < 0) std::exit(121);
  if (pid == 0) {
    if (new_group) ::setsid();
    record_pid(::getpid());
    ready.signal();
    if (!keep_output) {
      ::close(1);
      ::close(2);
    }
    sleep_ms(ms);
    std::_Exit(0);
  }
  ready.wait();
}

void daemonize(long ms) {
  Ready ready;
  pid_t middle = ::fork();
  if (middle < 0) std::exit(121);
  if (middle == 0) {
    ::setsid();
    pid_t daemon = ::fork();
    if (daemon == 0) {
      record_pid(::getpid());
      ready.signal();
      for (int fd = 0; fd < 3; ++fd) ::close(fd);
      sleep_ms(ms);
    }
    std::_Exit(0);
  }
  ready.wait();
  int status = 0;
  ::waitpid(middle, &status, 0);
}

std::optional<std::string> fds_report() {
  int count = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d)) {
      int fd = std::atoi(e->d_name);
      if (e->d_name[0] != '.' && fd > 2 && fd != ::dirfd(d)) ++count;
    }
    ::closedir(d);
  }
  return "fds: " + std::to_string(count);
}

std::optional<std::string> handle_report(const std::string&) {
  return std::nullopt;  // descriptors: see fds_report
}

std::optional<std::string> signals_report() {
  sigset_t blocked;
  ::sigprocmask(SIG_BLOCK, nullptr, &blocked);
  int nblocked = 0, nignored = 0;
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa {};
    if (::sigismember(&blocked, sig) == 1) ++nblocked;
    if (::sigaction(sig, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN) ++nignored;
  }
  return "blocked: " + std::to_string(nblocked) + " ignored: " + std::to_string(nignored) +
         " session leader: " + (::getsid(0) == ::getpid() ? "yes" : "no");
}

std::optional<int> run_as_child(int, char**) {
  return std::nullopt;  // fork runs the child's part in place
}

}  // namespace misbehave
