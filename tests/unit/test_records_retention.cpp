// Retention against the fake file system: what goes, what stays, and why.
#include <catch2/catch.hpp>

#include "fakes/fake_file_system.hpp"
#include "records/report_json.hpp"
#include "records/retention.hpp"
#include "support/abs_path.hpp"
#include "util/run_id.hpp"

using namespace pipeline;
using pipeline::testing::FakeFileSystem;

namespace {

Config config_with(std::optional<int> days, std::optional<int> runs, bool batches = false) {
  std::string yaml = "version: 1\npipeline: t\nroot: /r\nstages: [{name: a, command: [x]}]\n";
  if (batches) yaml += "batches: {hotfolder: hot, archive: archive, error: error}\n";
  Config c = parse_config(yaml, "/r/p.yaml"_abs, [](const std::string&) { return std::nullopt; });
  c.retention_keep_days = days;
  c.retention_keep_runs = runs;
  return c;
}

const TimePoint kNow = TimePoint(std::chrono::hours(24 * 20000));

// Every record a run leaves, as run_command writes them; returns the run id.
std::string add_run(FakeFileSystem& files, int days_ago, const std::string& report = "{}") {
  std::string id = make_run_id(kNow - std::chrono::hours(24) * days_ago);
  files.add_file("/r/logs/reports/pipeline_report_20250101_000000_"_abs + id + ".json", report);
  files.add_file("/r/logs/events/pipeline_"_abs + id + ".jsonl", "{}\n");
  files.add_file("/r/logs/pipeline_20250101_000000_"_abs + id + ".log", "log\n");
  files.add_file("/r/logs/stages/"_abs + id + "/a.stdout.log", "out");
  files.add_file("/r/logs/stages/"_abs + id + "/batch1/a.stderr.log", "err");
  files.add_file("/r/state/inputs/"_abs + id + "/a.inputs", "/r/in/x.csv\n");
  return id;
}

// A report as the runner writes it, of a run that handled one batch.
std::string report_with_batch(const std::string& id, const std::string& moved_to) {
  RunReport r;
  r.run_id = id;
  r.status = RunStatus::kFailure;
  r.batches.push_back({id, "FAILED", moved_to, id + "_MANIFEST.json", "load failed", false});
  return report_to_json(r).dump();
}

bool has_any_record(const FakeFileSystem& files, const std::string& id) {
  return files.exists("/r/logs/stages/"_abs + id) || files.exists("/r/state/inputs/"_abs + id) ||
         files.exists("/r/logs/events/pipeline_"_abs + id + ".jsonl") ||
         files.exists("/r/logs/reports/pipeline_report_20250101_000000_"_abs + id + ".json") ||
         files.exists("/r/logs/pipeline_20250101_000000_"_abs + id + ".log");
}

}  // namespace

TEST_CASE("keep_days prunes every record of older runs and nothing else", "[retention]") {
  FakeFileSystem files;
  std::string old = add_run(files, 40), recent = add_run(files, 3), current = add_run(files, 0);
  files.add_file("/r/logs/reports/notes.txt"_abs, "a user's file");
  auto result = prune_runs(config_with(30, std::nullopt), files, kNow, current);
  CHECK(result.pruned == std::vector<std::string>{old});
  CHECK(result.files_removed == 6);
  CHECK_FALSE(has_any_record(files, old));
  CHECK(has_any_record(files, recent));
  CHECK(files.exists("/r/logs/stages/"_abs + recent + "/batch1/a.stderr.log"));
  CHECK(files.has_file("/r/logs/reports/notes.txt"_abs));
  // The report went last, so a failure half-way leaves the run on record.
  CHECK(files.removed.back().filename().string().rfind("pipeline_report_", 0) == 0);
}

TEST_CASE("keep_runs keeps the newest runs - the current run is never pruned", "[retention]") {
  FakeFileSystem files;
  std::string a = add_run(files, 5), b = add_run(files, 4), c = add_run(files, 3);
  // The current run is the oldest id here (a clock set back): it still stays.
  auto result = prune_runs(config_with(std::nullopt, 1), files, kNow, a);
  CHECK(result.pruned == std::vector<std::string>{b});
  CHECK(has_any_record(files, a));
  CHECK(has_any_record(files, c));
}

TEST_CASE("a run whose batch is still in error is kept", "[retention]") {
  FakeFileSystem files;
  std::string failed = add_run(files, 90, report_with_batch("b1", "error/b1"));
  std::string fixed = add_run(files, 80, report_with_batch("b2", "error/b2"));
  std::string damaged = add_run(files, 70, R"({"batches": [{"moved_to": "error/b1"}]})");
  files.add_file("/r/error/b1/b1_MANIFEST.json"_abs, "{}");  // b2 was dealt with and removed
  add_run(files, 1);  // the runner ran yesterday: the clock did not jump
  auto result = prune_runs(config_with(30, std::nullopt, true), files, kNow, "");
  CHECK(result.kept_for_batches == std::vector<std::string>{failed});
  // A report that is not one holds nothing back.
  CHECK(result.pruned == std::vector<std::string>{damaged, fixed});
  CHECK(has_any_record(files, failed));
}

TEST_CASE("no retention configured prunes nothing - a failed delete is reported", "[retention]") {
  FakeFileSystem files;
  std::string old = add_run(files, 400);
  CHECK(prune_runs(config_with(std::nullopt, std::nullopt), files, kNow, "").pruned.empty());
  CHECK(has_any_record(files, old));
  files.fail_on("/r/logs/events/pipeline_"_abs + old + ".jsonl", "Permission denied");
  std::string current = add_run(files, 0);
  add_run(files, 0);  // an earlier run today
  auto result = prune_runs(config_with(1, std::nullopt), files, kNow, current);
  CHECK(result.pruned.empty());
  REQUIRE(result.errors.size() == 1);
  CHECK_THAT(result.errors[0], Catch::Contains("Permission denied"));
  CHECK(files.exists("/r/logs/reports/pipeline_report_20250101_000000_"_abs + old + ".json"));
}

TEST_CASE("a clock that jumped past keep_days prunes nothing by age, and says so", "[retention]") {
  FakeFileSystem files;
  std::string a = add_run(files, 400), b = add_run(files, 399);
  std::string current = add_run(files, 0);  // a year later by the clock: a jump, or a long stop
  auto result = prune_runs(config_with(30, std::nullopt), files, kNow, current);
  CHECK(result.pruned.empty());
  CHECK(has_any_record(files, a));
  CHECK(has_any_record(files, b));
  CHECK_THAT(result.age_skipped, Catch::Contains("399 days") && Catch::Contains("keep_days 30"));
  // keep_runs still applies: it does not depend on the clock.
  result = prune_runs(config_with(30, 2), files, kNow, current);
  CHECK(result.pruned == std::vector<std::string>{a});
  // A clock set back by more than keep_days is the same jump.
  FakeFileSystem back;
  std::string future = add_run(back, -100);
  std::string now_run = add_run(back, 0);
  result = prune_runs(config_with(30, std::nullopt), back, kNow, now_run);
  CHECK(result.pruned.empty());
  CHECK(has_any_record(back, future));
  CHECK_FALSE(result.age_skipped.empty());
}
