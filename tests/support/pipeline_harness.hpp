#pragma once
/// Runs the orchestrator against the fakes: a config given as YAML text rooted at /r, an
/// in-memory file system, a clock that sleeps instantly and a supervisor that runs nothing.

#include <csignal>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/config.hpp"
#include "core/data_lifecycle.hpp"
#include "core/orchestrator.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/fake_file_system.hpp"
#include "fakes/fake_lock.hpp"
#include "fakes/fake_supervisor.hpp"
#include "records/event_logger.hpp"

namespace pipeline::testing {

struct PipelineHarness {
  explicit PipelineHarness(const std::string& yaml)
      : config(parse_config("version: 1\npipeline: test\nroot: /r\n" + yaml, "/r/p.yaml",
                            [](const std::string&) { return std::nullopt; })) {}

  RunReport run(const RunOptions& options = {}) {
    RunReport report;
    report.run_id = "018bcfe5-6800-7000-8000-000000000001";
    report.started_at = clock.now();
    EventLogger events(files, clock, events_path(), report.run_id, {});
    DataLifecycle lifecycle(config, files, mover, events);
    std::optional<BatchHotfolder> hotfolder;
    if (config.batches) hotfolder.emplace(config, files, mover, clock, locks.factory());
    Orchestrator orchestrator({config, files, clock, supervisor, events, lifecycle, environment,
                               StopToken(&stop_signal), hotfolder ? &*hotfolder : nullptr,
                               checkpoint});
    orchestrator.run(options, report);
    return report;
  }

  fs::path events_path() const { return "/r/logs/events/run.jsonl"; }

  std::vector<nlohmann::json> events() const {
    std::vector<nlohmann::json> out;
    auto it = files.appended.find(events_path());
    if (it == files.appended.end()) return out;
    std::istringstream lines(it->second);
    for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  std::vector<std::string> event_names() const {
    std::vector<std::string> out;
    for (const auto& e : events()) out.push_back(e["event"]);
    return out;
  }

  Config config;
  FakeFileSystem files;
  FakeClock clock;
  FakeSupervisor supervisor{&clock};
  FakeLocks locks;
  FileMover mover{files, "/r/state/moves"};
  /// The report writer the run checks before lifecycle deletes anything; unset: none.
  std::function<bool(const RunReport&)> checkpoint;
  std::map<std::string, std::string> environment{{"PATH", "/usr/bin"}, {"PYTHONUNBUFFERED", "0"}};
  volatile int stop_signal = 0;  ///< the signal that asks the run to stop (0: none)
};

}  // namespace pipeline::testing
