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
#include "fakes/fake_input_failure_store.hpp"
#include "fakes/fake_lock.hpp"
#include "fakes/fake_supervisor.hpp"
#include "fakes/fake_window_store.hpp"
#include "records/event_fanout.hpp"
#include "records/event_logger.hpp"
#include "records/run_log.hpp"

namespace pipeline::testing {

struct PipelineHarness {
  explicit PipelineHarness(const std::string& yaml)
      : config(parse_config("version: 1\npipeline: test\nroot: /r\n" + yaml, "/r/p.yaml",
                            [](const std::string&) { return std::nullopt; })) {}

  RunReport run(const RunOptions& options = {}) {
    RunReport report;
    report.run_id = "018bcfe5-6800-7000-8000-000000000001";
    report.started_at = clock.now();
    EventLogger event_log(files, clock, events_path(), report.run_id, {});
    RunLog run_log(report.run_id, [this](LogLevel level, const std::string& line) {
      log_lines.emplace_back(level, line);
    });
    EventFanout events({&event_log, &run_log});
    DataLifecycle lifecycle(config, files, mover, events);
    std::optional<BatchHotfolder> hotfolder;
    if (config.batches) hotfolder.emplace(config, files, mover, clock, locks.factory());
    Orchestrator orchestrator({config, files, clock, supervisor, events, lifecycle, environment,
                               StopToken(&stop_signal), hotfolder ? &*hotfolder : nullptr,
                               no_window_store ? nullptr : &window_store,
                               no_failure_store ? nullptr : &input_failures, checkpoint});
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

  /// The human run log's lines, as the app would write them.
  std::string log_text(LogLevel at_least = LogLevel::kDebug) const {
    std::string out;
    for (const auto& [level, line] : log_lines) {
      if (level >= at_least) out += line + "\n";
    }
    return out;
  }

  Config config;
  std::vector<std::pair<LogLevel, std::string>> log_lines;
  FakeFileSystem files;
  FakeClock clock;
  FakeSupervisor supervisor{&clock};
  FakeLocks locks;
  FakeWindowStore window_store;
  bool no_window_store = false;  ///< the state store could not be opened
  FakeInputFailureStore input_failures;
  bool no_failure_store = false;  ///< the state store could not be opened
  FileMover mover{files, "/r/state/moves"};
  /// The report writer the run checks before lifecycle deletes anything; unset: none.
  std::function<bool(const RunReport&)> checkpoint;
  std::map<std::string, std::string> environment{{"PATH", "/usr/bin"}, {"PYTHONUNBUFFERED", "0"}};
  volatile int stop_signal = 0;  ///< the signal that asks the run to stop (0: none)
};

}  // namespace pipeline::testing
