#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "platform/runner_environment.hpp"

extern char** environ;

namespace pipeline {

std::vector<std::string> command_line_arguments(int argc, char** argv) {
  return {argv, argv + argc};
}

void open_standard_streams() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // The lowest free number is fd itself: the ones below it are open by now.
    const int null = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (null >= 0 && null != fd) {
      ::dup2(null, fd);
      ::close(null);
    }
  }
}

void use_utf8_console() {}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    std::size_t eq = entry.find('=', 1);
    if (eq != std::string::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::int64_t current_pid() {
  return ::getpid();
}

std::filesystem::path own_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : p;
}

std::string user_name() {
  const uid_t uid = ::geteuid();
  struct passwd entry {};
  struct passwd* found = nullptr;
  std::string buf(16384, '\0');
  if (::getpwuid_r(uid, &entry, buf.data(), buf.size(), &found) == 0 && found) {
    return found->pw_name;
  }
  return std::to_string(uid);  // cron takes a name only; the error then names the uid
}

std::string native_scheduler() {
  // systemd's own test (sd_booted): this folder exists only while systemd is PID 1.
  std::error_code ec;
  return std::filesystem::is_directory("/run/systemd/system", ec) ? "systemd" : "cron";
}

}  // namespace pipeline
