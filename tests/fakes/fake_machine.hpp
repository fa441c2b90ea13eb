#pragma once
/// A Machine of fakes for driving cli_main in process: the services the composition root
/// replaces with real ones. The config is a real file in a temporary folder (load_config
/// reads the disk); everything the commands write goes to the fake file system.

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/fake_file_system.hpp"
#include "fakes/fake_lock.hpp"
#include "fakes/fake_supervisor.hpp"
#include "fakes/fake_transport.hpp"
#include "support/abs_path.hpp"
#include "support/temp_dir.hpp"

namespace pipeline::testing {

inline const std::string kFakeConfig =
    "version: 1\npipeline: fake\n"
    "stages:\n"
    "  - name: extract\n"
    "    command: [extract, --all]\n"
    "  - name: load\n"
    "    command: [load]\n";

struct FakeMachine {
  TempDir dir;
  FakeFileSystem files;
  FakeClock clock;
  FakeSupervisor supervisor{&clock};
  FakeLocks locks;
  FakeTransports transports;
  std::ostringstream out, err;
  Machine machine{files,
                  clock,
                  supervisor,
                  locks.factory(),
                  {{"PATH", "/usr/bin:/bin"_abs}},
                  StopToken{},
                  RunProcesses{},
                  "fake-host",
                  4242,
                  "/opt/pr/bin/pipeline_runner"_abs,
                  "etl",
                  "cron",
                  transports.factory(),
                  out,
                  err};

  explicit FakeMachine(const std::string& config_text = kFakeConfig) {
    std::ofstream(config_path()) << config_text;
  }
  fs::path config_path() const { return dir / "pipeline.yaml"; }

  /// cli_main with these arguments and `-c` this machine's config.
  int cli(std::vector<std::string> args) {
    args.insert(args.begin(), "pipeline_runner");
    args.push_back("-c");
    args.push_back(config_path().string());
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    return cli_main(static_cast<int>(argv.size()), argv.data(), machine);
  }
};

}  // namespace pipeline::testing
