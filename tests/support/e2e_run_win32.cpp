// Windows: the runner started by the product's own supervisor (the launcher the lane's
// integration tests check), with Task Scheduler's bare minimum of an environment: the
// project's NAME=VALUE words and SystemRoot, without which Windows cannot load its sockets.
#include <cstdlib>

#include "supervise/real_process_supervisor.hpp"
#include "support/e2e_project.hpp"

namespace pipeline::testing {
namespace {

// The words of args as sh would split them for the simple lines these tests write: blanks
// separate, '...' quotes.
std::vector<std::string> words(const std::string& args) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false, quoted = false;
  for (char c : args) {
    if (c == '\'') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      if (in_word) out.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(word);
  return out;
}

}  // namespace

Result Project::run(const std::string& args) const {
  REQUIRE(wrapper.empty());  // setpriv and strace are POSIX tools
  ProcessSpec spec;
  spec.argv = {fs::absolute(PIPELINE_RUNNER_PATH).generic_string()};
  for (auto& w : words(args)) spec.argv.push_back(w);
  spec.argv.push_back("-c");
  spec.argv.push_back(config_path().generic_string());
  for (const auto& w : words(env)) {
    std::size_t eq = w.find('=');
    REQUIRE(eq != std::string::npos);
    spec.env[w.substr(0, eq)] = w.substr(eq + 1);
  }
  if (const char* root = std::getenv("SystemRoot")) spec.env.emplace("SystemRoot", root);
  spec.cwd = fs::absolute("/");
  spec.stdout_log = dir / "stdout.txt";
  spec.stderr_log = dir / "stderr.txt";
  spec.timeout = Millis(110'000);
  spec.grace = Millis(5'000);
  RealProcessSupervisor supervisor(StopToken{});
  ProcessResult r = supervisor.run(spec);
  INFO(r.start_error << r.error);
  REQUIRE(r.started);
  REQUIRE(r.exit_code.has_value());
  return {*r.exit_code, slurp(dir / "stdout.txt"), slurp(dir / "stderr.txt")};
}

}  // namespace pipeline::testing
