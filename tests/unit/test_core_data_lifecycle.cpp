#include <catch2/catch.hpp>

#include "support/abs_path.hpp"
#include "support/pipeline_harness.hpp"

using namespace pipeline;
using pipeline::testing::FakeSupervisor;
using pipeline::testing::PipelineHarness;

namespace {
const std::string kStages = R"(paths: {raw: raw, archive: archive}
stages:
  - name: t
    command: [translate]
    when: {files: "${paths.raw}/*.csv"}
  - name: m
    command: [merge]
)";
const std::string kYaml = kStages + R"(lifecycle:
  - delete: t.inputs
    when_succeeded: [t]
)";
const std::string kMoveYaml = kStages + R"(lifecycle:
  - move: t.inputs
    to: "${paths.archive}/${run_id}"
    when_succeeded: [t, m]
)";
}  // namespace

TEST_CASE("delete removes exactly the snapshotted inputs after success", "[lifecycle]") {
  PipelineHarness h(kYaml);
  h.files.add_file("/r/raw/a.csv"_abs);
  h.files.add_file("/r/raw/b.csv"_abs);
  // A file that arrives while the stage runs is not this run's.
  h.supervisor.on_run = [&](const ProcessSpec& spec) {
    if (spec.argv[0] == "translate") h.files.add_file("/r/raw/late.csv"_abs);
  };
  auto report = h.run();
  CHECK(h.files.removed == std::vector<fs::path>{"/r/raw/a.csv"_abs, "/r/raw/b.csv"_abs});
  CHECK(h.files.has_file("/r/raw/late.csv"_abs));
  REQUIRE(report.lifecycle.size() == 2);
  CHECK(report.lifecycle[0].action == "delete");
  CHECK(report.lifecycle[0].path == "raw/a.csv");
  CHECK(report.lifecycle[0].result == "deleted");
  auto names = h.event_names();
  CHECK(std::count(names.begin(), names.end(), "lifecycle.action") == 2);
}

TEST_CASE("nothing is deleted when the stage failed", "[lifecycle]") {
  PipelineHarness h(kYaml);
  h.files.add_file("/r/raw/a.csv"_abs);
  h.supervisor.script("translate", {FakeSupervisor::exited(1)});
  auto report = h.run();
  CHECK(h.files.removed.empty());
  CHECK(report.lifecycle.empty());
  CHECK(h.files.has_file("/r/raw/a.csv"_abs));
}

TEST_CASE("a file replaced after the snapshot is left alone", "[lifecycle]") {
  PipelineHarness h(kYaml);
  h.files.add_file("/r/raw/a.csv"_abs, "old", 1);
  h.supervisor.on_run = [&](const ProcessSpec&) {
    h.files.add_file("/r/raw/a.csv"_abs, "new!", 2);
  };
  auto report = h.run();
  CHECK(h.files.removed.empty());
  REQUIRE(report.lifecycle.size() == 1);
  CHECK(report.lifecycle[0].result == "changed");
  CHECK(h.files.content("/r/raw/a.csv"_abs) == "new!");
}

TEST_CASE("a file that vanished is reported missing - a failing delete is reported - not fatal",
          "[lifecycle]") {
  PipelineHarness h(kYaml);
  h.files.add_file("/r/raw/a.csv"_abs);
  h.files.add_file("/r/raw/b.csv"_abs);
  h.files.fail_on("/r/raw/b.csv"_abs, "Permission denied");
  h.supervisor.on_run = [&](const ProcessSpec& spec) {
    if (spec.argv[0] == "translate") h.files.remove("/r/raw/a.csv"_abs);
  };
  auto report = h.run();
  REQUIRE(report.lifecycle.size() == 2);
  CHECK(report.lifecycle[0].result == "missing");
  CHECK(report.lifecycle[1].result == "failed");
  CHECK_THAT(report.lifecycle[1].error, Catch::Contains("Permission denied"));
  CHECK(report.status == RunStatus::kSuccess);
  CHECK(report.exit_code == 0);
}

