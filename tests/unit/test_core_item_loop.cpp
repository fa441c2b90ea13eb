// `foreach: input` (SPEC 12) against the fakes: one process per input, each item with its
// own attempts, logs and record; the stage's outcome from its items; the lifecycle acting on
// the inputs whose item succeeded, so the next run retries exactly the failed ones.
#include <catch2/catch.hpp>

#include "support/abs_path.hpp"
#include "support/pipeline_harness.hpp"

using namespace pipeline;
using pipeline::testing::FakeSupervisor;
using pipeline::testing::PipelineHarness;

namespace {

const std::string kYaml = R"(paths: {in: in}
stages:
  - name: each
    command: [analyze, "${input}", --list, "${inputs_file}", --all, "${inputs}"]
    when: {files: "${paths.in}/*.csv"}
    foreach: input
  - name: merge
    command: [merge]
    when: {after: [each]}
lifecycle:
  - delete: each.inputs
)";

void add_inputs(PipelineHarness& h, std::initializer_list<const char*> names) {
  for (const char* n : names) h.files.add_file("/r/in/"_abs + n + ".csv");
}

// Fails the item whose input ends in `bad` (every attempt), succeeds the others.
void fail_input(PipelineHarness& h, const std::string& bad) {
  h.supervisor.answer = [bad](const ProcessSpec& spec) -> std::optional<ProcessResult> {
    if (spec.argv.size() > 1 && spec.argv[1].ends_with(bad)) return FakeSupervisor::exited(3);
    return std::nullopt;
  };
}

std::vector<const StageRecord*> records_of(const RunReport& r, const std::string& stage) {
  std::vector<const StageRecord*> out;
  for (const auto& s : r.stages) {
    if (s.name == stage) out.push_back(&s);
  }
  return out;
}

}  // namespace

TEST_CASE("foreach: one process per input, each its own record, logs and item", "[foreach]") {
  PipelineHarness h(kYaml);
  add_inputs(h, {"a", "b", "c"});
  fail_input(h, "b.csv");
  RunReport report = h.run();

  auto items = records_of(report, "each");
  REQUIRE(items.size() == 3);
  const char* names[] = {"in/a.csv", "in/b.csv", "in/c.csv"};
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("item " << i + 1);
    REQUIRE(items[i]->item);
    CHECK(items[i]->item->index == i + 1);
    CHECK(items[i]->item->input == names[i]);
    CHECK(items[i]->inputs_count == 1);
    CHECK(items[i]->decision.reason == "item " + std::to_string(i + 1) + " of 3: " + names[i]);
  }
  CHECK(items[0]->status == StageStatus::kSucceeded);
  CHECK(items[1]->status == StageStatus::kFailed);
  CHECK(items[2]->status == StageStatus::kSucceeded);
  CHECK(report.status == RunStatus::kPartial);

  // Each process got its one input three ways, its own logs and its item in the environment.
  REQUIRE(h.supervisor.specs.size() == 3);  // merge waits for every item
  const ProcessSpec& second = h.supervisor.specs[1];
  CHECK(second.argv[1] == "/r/in/b.csv"_abs);
  CHECK(second.argv[5] == "/r/in/b.csv"_abs);
  CHECK(second.argv.size() == 6);  // ${inputs}: the item's one input
  CHECK(h.files.content(second.argv[3]) == "/r/in/b.csv"_abs + "\n");
  CHECK(second.env.at("PIPELINE_ITEM") == "2");
  CHECK(second.stdout_log.filename() == "item-2.stdout.log");
  CHECK(second.stdout_log.parent_path().filename() == "each");
  CHECK(records_of(report, "merge").at(0)->decision.reason == "each did not succeed");

  // Events say which item and input.
  int started = 0;
  for (const auto& e : h.events()) {
    if (e["event"] == "each.start") {
      ++started;
      CHECK(e["data"]["item"] == started);
      CHECK(e["data"]["input"] == names[started - 1]);
    }
    if (e["event"] == "each.decision") {
      CHECK_THAT(e["msg"].get<std::string>(), Catch::EndsWith("one process per input (3 items)"));
    }
  }
  CHECK(started == 3);
}

