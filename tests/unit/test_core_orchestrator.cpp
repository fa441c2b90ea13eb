#include <catch2/catch.hpp>

#include "support/abs_path.hpp"
#include "support/pipeline_harness.hpp"

using namespace pipeline;
using pipeline::testing::FakeSupervisor;
using pipeline::testing::PipelineHarness;

namespace {

const std::string kThreeStages = R"(paths: {raw: raw, processed: processed, out: out}
defaults:
  backoff: {initial: 1s, factor: 2, max: 3s}
stages:
  - name: translator
    command: [translate, "--out", "${paths.processed}", "${inputs}"]
    when: {files: "${paths.raw}/*.csv"}
    progress: "^processed (\\S+)$"
  - name: analyzer
    command: [analyze, "${inputs_file}", "${inputs_count}"]
    when: {files: "${paths.processed}/*.csv"}
  - name: merger
    command: [merge]
    when: {after: [analyzer]}
)";

const StageRecord& stage(const RunReport& r, const std::string& name) {
  for (const auto& s : r.stages) {
    if (s.name == name) return s;
  }
  throw std::runtime_error("no stage " + name);
}

}  // namespace

TEST_CASE("nothing to do: idle - exit 0 - no process started", "[orchestrator]") {
  PipelineHarness h(kThreeStages);
  auto report = h.run();
  CHECK(report.status == RunStatus::kIdle);
  CHECK(report.exit_code == 0);
  CHECK(h.supervisor.specs.empty());
  CHECK(stage(report, "translator").decision.reason == "no file matches raw/*.csv");
  CHECK(stage(report, "merger").decision.reason == "analyzer did not run in this run");
  for (const auto& s : report.stages) CHECK(s.status == StageStatus::kSkipped);
}

TEST_CASE("stages run in order and each sees what earlier stages produced", "[orchestrator]") {
  PipelineHarness h(kThreeStages);
  h.files.add_file("/r/raw/EUR.csv"_abs);
  h.files.add_file("/r/raw/USD 2.csv"_abs);
  h.supervisor.on_run = [&](const ProcessSpec& spec) {
    if (spec.argv[0] == "translate") h.files.add_file("/r/processed/EUR.csv"_abs);
  };
  auto report = h.run();
  REQUIRE(h.supervisor.specs.size() == 3);
  CHECK(h.supervisor.specs[0].argv ==
        std::vector<std::string>{"translate", "--out", "/r/processed"_abs, "/r/raw/EUR.csv"_abs,
                                 "/r/raw/USD 2.csv"_abs});
  const auto& analyze = h.supervisor.specs[1];
  CHECK(analyze.argv[1] == "/r/logs/stages/"_abs + report.run_id + "/analyzer.inputs");
  CHECK(analyze.argv[2] == "1");
  CHECK(h.files.content(analyze.argv[1]) == "/r/processed/EUR.csv"_abs + "\n");
  CHECK(h.supervisor.specs[2].argv == std::vector<std::string>{"merge"});
  CHECK(report.status == RunStatus::kSuccess);
  CHECK(stage(report, "translator").inputs ==
        std::vector<std::string>{"raw/EUR.csv", "raw/USD 2.csv"});
  CHECK(stage(report, "merger").decision.reason == "analyzer succeeded");
}