TEST_CASE("move waits for every when_succeeded stage", "[lifecycle]") {
  PipelineHarness ok(kMoveYaml);
  ok.files.add_file("/r/raw/a.csv"_abs, "data");
  auto report = ok.run();
  REQUIRE(report.lifecycle.size() == 1);
  CHECK(report.lifecycle[0].result == "moved");
  CHECK(report.lifecycle[0].to == "archive/" + report.run_id + "/a.csv");
  CHECK(ok.files.content("/r/archive/"_abs + report.run_id + "/a.csv") == "data");

  PipelineHarness failed(kMoveYaml);
  failed.files.add_file("/r/raw/a.csv"_abs);
  failed.supervisor.script("merge", {FakeSupervisor::exited(2)});
  CHECK(failed.run().lifecycle.empty());
  CHECK(failed.files.has_file("/r/raw/a.csv"_abs));
}

TEST_CASE("a move never replaces a file already at the target", "[lifecycle]") {
  PipelineHarness h(kMoveYaml);
  h.files.add_file("/r/raw/a.csv"_abs, "new");
  h.files.add_file("/r/archive/018bcfe5-6800-7000-8000-000000000001/a.csv"_abs, "archived");
  auto report = h.run();
  REQUIRE(report.lifecycle.size() == 1);
  CHECK(report.lifecycle[0].result == "failed");
  CHECK(h.files.content("/r/raw/a.csv"_abs) == "new");
  CHECK(h.files.content("/r/archive/018bcfe5-6800-7000-8000-000000000001/a.csv"_abs) == "archived");
}

TEST_CASE("the stage a rule names is snapshotted - so its unchanged inputs are deleted",
          "[lifecycle]") {
  // kYaml's rule names stage t: its inputs must have been stat-ed at decision time, or the
  // lifecycle could not tell that they are unchanged and would leave them.
  PipelineHarness h(kYaml);
  h.files.add_file("/r/raw/a.csv"_abs, "abc", 5);
  auto report = h.run();
  REQUIRE(report.lifecycle.size() == 1);
  CHECK(report.lifecycle[0].result == "deleted");
}

TEST_CASE("a run that cannot write its report deletes nothing", "[lifecycle][hostile]") {
  PipelineHarness h(kYaml);
  h.files.add_file("/r/raw/a.csv"_abs);
  int asked = 0;
  h.checkpoint = [&](const RunReport& r) {
    ++asked;
    CHECK(r.status == RunStatus::kSuccess);  // the record as it stands is written first
    return false;
  };
  auto report = h.run();
  CHECK(asked == 1);
  CHECK(h.files.has_file("/r/raw/a.csv"_abs));
  REQUIRE(report.lifecycle.size() == 1);
  CHECK(report.lifecycle[0].result == "kept");
  CHECK(report.status == RunStatus::kSuccess);  // records never change the outcome
}

TEST_CASE("a stop during the lifecycle touches no further file and ends the run aborted",
          "[lifecycle][hostile]") {
  PipelineHarness h(kYaml);
  h.files.add_file("/r/raw/a.csv"_abs);
  h.files.add_file("/r/raw/b.csv"_abs);
  h.checkpoint = [&](const RunReport&) {
    h.stop_signal = SIGTERM;  // arrives as the lifecycle starts: exit 143
    return true;
  };
  auto report = h.run();
  CHECK(h.files.has_file("/r/raw/a.csv"_abs));
  CHECK(h.files.has_file("/r/raw/b.csv"_abs));
  CHECK(report.lifecycle.empty());
  CHECK(report.status == RunStatus::kAborted);
  CHECK(report.exit_code == 143);
}

