#pragma once
/// One run of the misbehaving test stage (tools/misbehave) under the real supervisor, in a
/// folder of its own: its spec to adjust before go(), its logs and pidfile to read after.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "supervise/real_process_supervisor.hpp"
#include "support/process_probe.hpp"
#include "support/temp_dir.hpp"

namespace pipeline::testing {

struct SupervisedRun {
  TempDir dir;
  ProcessSpec spec;
  SupervisedRun(const std::vector<std::string>& args, std::map<std::string, std::string> env) {
    // absolute(): under wine CMake's /tmp/... is absolute only with the current drive added
    spec.argv = {std::filesystem::absolute(MISBEHAVE_PATH).generic_string()};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.cwd = dir.path();
    spec.env = std::move(env);
    spec.stdout_log = dir / "out.log";
    spec.stderr_log = dir / "err.log";
    spec.timeout = Millis(60'000);
    spec.hang_timeout = Millis(0);
    spec.grace = Millis(300);
  }
  ProcessResult go(const volatile int* stop = nullptr) {
    RealProcessSupervisor supervisor(StopToken{stop});
    return supervisor.run(spec);
  }
  std::string out() const { return slurp(dir / "out.log"); }
  std::string err() const { return slurp(dir / "err.log"); }
  std::vector<long> pids() const { return read_pids((dir / "pids").string()); }
};

}  // namespace pipeline::testing
