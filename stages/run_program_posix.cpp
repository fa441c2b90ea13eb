#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>

#include "run_program.hpp"

extern char** environ;

namespace stage {

std::optional<int> run_program(const std::vector<std::string>& argv) {
  std::vector<std::string> args = argv;
  std::vector<char*> pointers;
  for (auto& a : args) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  pid_t pid = 0;
  if (args.empty() ||
      posix_spawnp(&pid, args[0].c_str(), nullptr, nullptr, pointers.data(), environ) != 0) {
    return std::nullopt;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::nullopt;
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace stage
