#include <catch2/catch.hpp>

#include "fakes/fake_file_system.hpp"
#include "records/audit_reporter.hpp"
#include "records/audit_store.hpp"
#include "records/report_json.hpp"
#include "support/abs_path.hpp"
#include "util/error.hpp"

using namespace pipeline;
using pipeline::testing::FakeFileSystem;

namespace {

RunReport make_report(const std::string& id, RunStatus status) {
  RunReport r;
  r.run_id = id;
  r.pipeline = "p";
  r.status = status;
  r.exit_code = exit_code_for(status);
  r.started_at = TimePoint(std::chrono::hours(24 * 20000));
  r.finished_at = r.started_at + std::chrono::milliseconds(1500);
  StageRecord s;
  s.name = "translator";
  s.status = status == RunStatus::kFailure ? StageStatus::kFailed : StageStatus::kSucceeded;
  s.decision = {true, "1 file matches raw/*.csv", {}};
  AttemptRecord a;
  a.exit_code = status == RunStatus::kFailure ? 2 : 0;
  a.stderr_tail = {"raw/a.csv:3: price 'x' is not a number"};
  a.stdout_log = "logs/stages/x/translator.stdout.log";
  s.attempts.push_back(a);
  r.stages.push_back(s);
  return r;
}

const std::string kOld = "018bcfe5-6800-7000-8000-000000000001";
const std::string kNew = "018bcfe5-7000-7000-8000-000000000002";

}  // namespace

TEST_CASE("reports are written atomically under a stamped name and found again", "[audit]") {
  FakeFileSystem files;
  AuditReporter reporter(files, RecordLayout("/l"_abs, "/s"));
  auto p = reporter.write(make_report(kOld, RunStatus::kSuccess));
  CHECK(p.filename().string().rfind("pipeline_report_", 0) == 0);
  CHECK(p.filename().string().find("_" + kOld + ".json") != std::string::npos);
  reporter.write(make_report(kNew, RunStatus::kFailure));
  files.add_file("/l/reports/unrelated.json"_abs);

  AuditStore store(files, "/l/reports"_abs);
  auto all = store.list();
  REQUIRE(all.size() == 2);
  CHECK(all[0].run_id == kNew);  // newest first
  CHECK(store.resolve("latest").run_id == kNew);
  CHECK(store.resolve(kOld).run_id == kOld);
  CHECK(store.resolve("018bcfe5-68").run_id == kOld);
  auto j = store.read_json(store.resolve(kNew));
  CHECK(j["schema"] == kReportSchema);
  CHECK(j["duration_ms"] == 1500);
  RunReport r = store.load(store.resolve(kNew));  // the same file, typed
  CHECK(r.status == RunStatus::kFailure);
  CHECK(r.runner_version == kRunnerVersion);
  CHECK(r.stages[0].attempts[0].exit_code == 2);
}

TEST_CASE("bad run references are clear errors", "[audit]") {
  FakeFileSystem files;
  AuditStore empty(files, "/l/reports"_abs);
  CHECK_THROWS_WITH(empty.resolve("latest"), Catch::Contains("no runs on record"));
  AuditReporter reporter(files, RecordLayout("/l"_abs, "/s"));
  reporter.write(make_report(kOld, RunStatus::kSuccess));
  reporter.write(make_report(kNew, RunStatus::kSuccess));
  AuditStore store(files, "/l/reports"_abs);
  CHECK_THROWS_AS(store.resolve("../../etc/passwd"), UsageError);
  CHECK_THROWS_WITH(store.resolve("../../etc/passwd"), Catch::Contains("is not a run id"));
  CHECK_THROWS_WITH(store.resolve("018bcfe5"), Catch::Contains("matches 2 runs"));
  CHECK_THROWS_WITH(store.resolve("0000"), Catch::Contains("no run with id 0000"));
}

TEST_CASE("audit show names status - decisions - attempts and failing tails", "[audit]") {
  auto text = render_report(make_report(kNew, RunStatus::kFailure));
  CHECK_THAT(text, Catch::Contains("status: failure (exit 2)"));
  CHECK_THAT(text, Catch::Contains("translator: failed — 1 file matches raw/*.csv"));
  CHECK_THAT(text, Catch::Contains("attempt 1: exit 2"));
  CHECK_THAT(text, Catch::Contains("| raw/a.csv:3: price 'x' is not a number"));
  CHECK_THAT(text, Catch::Contains("logs/stages/x/translator.stdout.log"));
  CHECK_THAT(text, Catch::Contains("took 1.500s"));
  auto ok = render_report(make_report(kOld, RunStatus::kSuccess));
  CHECK_THAT(ok, !Catch::Contains("| raw/a.csv"));  // tails only for failing stages
}

TEST_CASE("audit show counts the lifecycle records a report does not list - and says where",
          "[audit]") {
  RunReport r = make_report(kNew, RunStatus::kSuccess);
  r.lifecycle = {{"delete", "raw/a.csv", "", "deleted", ""}};
  r.lifecycle_summary = {3, {{"changed", 1}, {"deleted", 2}}, "logs/stages/x/lifecycle.jsonl"};
  auto text = render_report(r);
  CHECK_THAT(text, Catch::Contains("delete raw/a.csv: deleted"));
  CHECK_THAT(text, Catch::Contains("... 2 more, 3 in all: 1 changed 2 deleted; every one in "
                                   "logs/stages/x/lifecycle.jsonl"));
  r.lifecycle_summary.count = 1;  // all listed: nothing more to say
  CHECK_THAT(render_report(r), !Catch::Contains("more"));
}

TEST_CASE("a report that is JSON but not a report is named damaged - field and file", "[audit]") {
  FakeFileSystem files;
  AuditReporter reporter(files, RecordLayout("/l"_abs, "/s"));
  auto path = reporter.write(make_report(kNew, RunStatus::kFailure));
  AuditStore store(files, "/l/reports"_abs);
  auto j = store.read_json(store.resolve(kNew));
  j["stages"][0]["attempts"][0]["exit_code"] = "2";
  files.add_file(path, j.dump());
  CHECK_THROWS_WITH(store.load(store.resolve(kNew)),
                    Catch::Contains(path.generic_string() + " is damaged") &&
                        Catch::Contains("stages[0].attempts[0].exit_code"));
  CHECK(store.read_json(store.resolve(kNew)) == j);  // still shown as it is with --json
  files.add_file(path, "{\"run_id\": ");
  CHECK_THROWS_WITH(store.read_json(store.resolve(kNew)), Catch::Contains("is damaged"));
}
