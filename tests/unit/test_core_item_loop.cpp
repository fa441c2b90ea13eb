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

const std::string kForeachYaml = R"(paths: {in: in}
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
  PipelineHarness h(kForeachYaml);
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
  PipelineHarness h(kForeachYaml);
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
  PipelineHarness h(kForeachYaml);
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
  PipelineHarness h(kForeachYaml);
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

namespace {

const std::string kQuarantineYaml = R"(paths: {in: in, poison: poison}
stages:
  - name: each
    command: [analyze, "${input}"]
    when: {files: "${paths.in}/*.csv"}
    foreach: input
    quarantine: {after: 2, to: "${paths.poison}/each"}
lifecycle:
  - delete: each.inputs
)";

}  // namespace

TEST_CASE("quarantine: an input failing `after` runs in a row is moved away with its reason",
          "[foreach][quarantine]") {
  PipelineHarness h(kQuarantineYaml);
  add_inputs(h, {"a", "b"});
  fail_input(h, "b.csv");
  RunReport first = h.run();
  CHECK(first.quarantined.empty());
  REQUIRE(h.input_failures.rows.size() == 1);
  CHECK(h.input_failures.rows.begin()->second.failures == 1);
  CHECK(h.files.exists("/r/in/b.csv"_abs));

  RunReport second = h.run();
  REQUIRE(second.quarantined.size() == 1);
  const QuarantineRecord& q = second.quarantined[0];
  CHECK(q.stage == "each");
  CHECK(q.input == "in/b.csv");
  CHECK(q.to == "poison/each/b.csv");
  CHECK(q.result == "quarantined");
  CHECK(q.failures == 2);
  CHECK(q.runs.size() == 2);
  CHECK(q.error == "exit 3");
  CHECK_FALSE(h.files.exists("/r/in/b.csv"_abs));
  CHECK(h.files.exists("/r/poison/each/b.csv"_abs));
  const std::string why = h.files.content("/r/poison/each/b.csv.error.txt"_abs);
  CHECK_THAT(why, Catch::Contains("failed in 2 consecutive runs") &&
                      Catch::Contains("last error: exit 3") && Catch::Contains(second.run_id));
  CHECK(h.input_failures.rows.empty());  // gone from the count with the file
  bool said = false;
  for (const auto& e : h.events()) {
    said = said || (e["event"] == "each.quarantined" && e["data"]["to"] == "poison/each/b.csv");
  }
  CHECK(said);

  // With the poison file gone the stage has nothing left to do.
  RunReport third = h.run();
  CHECK(third.status == RunStatus::kIdle);
}

TEST_CASE("quarantine: a changed file or a success starts the count again",
          "[foreach][quarantine]") {
  PipelineHarness h(kQuarantineYaml);
  h.config.lifecycle.clear();  // the inputs stay, run after run
  h.files.add_file("/r/in/b.csv"_abs, "v1", 100);
  fail_input(h, "b.csv");
  h.run();
  h.files.add_file("/r/in/b.csv"_abs, "v2, fixed?", 200);  // a new version of the file
  RunReport second = h.run();
  CHECK(second.quarantined.empty());
  CHECK(h.input_failures.rows.begin()->second.failures == 1);

  h.supervisor.answer = nullptr;  // it succeeds once
  h.run();
  CHECK(h.input_failures.rows.empty());
  fail_input(h, "b.csv");
  RunReport fourth = h.run();
  CHECK(fourth.quarantined.empty());
  RunReport fifth = h.run();
  REQUIRE(fifth.quarantined.size() == 1);
  CHECK(h.files.exists("/r/poison/each/b.csv"_abs));
}

TEST_CASE("quarantine: a name already taken in the folder is not overwritten",
          "[foreach][quarantine]") {
  PipelineHarness h(kQuarantineYaml);
  h.config.stages[0].quarantine->after = 1;
  h.files.add_file("/r/poison/each/b.csv"_abs, "an earlier b");
  add_inputs(h, {"b"});
  fail_input(h, "b.csv");
  RunReport r = h.run();
  REQUIRE(r.quarantined.size() == 1);
  CHECK(r.quarantined[0].to == "poison/each/b.csv.1");
  CHECK(h.files.content("/r/poison/each/b.csv"_abs) == "an earlier b");
  CHECK(h.files.exists("/r/poison/each/b.csv.1.error.txt"_abs));
}

TEST_CASE("quarantine: a store that cannot be written counts nothing and says so",
          "[foreach][quarantine]") {
  PipelineHarness h(kQuarantineYaml);
  h.config.stages[0].quarantine->after = 1;
  h.input_failures.broken = true;
  add_inputs(h, {"a", "b"});
  fail_input(h, "b.csv");
  RunReport r = h.run();
  CHECK(r.quarantined.empty());
  CHECK(h.files.exists("/r/in/b.csv"_abs));
  REQUIRE(r.errors.size() == 1);
  CHECK_THAT(r.errors[0], Catch::Contains("the failures of its inputs cannot be kept") &&
                              Catch::Contains("disk I/O error"));
  CHECK(records_of(r, "each").size() == 2);  // the items ran all the same
}

TEST_CASE("quarantine: config errors", "[foreach][quarantine][config]") {
  auto load = [](const std::string& extra) {
    return parse_config(
        "version: 1\npipeline: t\nroot: /r\nstages:\n  - name: s\n"
        "    command: [x]\n    when: {files: a}\n" +
            extra,
        "/r/p.yaml", [](const std::string&) { return std::nullopt; });
  };
  CHECK_THROWS_WITH(load("    quarantine: {after: 2, to: q}\n"),
                    Catch::Contains("quarantine needs 'foreach: input'"));
  CHECK_THROWS_WITH(load("    foreach: input\n    quarantine: {after: 2}\n"),
                    Catch::Contains("quarantine needs 'to'"));
  CHECK_THROWS_WITH(load("    foreach: input\n    quarantine: {after: 0, to: q}\n"),
                    Catch::Contains("quarantine.after"));
  CHECK_THROWS_WITH(load("    foreach: input\n    quarantine: {afer: 2, to: q}\n"),
                    Catch::Contains("did you mean 'after'"));
  CHECK(load("    foreach: input\n    quarantine: {to: q}\n").stages[0].quarantine->after == 3);
}