TEST_CASE("the stage's process gets its environment - cwd - logs and limits", "[orchestrator]") {
  PipelineHarness h(R"(stages:
  - name: s
    command: [prog]
    env: {EXTRA: "${stage}-${run_id}"}
    timeout: 2m
    hang_timeout: 0s
    grace: 3s
    completion: "^OK$"
)");
  auto report = h.run();
  REQUIRE(h.supervisor.specs.size() == 1);
  const auto& spec = h.supervisor.specs[0];
  CHECK(spec.cwd == fs::path("/r"_abs));
  CHECK(spec.env.at("PATH") == "/usr/bin");             // the runner's own
  CHECK(spec.env.at("PYTHONUNBUFFERED") == "1");        // defaults.env over the runner's "0"
  CHECK(spec.env.at("EXTRA") == "s-" + report.run_id);  // the stage's own
  CHECK(spec.env.at("PIPELINE_RUN_ID") == report.run_id);
  CHECK(spec.env.at("PIPELINE_STAGE") == "s");
  CHECK(spec.env.at("PIPELINE_ROOT") == "/r"_abs);
  CHECK(spec.env.at("PIPELINE_ATTEMPT") == "1");
  CHECK(spec.timeout == Millis(120'000));
  CHECK(spec.hang_timeout == Millis(0));
  CHECK(spec.grace == Millis(3000));
  CHECK(spec.completion == std::optional<std::string>("^OK$"));
  CHECK(spec.stdout_log == fs::path("/r/logs/stages/"_abs + report.run_id + "/s.stdout.log"));
  CHECK(report.stages[0].attempts[0].stdout_log ==
        "logs/stages/" + report.run_id + "/s.stdout.log");
}

TEST_CASE("only the stages named by --stage run", "[orchestrator]") {
  PipelineHarness h(kThreeStages);
  h.files.add_file("/r/raw/a.csv"_abs);
  h.files.add_file("/r/processed/a.csv"_abs);
  auto report = h.run({{"analyzer"}});
  REQUIRE(h.supervisor.specs.size() == 1);
  CHECK(h.supervisor.specs[0].argv[0] == "analyze");
  CHECK(stage(report, "translator").decision.reason == "not selected (--stage)");
  CHECK(stage(report, "merger").status == StageStatus::kSkipped);
  CHECK_THROWS_WITH(check_stage_selection(h.config, {"analyser"}),
                    Catch::Contains("did you mean 'analyzer'?"));
}

TEST_CASE("outcomes map to stage statuses - events and the run status", "[orchestrator]") {
  PipelineHarness h(R"(stages:
  - name: ok
    command: [ok]
  - name: bad
    command: [bad]
  - name: slow
    command: [slow]
  - name: stuck
    command: [stuck]
  - name: done
    command: [done]
  - name: ghost
    command: [ghost]
)");
  h.supervisor.script("bad", {FakeSupervisor::exited(3)});
  h.supervisor.script("slow", {FakeSupervisor::killed(15, true)});
  h.supervisor.script("stuck", {FakeSupervisor::killed(9, false, true)});
  ProcessResult pattern = FakeSupervisor::killed(15);
  pattern.completed_by_pattern = true;
  h.supervisor.script("done", {pattern});
  ProcessResult ghost;
  ghost.start_error = "program 'ghost' not found in PATH";
  h.supervisor.script("ghost", {ghost});

  auto report = h.run();
  CHECK(stage(report, "ok").status == StageStatus::kSucceeded);
  CHECK(stage(report, "ok").attempts[0].completed_by == "exit");
  CHECK(stage(report, "bad").status == StageStatus::kFailed);
  CHECK(stage(report, "bad").attempts[0].exit_code == 3);
  CHECK(stage(report, "slow").status == StageStatus::kTimedOut);
  CHECK(stage(report, "slow").attempts[0].signal == 15);
  CHECK(stage(report, "stuck").status == StageStatus::kHung);
  CHECK(stage(report, "done").status == StageStatus::kSucceeded);
  CHECK(stage(report, "done").attempts[0].completed_by == "pattern");
  CHECK(stage(report, "ghost").status == StageStatus::kFailed);
  CHECK(stage(report, "ghost").attempts[0].start_error == "program 'ghost' not found in PATH");
  CHECK(report.status == RunStatus::kPartial);
  CHECK(report.exit_code == 1);

  auto names = h.event_names();
  for (const char* e : {"ok.success", "bad.failure", "slow.timeout", "stuck.hang", "done.success",
                        "ghost.failure", "ok.metric", "ok.decision", "ok.start"}) {
    INFO(e);
    CHECK(std::count(names.begin(), names.end(), e) == 1);
  }
}

TEST_CASE("every failing stage: failure - exit 2", "[orchestrator]") {
  PipelineHarness h("stages:\n  - name: a\n    command: [bad]\n  - name: b\n    command: [bad]\n");
  h.supervisor.script("bad", {FakeSupervisor::killed(11)});
  auto report = h.run();
  CHECK(report.status == RunStatus::kFailure);
  CHECK(report.exit_code == 2);
}

TEST_CASE("retries back off exponentially through the clock - up to max", "[orchestrator]") {
  PipelineHarness h(R"(stages:
  - name: flaky
    command: [flaky]
    retries: 3
    backoff: {initial: 1s, factor: 2, max: 3s}
)");
  h.supervisor.script("flaky", {FakeSupervisor::exited(75), FakeSupervisor::exited(75),
                                FakeSupervisor::exited(75), FakeSupervisor::exited(0)});
  auto report = h.run();
  CHECK(h.clock.sleeps == std::vector<Millis>{Millis(1000), Millis(2000), Millis(3000)});
  const auto& s = report.stages[0];
  CHECK(s.status == StageStatus::kSucceeded);
  REQUIRE(s.attempts.size() == 4);
  CHECK(h.supervisor.specs[3].env.at("PIPELINE_ATTEMPT") == "4");
  CHECK(h.supervisor.specs[1].stdout_log.filename() == "flaky.attempt2.stdout.log");
  CHECK(s.attempts[3].stdout_log.find("flaky.attempt4.stdout.log") != std::string::npos);
  auto names = h.event_names();
  CHECK(std::count(names.begin(), names.end(), "flaky.retry") == 3);
  CHECK(std::count(names.begin(), names.end(), "flaky.failure") == 3);
  CHECK(report.status == RunStatus::kSuccess);
}

TEST_CASE("retry_on limits which failures are retried", "[orchestrator]") {
  const std::string yaml = R"(stages:
  - name: s
    command: [s]
    retries: 2
    retry_on: [timeout, "exit:75"]
    backoff: {initial: 10ms}
)";
  PipelineHarness not_retried(yaml);
  not_retried.supervisor.script("s", {FakeSupervisor::exited(1)});
  CHECK(not_retried.run().stages[0].attempts.size() == 1);
  CHECK(not_retried.clock.sleeps.empty());

  PipelineHarness retried(yaml);
  retried.supervisor.script("s", {FakeSupervisor::exited(75), FakeSupervisor::killed(15, true)});
  auto report = retried.run();
  CHECK(report.stages[0].attempts.size() == 3);
  CHECK(report.stages[0].status == StageStatus::kTimedOut);
}

TEST_CASE("a stop request before a stage: the rest is not started - run aborted",
          "[orchestrator]") {
  PipelineHarness h("stages:\n  - name: a\n    command: [a]\n  - name: b\n    command: [b]\n");
  h.supervisor.on_run = [&](const ProcessSpec&) { h.stop_signal = SIGTERM; };  // exit 143
  auto report = h.run();
  CHECK(h.supervisor.specs.size() == 1);
  CHECK(report.stages[1].status == StageStatus::kNotStarted);
  CHECK(report.status == RunStatus::kAborted);
  CHECK(report.exit_code == 143);
}

TEST_CASE("a stop request during backoff ends the retries", "[orchestrator]") {
  PipelineHarness h("stages:\n  - name: a\n    command: [a]\n    retries: 5\n");
  h.supervisor.script("a", {FakeSupervisor::exited(1)});
  h.clock.stop_during_sleep = true;
  h.stop_signal = 0;
  h.supervisor.on_run = [&](const ProcessSpec&) { h.stop_signal = SIGINT; };  // exit 130
  auto report = h.run();
  CHECK(report.stages[0].attempts.size() == 1);
  CHECK(report.status == RunStatus::kAborted);
  CHECK(report.exit_code == 130);
}

TEST_CASE("progress items become events", "[orchestrator]") {
  PipelineHarness h(kThreeStages);
  h.files.add_file("/r/raw/a.csv"_abs);
  h.supervisor.progress_items = {"EUR", "USD"};
  auto report = h.run();
  CHECK(stage(report, "translator").items_done == 0);  // the fake's result says 0
  std::vector<std::string> items;
  for (const auto& e : h.events()) {
    if (e["event"] == "translator.progress") items.push_back(e["data"]["item"]);
  }
  CHECK(items == std::vector<std::string>{"EUR", "USD"});
}

TEST_CASE("events are numbered and carry the run id", "[orchestrator]") {
  PipelineHarness h(kThreeStages);
  h.files.add_file("/r/raw/a.csv"_abs);
  auto report = h.run();
  auto events = h.events();
  REQUIRE(events.size() > 4);
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i]["seq"] == i + 1);
    CHECK(events[i]["run_id"] == report.run_id);
    CHECK(events[i]["timestamp"].get<std::string>().size() == 29);
  }
  CHECK(events[0]["event"] == "translator.decision");
  CHECK(events[0]["data"]["inputs_count"] == 1);
}

