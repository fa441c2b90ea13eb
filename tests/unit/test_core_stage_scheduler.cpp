// The scheduler of stages (SPEC 12) against the fakes, on the fake clock: each fake process
// takes its result's duration, so which stage starts when, beside what, is exact.
#include <catch2/catch.hpp>

#include "support/abs_path.hpp"
#include "support/pipeline_harness.hpp"

using namespace pipeline;
using pipeline::testing::FakeSupervisor;
using pipeline::testing::PipelineHarness;

namespace {

ProcessResult takes(int ms, int code = 0) {
  ProcessResult r = FakeSupervisor::exited(code);
  r.duration = Millis(ms);
  return r;
}

const StageRecord& record(const RunReport& r, const std::string& name) {
  for (const auto& s : r.stages) {
    if (s.name == name) return s;
  }
  FAIL("no record of " << name);
  throw std::logic_error("unreachable");
}

// When a stage's (first) attempt started and its last ended, in ms from the run's start.
std::pair<long, long> span(const RunReport& r, const std::string& name) {
  const StageRecord& s = record(r, name);
  REQUIRE_FALSE(s.attempts.empty());
  auto ms = [&](TimePoint t) {
    return static_cast<long>(std::chrono::duration_cast<Millis>(t - r.started_at).count());
  };
  return {ms(s.attempts.front().started_at), ms(s.attempts.back().finished_at)};
}

std::vector<std::string> programs(const FakeSupervisor& s) {
  std::vector<std::string> out;
  for (const auto& spec : s.specs) out.push_back(spec.argv.at(0));
  return out;
}

const std::string kFourStages = R"(stages:
  - name: slow
    command: [slow]
  - name: quick
    command: [quick]
  - name: after_quick
    command: [after_quick]
    when: {after: [quick]}
  - name: after_slow
    command: [after_slow]
    when: {after: [slow]}
)";

void script_four(PipelineHarness& h) {
  h.supervisor.script("slow", {takes(400)});
  h.supervisor.script("quick", {takes(100)});
  h.supervisor.script("after_quick", {takes(100)});
  h.supervisor.script("after_slow", {takes(100)});
}

}  // namespace

TEST_CASE("parallel: independent stages overlap, and a stage starts once its after stages end",
          "[scheduler][parallel]") {
  PipelineHarness h("parallel: 2\n" + kFourStages);
  script_four(h);
  RunReport report = h.run();

  CHECK(report.status == RunStatus::kSuccess);
  CHECK(h.supervisor.max_in_flight == 2);
  CHECK(span(report, "slow") == std::pair<long, long>{0, 400});
  CHECK(span(report, "quick") == std::pair<long, long>{0, 100});
  CHECK(span(report, "after_quick") == std::pair<long, long>{100, 200});  // beside slow
  CHECK(span(report, "after_slow") == std::pair<long, long>{400, 500});
  CHECK(h.supervisor.ended ==
        std::vector<std::string>{"quick", "after_quick", "slow", "after_slow"});
  // The report lists the stages as they were decided; the events are in one order (seq).
  std::vector<std::string> listed;
  for (const auto& s : report.stages) listed.push_back(s.name);
  CHECK(listed == std::vector<std::string>{"slow", "quick", "after_quick", "after_slow"});
  long seq = 0;
  std::vector<std::string> ends;
  for (const auto& e : h.events()) {
    CHECK(e["seq"].get<long>() == ++seq);
    const std::string name = e["event"];
    if (name.ends_with(".success")) ends.push_back(name);
  }
  CHECK(ends == std::vector<std::string>{"quick.success", "after_quick.success", "slow.success",
                                         "after_slow.success"});
}

TEST_CASE("parallel 1 (the default): config order, one process at a time",
          "[scheduler][parallel]") {
  PipelineHarness h(kFourStages);
  script_four(h);
  RunReport report = h.run();
  CHECK(h.supervisor.max_in_flight == 1);
  CHECK(programs(h.supervisor) ==
        std::vector<std::string>{"slow", "quick", "after_quick", "after_slow"});
  CHECK(span(report, "slow") == std::pair<long, long>{0, 400});
  CHECK(span(report, "quick") == std::pair<long, long>{400, 500});
  CHECK(span(report, "after_quick") == std::pair<long, long>{500, 600});
  CHECK(span(report, "after_slow") == std::pair<long, long>{600, 700});
}