namespace {
const fs::path kList = "/r/logs/stages/018bcfe5-6800-7000-8000-000000000001/lifecycle.jsonl"_abs;

std::vector<nlohmann::json> lines_of(const std::string& text) {
  std::vector<nlohmann::json> out;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    out.push_back(nlohmann::json::parse(text.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

// raw/f10000.csv, raw/f10001.csv, ... (names sort as they were added).
void add_inputs(PipelineHarness& h, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    h.files.add_file("/r/raw/f"_abs + std::to_string(10000 + i) + ".csv");
  }
}
}  // namespace

TEST_CASE("beyond 1000 records: the first are listed - all are counted and in the list file",
          "[lifecycle][scale]") {
  PipelineHarness h(kYaml);
  const std::size_t n = kListedLifecycle + 205;
  add_inputs(h, n);
  h.files.add_file("/r/raw/f20000.csv"_abs, "old", 1);  // changes while the stage runs: kept
  h.supervisor.on_run = [&](const ProcessSpec& spec) {
    if (spec.argv[0] == "translate") h.files.add_file("/r/raw/f20000.csv"_abs, "new!", 2);
  };
  auto report = h.run();
  CHECK(h.files.removed.size() == n);
  CHECK(report.lifecycle.size() == kListedLifecycle);
  CHECK(report.lifecycle.front().path == "raw/f10000.csv");
  const LifecycleSummary& s = report.lifecycle_summary;
  CHECK(s.count == n + 1);
  CHECK(s.results == std::map<std::string, std::size_t>{{"deleted", n}, {"changed", 1}});
  CHECK(s.list == "logs/stages/018bcfe5-6800-7000-8000-000000000001/lifecycle.jsonl");
  // Every record is in the list, in order, the unlisted ones too.
  auto listed = lines_of(h.files.appended[kList]);
  REQUIRE(listed.size() == n + 1);
  CHECK(listed[0]["path"] == "raw/f10000.csv");
  CHECK(listed[n]["path"] == "raw/f20000.csv");
  CHECK(listed[n]["result"] == "changed");
  // Events: one per listed record, then one summary that says where the rest are.
  auto names = h.event_names();
  CHECK(std::count(names.begin(), names.end(), "lifecycle.action") == kListedLifecycle);
  REQUIRE(std::count(names.begin(), names.end(), "lifecycle.summary") == 1);
  for (const auto& e : h.events()) {
    if (e["event"] != "lifecycle.summary") continue;
    CHECK(e["data"]["count"] == n + 1);
    CHECK(e["data"]["listed"] == kListedLifecycle);
    CHECK(e["data"]["results"]["deleted"] == n);
    CHECK(e["data"]["list"] == s.list);
  }
}

TEST_CASE("up to 1000 records: all listed - the list file has them too - no summary event",
          "[lifecycle][scale]") {
  PipelineHarness h(kYaml);
  h.files.add_file("/r/raw/a.csv"_abs);
  h.files.add_file("/r/raw/b.csv"_abs);
  auto report = h.run();
  CHECK(report.lifecycle.size() == 2);
  CHECK(report.lifecycle_summary.count == 2);
  CHECK(lines_of(h.files.appended[kList]).size() == 2);
  auto names = h.event_names();
  CHECK(std::count(names.begin(), names.end(), "lifecycle.summary") == 0);
}

TEST_CASE("a list file that cannot be written: the files are still handled - the summary says so",
          "[lifecycle][scale][hostile]") {
  PipelineHarness h(kYaml);
  const std::size_t n = kListedLifecycle + 1;
  add_inputs(h, n);
  h.files.fail_appends(kList);
  auto report = h.run();
  CHECK(h.files.removed.size() == n);
  CHECK(report.lifecycle_summary.count == n);
  CHECK(report.lifecycle_summary.list.empty());
  bool said = false;
  for (const auto& e : h.events()) {
    if (e["event"] != "lifecycle.summary") continue;
    said = true;
    CHECK(e["data"]["list"].is_null());
    CHECK_THAT(e["data"]["error"].get<std::string>(),
               Catch::Contains("the lifecycle list could not be written"));
  }
  CHECK(said);
}