TEST_CASE("an event log on a full device changes nothing in the run", "[orchestrator]") {
  PipelineHarness h(kThreeStages);
  h.files.add_file("/r/raw/a.csv"_abs);
  h.files.fail_appends(h.events_path());
  auto report = h.run();
  CHECK(report.status == RunStatus::kSuccess);
  CHECK(report.exit_code == 0);
  CHECK(h.supervisor.specs.size() == 1);  // translator; analyzer has no processed file
  CHECK(h.events().empty());
}

TEST_CASE("the human run log is made from the events: decisions - retries - failures",
          "[orchestrator]") {
  PipelineHarness h(R"(stages:
  - name: load
    command: [load]
    when: {files: "in/*.csv"}
  - name: check
    command: [check]
    retries: 1
    backoff: {initial: 1s}
  - name: report
    command: [report]
    when: {after: [check]}
)");
  h.files.add_file("/r/in/a.csv"_abs);
  h.supervisor.script("check", {FakeSupervisor::exited(3), FakeSupervisor::exited(3)});
  h.run();
  // Each decision once, then what became of the stage; -q (warnings and up) keeps the bad news.
  CHECK(h.log_text(LogLevel::kInfo) ==
        "load: runs (1 file matches in/*.csv)\n"
        "load: exit code 0 (attempt 1, 10 ms)\n"
        "check: runs (no conditions: runs every time)\n"
        "check: exit code 3 (attempt 1, 10 ms)\n"
        "check: retrying in 1s (attempt 2 of 2) after: exit code 3\n"
        "check: exit code 3 (attempt 2, 10 ms)\n"
        "report: skipped (check did not succeed)\n");
  CHECK(h.log_text(LogLevel::kWarn) ==
        "check: exit code 3 (attempt 1, 10 ms)\n"
        "check: retrying in 1s (attempt 2 of 2) after: exit code 3\n"
        "check: exit code 3 (attempt 2, 10 ms)\n");
}

