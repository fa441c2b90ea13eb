// report_from_json reads back exactly what report_to_json writes (schema /1), and says which
// field is wrong when a report is not one.
#include <catch2/catch.hpp>

#include "records/report_json.hpp"
#include "support/abs_path.hpp"

using namespace pipeline;
using nlohmann::json;

namespace {

TimePoint at(const char* text) {
  return parse_rfc3339(text).value();
}

// A report with every field set, and every optional one both ways across its records.
RunReport full_report() {
  RunReport r;
  r.run_id = "20261202T031500-0000000000000-abcdef0123456789";
  r.pipeline = "fx";
  r.status = RunStatus::kPartial;
  r.exit_code = 1;
  r.started_at = at("2026-12-02T03:15:00.125Z");
  r.finished_at = at("2026-12-02T03:15:09.500Z");
  r.host = "h1";
  r.pid = 4242;
  r.config_path = "/etc/p/pipeline.yaml"_abs;
  r.config_sha256 = std::string(64, 'a');
  StageRecord ran;
  ran.name = "load";
  ran.batch = "B1";
  ran.decision = {true, "2 new files", {"\"x\ny\" has a newline"}};
  ran.status = StageStatus::kTimedOut;
  ran.inputs_count = 2;
  ran.inputs = {"in/a.csv", "in/b.csv"};
  ran.items_done = 3;
  ran.items = 7;
  ran.stdout_bytes = 1'000'000'000'000ULL;
  ran.stderr_bytes = 12;
  AttemptRecord first;
  first.attempt = 1;
  first.started_at = at("2026-12-02T03:15:00.200Z");
  first.finished_at = at("2026-12-02T03:15:04.200Z");
  first.duration = Millis(4000);
  first.signal = 15;
  first.timed_out = true;
  first.terminated = true;
  first.left_processes = true;
  first.error = "the supervision failed";
  first.stdout_tail = {"one", "two"};
  first.stderr_tail = {"bad \xEF\xBF\xBD byte"};
  first.stdout_log = "logs/stages/x/load.stdout.log";
  first.stderr_log = "logs/stages/x/load.stderr.log";
  AttemptRecord second = first;
  second.attempt = 2;
  second.signal.reset();
  second.exit_code = 0;
  second.completed_by = "pattern";
  second.start_error = "cannot start";
  second.error.clear();
  ran.attempts = {first, second};
  StageRecord skipped;
  skipped.name = "report";
  skipped.decision = {false, "nothing new", {}};
  skipped.status = StageStatus::kSkipped;
  r.stages = {ran, skipped};
  r.lifecycle = {{"delete", "in/a.csv", "", "deleted", ""},
                 {"move", "in/b.csv", "done/b.csv", "failed", "disk full"}};
  r.lifecycle_summary = {1502, {{"deleted", 1501}, {"failed", 1}}, "logs/stages/r/lifecycle.jsonl"};
  r.batches = {{"B1", "COMPLETED", "archive/B1", "B1.json", "", true},
               {"B2", "REJECTED", "", "B2.json", "no files", false}};
  r.errors = {"paths.logs: read-only"};
  r.recovered = RecoveryRecord{"20261202T030000-0000000000000-0123456789abcdef",
                               77,
                               "h1",
                               "2026-12-02T03:00:00.000Z",
                               {101, 102},
                               true};
  return r;
}

}  // namespace

TEST_CASE("report round trip: what is written is read back, field for field", "[report]") {
  const RunReport original = full_report();
  const json written = report_to_json(original);
  const RunReport read = report_from_json(written);
  CHECK(report_to_json(read) == written);  // every field, by the writer's own account

  // And the model itself, for the fields the JSON could hide behind a default.
  CHECK(read.status == RunStatus::kPartial);
  CHECK(read.started_at == original.started_at);
  REQUIRE(read.stages.size() == 2);
  CHECK(read.stages[0].status == StageStatus::kTimedOut);
  CHECK(read.stages[0].items == std::optional<std::size_t>(7));
  CHECK_FALSE(read.stages[1].items.has_value());
  CHECK(read.stages[0].attempts[0].signal == 15);
  CHECK_FALSE(read.stages[0].attempts[0].exit_code.has_value());
  CHECK(read.stages[0].attempts[1].exit_code == 0);
  CHECK(read.stages[0].decision.warnings == original.stages[0].decision.warnings);
  REQUIRE(read.recovered.has_value());
  CHECK(read.recovered->killed == std::vector<std::int64_t>{101, 102});
  CHECK(read.batches[0].reclaimed);
  CHECK(read.lifecycle_summary.count == 1502);
  CHECK(read.lifecycle_summary.results == original.lifecycle_summary.results);
  CHECK(read.lifecycle_summary.list == original.lifecycle_summary.list);
  CHECK(written["lifecycle_summary"]["listed"] == 2);

  RunReport bare;  // nothing optional set
  bare.run_id = "r";
  CHECK(report_to_json(report_from_json(report_to_json(bare))) == report_to_json(bare));
}