TEST_CASE(
    "foreach: the lifecycle takes the inputs whose item succeeded; the next run retries "
    "exactly the failed one",
    "[foreach][lifecycle]") {
  PipelineHarness h(kYaml);
  add_inputs(h, {"a", "b", "c"});
  fail_input(h, "b.csv");
  RunReport first = h.run();
  CHECK_FALSE(h.files.exists("/r/in/a.csv"_abs));
  CHECK(h.files.exists("/r/in/b.csv"_abs));
  CHECK_FALSE(h.files.exists("/r/in/c.csv"_abs));
  CHECK(first.lifecycle.size() == 2);

  h.supervisor.answer = nullptr;  // b.csv fixed
  h.supervisor.specs.clear();
  RunReport second = h.run();
  auto items = records_of(second, "each");
  REQUIRE(items.size() == 1);
  CHECK(items[0]->item->input == "in/b.csv");
  CHECK(items[0]->item->index == 1);
  CHECK(items[0]->status == StageStatus::kSucceeded);
  CHECK(second.status == RunStatus::kSuccess);
  CHECK(h.supervisor.specs.size() == 2);  // b, then merge
  CHECK_FALSE(h.files.exists("/r/in/b.csv"_abs));
}

TEST_CASE("foreach: each item has its own attempts", "[foreach][retry]") {
  PipelineHarness h(kYaml);
  h.config.stages[0].retries = 1;
  h.config.stages[0].retry_on.clear();
  add_inputs(h, {"a", "b"});
  int b_runs = 0;
  h.supervisor.answer = [&](const ProcessSpec& spec) -> std::optional<ProcessResult> {
    if (spec.argv[0] == "analyze" && spec.argv[1].ends_with("b.csv") && ++b_runs == 1) {
      return FakeSupervisor::exited(1);
    }
    return std::nullopt;
  };
  RunReport report = h.run();
  auto items = records_of(report, "each");
  REQUIRE(items.size() == 2);
  CHECK(items[0]->attempts.size() == 1);
  REQUIRE(items[1]->attempts.size() == 2);
  CHECK(items[1]->status == StageStatus::kSucceeded);
  CHECK(items[1]->attempts[1].stdout_log.ends_with("each/item-2.attempt2.stdout.log"));
  CHECK(report.status == RunStatus::kSuccess);
}

TEST_CASE("foreach: a stop leaves the items not reached as not started", "[foreach][stop]") {
  PipelineHarness h(kYaml);
  add_inputs(h, {"a", "b", "c"});
  h.supervisor.answer = [&](const ProcessSpec& spec) -> std::optional<ProcessResult> {
    if (!spec.argv[1].ends_with("a.csv")) return std::nullopt;
    h.stop_signal = 15;  // the stop comes while the first item runs
    ProcessResult r = FakeSupervisor::killed(15);
    r.aborted = true;
    return r;
  };
  RunReport report = h.run();
  auto items = records_of(report, "each");
  REQUIRE(items.size() == 3);
  CHECK(items[1]->status == StageStatus::kNotStarted);
  CHECK(items[2]->status == StageStatus::kNotStarted);
  CHECK(items[2]->item->input == "in/c.csv");
  CHECK(report.status == RunStatus::kAborted);
  CHECK(h.supervisor.specs.size() == 1);
  CHECK(h.files.exists("/r/in/a.csv"_abs));  // an aborted run deletes nothing
}

TEST_CASE("foreach: config errors say what is wrong and where", "[foreach][config]") {
  auto load = [](const std::string& stage) {
    return parse_config("version: 1\npipeline: t\nroot: /r\nstages:\n" + stage, "/r/p.yaml",
                        [](const std::string&) { return std::nullopt; });
  };
  CHECK_THROWS_WITH(
      load("  - name: s\n    command: [x]\n    when: {files: a}\n    foreach: file\n"),
      Catch::Contains("foreach takes 'input'"));
  CHECK_THROWS_WITH(load("  - name: s\n    command: [x, \"${input}\"]\n    foreach: input\n"),
                    Catch::Contains("foreach: input needs when.files"));
  CHECK_THROWS_WITH(load("  - name: s\n    command: [x, \"${input}\"]\n    when: {files: a}\n"),
                    Catch::Contains("${input} is only known in the command, cwd or env of a "
                                    "stage with 'foreach: input'"));
  CHECK_NOTHROW(
      load("  - name: s\n    command: [x]\n    env: {IN: \"${input}\"}\n"
           "    when: {files: a}\n    foreach: input\n"));
}