TEST_CASE("a supervisor's warning is a stage warning event and a warning line", "[orchestrator]") {
  PipelineHarness h("stages:\n  - name: s\n    command: [s]\n");
  h.supervisor.on_run = [&](const ProcessSpec&) {};
  ProcessResult warned = FakeSupervisor::exited(0);
  warned.warnings = {"stdout log not written: disk full"};
  h.supervisor.script("s", {warned});
  h.run();
  auto names = h.event_names();
  CHECK(std::count(names.begin(), names.end(), "s.warning") == 1);
  CHECK(h.log_text(LogLevel::kWarn) == "s: stdout log not written: disk full\n");
}

TEST_CASE("plan decides without running or changing anything", "[orchestrator]") {
  PipelineHarness h(kThreeStages);
  h.files.add_file("/r/raw/a.csv"_abs);
  EventLogger events(h.files, h.clock, "", "", {});
  FileMover mover(h.files, "/r/state/moves"_abs);
  DataLifecycle lifecycle(h.config, h.files, mover, events);
  Orchestrator o({h.config, h.files, h.clock, h.supervisor, events, lifecycle, h.environment,
                  StopToken{}, nullptr, nullptr, nullptr, nullptr});
  auto plan = o.plan({}, "id", h.clock.now());
  REQUIRE(plan.size() == 3);
  CHECK(plan[0].decision.run);
  CHECK_FALSE(plan[1].decision.run);
  CHECK(plan[2].decision.reason == "analyzer did not run in this run");
  CHECK(h.supervisor.specs.empty());
  CHECK(h.files.appended.empty());
  CHECK(h.files.has_file("/r/raw/a.csv"_abs));
  CHECK_FALSE(h.files.exists("/r/logs"_abs));
}