TEST_CASE("a report that is not one is refused, naming the field", "[report]") {
  const json good = report_to_json(full_report());
  auto refused = [&](const std::function<void(json&)>& damage) {
    json j = good;
    damage(j);
    try {
      report_from_json(j);
    } catch (const ReportError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(refused([](json& j) { j["schema"] = "pipeline_runner.report/2"; }) ==
        "schema: not pipeline_runner.report/1");
  CHECK(refused([](json& j) { j.erase("run_id"); }) == "run_id: missing");
  CHECK(refused([](json& j) { j["status"] = "fine"; }) == "status: not a run status");
  CHECK(refused([](json& j) { j["started_at"] = "yesterday"; }) ==
        "started_at: not an RFC 3339 time");
  CHECK(refused([](json& j) { j["stages"][0]["attempts"][1]["exit_code"] = "0"; }) ==
        "stages[0].attempts[1].exit_code: expected a whole number");
  CHECK(refused([](json& j) { j["stages"][1]["metrics"]["stdout_bytes"] = -1.5; }) ==
        "stages[1].metrics.stdout_bytes: expected a whole number");
  CHECK(refused([](json& j) { j["lifecycle"][0]["path"] = nullptr; }) ==
        "lifecycle[0].path: expected a string");
  CHECK(refused([](json& j) { j["recovered"]["killed"] = {"x"}; }) ==
        "recovered.killed: expected a list of whole numbers");
  CHECK(refused([](json& j) { j = json::array(); }) == "the report: expected an object");
}

TEST_CASE("fields that say only 'nothing happened' may be absent - present they are checked",
          "[report]") {
  json older = report_to_json(full_report());
  for (const char* key : {"lifecycle", "errors", "recovered", "runner_version"}) older.erase(key);
  older["batches"][0].erase("reclaimed");
  json& attempt = older["stages"][0]["attempts"][0];
  for (const char* key : {"terminated", "left_processes", "error", "stdout_tail"}) {
    attempt.erase(key);
  }
  RunReport read = report_from_json(older);
  CHECK(read.lifecycle.empty());
  CHECK(read.errors.empty());
  CHECK_FALSE(read.recovered.has_value());
  CHECK(read.runner_version.empty());
  CHECK_FALSE(read.batches[0].reclaimed);
  CHECK_FALSE(read.stages[0].attempts[0].terminated);
  CHECK(read.stages[0].attempts[0].stdout_tail.empty());
  CHECK(read.stages[0].attempts[1].terminated ==
        full_report().stages[0].attempts[1].terminated);  // the others as written

  older["batches"][0]["reclaimed"] = "no";
  CHECK_THROWS_WITH(report_from_json(older), "batches[0].reclaimed: expected true or false");

  // A report from before the summary: its lifecycle list was the whole of it.
  json unsummed = report_to_json(full_report());
  unsummed.erase("lifecycle_summary");
  RunReport counted = report_from_json(unsummed);
  CHECK(counted.lifecycle_summary.count == 2);
  CHECK(counted.lifecycle_summary.results ==
        std::map<std::string, std::size_t>{{"deleted", 1}, {"failed", 1}});
  CHECK(counted.lifecycle_summary.list.empty());

  json bad = report_to_json(full_report());
  bad["lifecycle_summary"]["results"]["deleted"] = "many";
  CHECK_THROWS_WITH(report_from_json(bad), "lifecycle_summary.results: expected counts");
}

TEST_CASE("a report read back keeps the runner that wrote it", "[report]") {
  json written = report_to_json(full_report());
  CHECK(written["runner_version"] == kRunnerVersion);  // this runner, when it writes its own
  written["runner_version"] = "0.9.0";
  CHECK(report_to_json(report_from_json(written))["runner_version"] == "0.9.0");
}
