// POSIX: the runner started by sh as cron starts it (`env -i`, cwd /), under the project's
// wrapper (setpriv, strace, ...) when it has one.
#include "support/e2e_posix.hpp"

namespace pipeline::testing {

Result Project::run(const std::string& args) const {
  fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  std::string cmd = "cd / && " + wrapper + " env -i " + env + " " + quote(PIPELINE_RUNNER_PATH) +
                    " " + args + " -c " + quote(config_path().string()) + " >" +
                    quote(out.string()) + " 2>" + quote(err.string());
  int status = std::system(cmd.c_str());
  // A runner killed by a signal (strace's fault injection) reads as a shell would say it.
  if (WIFSIGNALED(status)) return {128 + WTERMSIG(status), slurp(out), slurp(err)};
  REQUIRE(WIFEXITED(status));
  return {WEXITSTATUS(status), slurp(out), slurp(err)};
}

}  // namespace pipeline::testing
