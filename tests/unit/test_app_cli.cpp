// cli_main and run_pipeline in process, on a fake machine: the commands wired to the fakes
// that the composition root replaces with real services. No process is started and the
// records go to the fake file system; only the config is read from a real file (load_config
// reads the disk) and the history database, which needs one, is left unusable.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "app/cli.hpp"
#include "app/run_command.hpp"
#include "config/config.hpp"
#include "fakes/fake_machine.hpp"
#include "records/report_json.hpp"
#include "support/abs_path.hpp"
#include "util/error.hpp"
#include "util/json_read.hpp"

using namespace pipeline;
using namespace pipeline::testing;

namespace {

RunReport only_report(const FakeMachine& m) {
  auto reports = m.files.list_dir(m.dir / "logs" / "reports");
  REQUIRE(reports.size() == 1);
  return report_from_json(
      parse_untrusted_json(m.files.read_file(m.dir / "logs" / "reports" / reports[0].name)));
}

}  // namespace

TEST_CASE("cli_main runs the pipeline on the fake machine and writes its report", "[app]") {
  FakeMachine m;
  CHECK(m.cli({"--run-once", "-q"}) == 0);
  REQUIRE(m.supervisor.specs.size() == 2);
  CHECK(m.supervisor.specs[0].argv == std::vector<std::string>{"extract", "--all"});
  CHECK(m.supervisor.specs[0].env.at("PIPELINE_STAGE") == "extract");
  RunReport r = only_report(m);
  CHECK(r.status == RunStatus::kSuccess);
  CHECK(r.host == "fake-host");
  CHECK(r.pid == 4242);
  CHECK(m.locks.held.empty());  // released
  const std::string events =
      m.files.appended[(m.dir / "logs" / "events" / ("pipeline_" + r.run_id + ".jsonl"))
                           .lexically_normal()];
  CHECK_THAT(events, Catch::Contains("\"event\":\"pipeline.success\""));
}

TEST_CASE("cli_main: a failing stage is exit 1 (partial), a bad flag exit 4, nothing thrown",
          "[app]") {
  FakeMachine m;
  m.supervisor.script("load", {FakeSupervisor::exited(3)});
  CHECK(m.cli({"--run-once", "-q"}) == 1);  // one of two stages failed: partial
  CHECK(only_report(m).status == RunStatus::kPartial);

  FakeMachine bad;
  CHECK(bad.cli({"--no-such-flag"}) == 4);
  CHECK_FALSE(bad.err.str().empty());
  CHECK(bad.supervisor.specs.empty());
}

TEST_CASE("run_pipeline: another run holding the lock changes nothing", "[app]") {
  FakeMachine m;
  Config config = load_config(m.dir / "pipeline.yaml",
                              [](const std::string&) { return std::optional<std::string>(); });
  auto holder = m.locks.factory()(config.state / "runner.lock");
  REQUIRE(holder->acquire(Millis(0), m.clock, "{\"pid\": 1}"));
  CHECK(run_pipeline(m.machine, config, RunRequest{}) == exit_code::kLocked);
  CHECK(m.supervisor.specs.empty());
  CHECK_FALSE(m.files.exists(m.dir / "logs" / "reports"));
}