TEST_CASE("parallel: slots go in config order - a later stage never jumps a waiting one",
          "[scheduler][parallel]") {
  PipelineHarness h(R"(parallel: 2
stages:
  - {name: a, command: [a]}
  - {name: b, command: [b]}
  - {name: c, command: [c]}
  - {name: d, command: [d]}
)");
  h.supervisor.script("a", {takes(300)});
  h.supervisor.script("b", {takes(100)});
  h.supervisor.script("c", {takes(100)});
  h.supervisor.script("d", {takes(100)});
  RunReport report = h.run();
  CHECK(h.supervisor.max_in_flight == 2);
  CHECK(programs(h.supervisor) == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(span(report, "c").first == 100);  // b's slot
  CHECK(span(report, "d").first == 200);  // c's slot, while a still runs
  CHECK(span(report, "a") == std::pair<long, long>{0, 300});
}

TEST_CASE("parallel: a stage that does not run takes no slot and frees the way at once",
          "[scheduler][parallel]") {
  PipelineHarness h(R"(parallel: 2
paths: {in: in}
stages:
  - {name: long, command: [long]}
  - {name: nothing, command: [nothing], when: {files: "${paths.in}/*.csv"}}
  - {name: next, command: [next], when: {after: [nothing]}}
  - {name: other, command: [other]}
)");
  h.supervisor.script("long", {takes(1000)});
  RunReport report = h.run();
  CHECK(record(report, "nothing").status == StageStatus::kSkipped);
  CHECK(record(report, "next").status == StageStatus::kSkipped);
  CHECK(record(report, "next").decision.reason == "nothing did not run in this run");
  CHECK(span(report, "other").first == 0);  // beside long
  CHECK(programs(h.supervisor) == std::vector<std::string>{"long", "other"});
}

TEST_CASE("workers: at most that many items at once, records in input order, lifecycle per item",
          "[scheduler][foreach]") {
  PipelineHarness h(R"(parallel: 3
paths: {in: in}
stages:
  - name: each
    command: [each, "${input}"]
    when: {files: "${paths.in}/*.csv"}
    foreach: input
    workers: 2
  - {name: other, command: [other]}
lifecycle:
  - delete: each.inputs
)");
  for (const char* n : {"a", "b", "c", "d", "e"}) h.files.add_file("/r/in/"_abs + n + ".csv");
  h.supervisor.script("other", {takes(1000)});
  h.supervisor.answer = [](const ProcessSpec& spec) -> std::optional<ProcessResult> {
    if (spec.argv[0] != "each") return std::nullopt;
    // a and c take longer; d fails.
    const std::string& in = spec.argv[1];
    if (in.ends_with("a.csv")) return takes(300);
    if (in.ends_with("c.csv")) return takes(250);
    if (in.ends_with("d.csv")) return takes(100, 4);
    return takes(100);
  };
  RunReport report = h.run();

  CHECK(h.supervisor.max_in_flight == 3);  // two items and `other`
  CHECK(span(report, "other").first == 0);
  std::vector<std::pair<long, long>> spans;
  std::vector<std::string> inputs;
  for (const auto& s : report.stages) {
    if (s.name != "each") continue;
    inputs.push_back(s.item->input);
    spans.push_back(
        {std::chrono::duration_cast<Millis>(s.attempts[0].started_at - report.started_at).count(),
         std::chrono::duration_cast<Millis>(s.attempts[0].finished_at - report.started_at)
             .count()});
  }
  CHECK(inputs ==
        std::vector<std::string>{"in/a.csv", "in/b.csv", "in/c.csv", "in/d.csv", "in/e.csv"});
  // a [0,300] and b [0,100]; c takes b's worker [100,350]; d takes a's [300,400]; e [350,450].
  CHECK(spans ==
        std::vector<std::pair<long, long>>{{0, 300}, {0, 100}, {100, 350}, {300, 400}, {350, 450}});
  for (long t = 0; t < 450; t += 10) {
    int at_once = 0;
    for (const auto& [from, to] : spans) at_once += from <= t && t < to ? 1 : 0;
    INFO("at " << t << " ms");
    CHECK(at_once <= 2);
  }
  // The stage's outcome from its items: an event, and the human log.
  int summaries = 0;
  for (const auto& e : h.events()) {
    if (e["event"] != "each.items") continue;
    ++summaries;
    CHECK(e["msg"] == "partial: 4 of 5 items succeeded, 1 failed");
    CHECK(e["data"]["outcome"] == "partial");
    CHECK(e["data"]["failed"] == 1);
  }
  CHECK(summaries == 1);
  CHECK_THAT(h.log_text(LogLevel::kWarn),
             Catch::Contains("each: partial: 4 of 5 items succeeded, 1 failed"));
  CHECK_THAT(h.log_text(), Catch::Contains("each [item 4: in/d.csv]: exit code 4"));
  CHECK(h.files.exists("/r/in/d.csv"_abs));  // its item failed: the next run retries it
  for (const char* n : {"a", "b", "c", "e"}) CHECK_FALSE(h.files.exists("/r/in/"_abs + n + ".csv"));
  CHECK(report.status == RunStatus::kPartial);
}

TEST_CASE("parallel: a retry waits out its backoff while the others run on", "[scheduler][retry]") {
  PipelineHarness h(R"(parallel: 2
stages:
  - name: flaky
    command: [flaky]
    retries: 1
    backoff: {initial: 500ms}
  - {name: long, command: [long]}
)");
  h.supervisor.script("flaky", {takes(100, 1), takes(100)});
  h.supervisor.script("long", {takes(2000)});
  RunReport report = h.run();
  const StageRecord& flaky = record(report, "flaky");
  REQUIRE(flaky.attempts.size() == 2);
  CHECK(flaky.status == StageStatus::kSucceeded);
  CHECK(flaky.attempts[1].started_at - flaky.attempts[0].finished_at == Millis(500));
  CHECK(span(report, "long") == std::pair<long, long>{0, 2000});
  CHECK(h.clock.sleeps.empty());  // the backoff was waited out in the supervisor's loop

  // With nothing else running, the backoff is the clock's (a stop can cut it short).
  PipelineHarness alone(R"(stages:
  - {name: flaky, command: [flaky], retries: 1, backoff: {initial: 500ms}}
)");
  alone.supervisor.script("flaky", {takes(100, 1), takes(100)});
  alone.run();
  CHECK(alone.clock.sleeps == std::vector<Millis>{Millis(500)});
}

TEST_CASE("parallel: after a stop nothing more starts - a backoff is cut short",
          "[scheduler][stop]") {
  PipelineHarness h(R"(parallel: 2
stages:
  - {name: stopped, command: [stopped]}
  - {name: flaky, command: [flaky], retries: 3, backoff: {initial: 10s}}
  - {name: later, command: [later]}
)");
  h.supervisor.script("flaky", {takes(10, 1)});
  h.supervisor.answer = [&](const ProcessSpec& spec) -> std::optional<ProcessResult> {
    if (spec.argv[0] != "stopped") return std::nullopt;
    h.stop_signal = 15;  // the stop comes while it runs
    ProcessResult r = FakeSupervisor::killed(15);
    r.aborted = true;
    r.duration = Millis(50);
    return r;
  };
  RunReport report = h.run();
  CHECK(report.status == RunStatus::kAborted);
  CHECK(report.exit_code == 143);
  CHECK(record(report, "flaky").attempts.size() == 1);  // its retry never started
  CHECK(record(report, "later").status == StageStatus::kNotStarted);
  CHECK(record(report, "later").decision.reason == "the run was stopped before this stage");
  CHECK(programs(h.supervisor) == std::vector<std::string>{"stopped", "flaky"});
}

TEST_CASE("parallel and workers: config errors say what is wrong", "[scheduler][config]") {
  auto load = [](const std::string& yaml) {
    return parse_config("version: 1\npipeline: t\nroot: /r\npaths: {in: in}\n" + yaml, "/r/p.yaml",
                        [](const std::string&) { return std::nullopt; });
  };
  const std::string each =
      "  - {name: each, command: [x, \"${input}\"], when: {files: \"${paths.in}/*\"}, "
      "foreach: input";
  CHECK_THROWS_WITH(load("parallel: 0\nstages:\n  - {name: a, command: [a]}\n"),
                    Catch::Contains("parallel"));
  CHECK_THROWS_WITH(load("parallel: many\nstages:\n  - {name: a, command: [a]}\n"),
                    Catch::Contains("parallel"));
  CHECK_THROWS_WITH(load("stages:\n  - {name: a, command: [a], workers: 2}\n"),
                    Catch::Contains("workers needs 'foreach: input'"));
  CHECK_THROWS_WITH(load("stages:\n" + each + ", workers: 4}\n"),
                    Catch::Contains("workers: 4 is more than parallel: 1") &&
                        Catch::Contains("set 'parallel: 4'"));
  CHECK_THROWS_WITH(load("parallel: 4\nstages:\n" + each + ", workers: 0}\n"),
                    Catch::Contains("workers"));
  CHECK(load("parallel: 4\nstages:\n" + each + ", workers: 4}\n").stages[0].workers == 4);
}
