// `status`, the metrics textfile and the notifier wired into a run, on the fake machine: the
// history database cannot be opened there, so every answer comes from the reports, as it does
// on a machine whose database is damaged.
#include <catch2/catch.hpp>

#include "app/metrics_textfile.hpp"
#include "app/pipeline_status.hpp"
#include "fakes/fake_machine.hpp"

using namespace pipeline;
using namespace pipeline::testing;
using nlohmann::json;

namespace {

const std::string kConfig = kFakeConfig + R"(schedule: {every: 15m}
metrics: {textfile: "${state}/pipeline.prom"}
notify:
  webhook: {url: "https://hooks.example.org/x"}
)";

json status_json(FakeMachine& m, int expected_exit) {
  m.out.str("");
  CHECK(m.cli({"status", "--json"}) == expected_exit);
  return json::parse(m.out.str());
}

std::string metrics(const FakeMachine& m) {
  return m.files.read_file(m.dir / "state" / "pipeline.prom");
}

}  // namespace

TEST_CASE("status: healthy, failing, stale, with the exit codes of each", "[app][status]") {
  FakeMachine m(kConfig);
  json s = status_json(m, 2);  // no run on record: nothing ran in 3 x 15m
  CHECK(s["status"] == "stale");
  CHECK(s["last_run"].is_null());

  CHECK(m.cli({"--run-once", "-q"}) == 0);
  s = status_json(m, 0);
  CHECK(s["status"] == "healthy");
  CHECK(s["last_run"]["status"] == "success");
  CHECK(s["last_success"]["run_id"] == s["last_run"]["run_id"]);
  CHECK(s["streak"]["failed_runs"] == 0);
  CHECK(s["schedule"]["every_ms"] == 900'000);

  m.supervisor.script("extract", {FakeSupervisor::exited(5)});
  m.clock.advance(std::chrono::minutes(15));
  CHECK(m.cli({"--run-once", "-q"}) == 1);  // extract fails, load runs: partial
  m.clock.advance(std::chrono::minutes(15));
  CHECK(m.cli({"--run-once", "-q"}) == 1);
  s = status_json(m, 1);
  CHECK(s["status"] == "failing");
  CHECK(s["streak"]["failed_runs"] == 2);
  REQUIRE(s["failing_stages"].size() >= 1);
  CHECK(s["failing_stages"][0]["name"] == "extract");
  CHECK(s["failing_stages"][0]["reason"] == "exit 5");

  m.out.str("");
  CHECK(m.cli({"status"}) == 1);
  CHECK_THAT(m.out.str(), Catch::Contains("pipeline fake: FAILING since") &&
                              Catch::Contains("(2 failed runs)") &&
                              Catch::Contains("extract: failed, exit 5"));

  m.clock.advance(std::chrono::minutes(46));  // past 3 x 15m since the last run started
  s = status_json(m, 2);
  CHECK(s["status"] == "stale");
  CHECK(s["streak"]["failed_runs"] == 2);
  m.out.str("");
  CHECK(m.cli({"status"}) == 2);
  CHECK_THAT(m.out.str(), Catch::Contains("STALE: no run for 46m") &&
                              Catch::Contains("(runs are due every 15m); and failing"));
}

TEST_CASE("each run rewrites the metrics file from the same facts as status", "[app][status]") {
  FakeMachine m(kConfig);
  m.supervisor.script("load", {FakeSupervisor::exited(1), FakeSupervisor::exited(0)});
  CHECK(m.cli({"--run-once", "-q"}) == 1);  // partial
  std::string text = metrics(m);
  CHECK_THAT(text, Catch::Contains("pipeline_runner_failure_streak_runs{pipeline=\"fake\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("pipeline_runner_healthy{pipeline=\"fake\"} 0\n"));
  CHECK_THAT(
      text,
      Catch::Contains(
          "pipeline_runner_stage_status{pipeline=\"fake\",stage=\"load\",status=\"failed\"} 1\n"));
  CHECK_THAT(text, Catch::Contains(
                       "pipeline_runner_runs_total{pipeline=\"fake\",status=\"partial\"} 1\n"));
  CHECK(text.find("pipeline_runner_last_success_timestamp_seconds") == std::string::npos);

  m.clock.advance(std::chrono::minutes(15));
  CHECK(m.cli({"--run-once", "-q"}) == 0);
  text = metrics(m);
  CHECK_THAT(text, Catch::Contains("pipeline_runner_healthy{pipeline=\"fake\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("pipeline_runner_stage_status{pipeline=\"fake\",stage=\"load\","
                                   "status=\"succeeded\"} 1\n"));
  json s = status_json(m, 0);
  CHECK_THAT(text,
             Catch::Contains("pipeline_runner_last_success_timestamp_seconds{pipeline=\"fake\"} "));
  // The recovery went to the webhook, after the failure of the first run.
  std::vector<std::string> told;
  for (const auto& h : m.transports.transport->http) told.push_back(json::parse(h.body)["event"]);
  CHECK(told == std::vector<std::string>{"failure", "recovery"});
}

TEST_CASE("metrics text: the exposition format, labels escaped", "[app][status]") {
  CHECK(prometheus_label("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  Config config;
  config.stages.push_back({});
  config.stages[0].name = "extract";
  PipelineStatus s;
  s.pipeline = "sales.eu";
  RunSummary last;
  last.run_id = "r1";
  last.status = "failure";
  last.started_at = "2026-11-01T10:00:00.000+00:00";
  last.duration_ms = 61'250;
  s.health.last = last;
  s.health.streak_failed = 1;
  s.verdict = Verdict::kFailing;
  s.batches = std::map<std::string, std::size_t>{{"failed", 2}, {"ready", 1}};
  const std::string text = metrics_text(s, config, {{"failure", 7}});
  CHECK(
      text ==
      "# HELP pipeline_runner_last_run_timestamp_seconds When the last run finished (Unix time).\n"
      "# TYPE pipeline_runner_last_run_timestamp_seconds gauge\n"
      "pipeline_runner_last_run_timestamp_seconds{pipeline=\"sales.eu\"} 1793527261.250\n"
      "# HELP pipeline_runner_run_duration_seconds How long the last run took.\n"
      "# TYPE pipeline_runner_run_duration_seconds gauge\n"
      "pipeline_runner_run_duration_seconds{pipeline=\"sales.eu\"} 61.250\n"
      "# HELP pipeline_runner_runs_total Runs by status, since the state store began.\n"
      "# TYPE pipeline_runner_runs_total counter\n"
      "pipeline_runner_runs_total{pipeline=\"sales.eu\",status=\"success\"} 0\n"
      "pipeline_runner_runs_total{pipeline=\"sales.eu\",status=\"partial\"} 0\n"
      "pipeline_runner_runs_total{pipeline=\"sales.eu\",status=\"failure\"} 7\n"
      "pipeline_runner_runs_total{pipeline=\"sales.eu\",status=\"idle\"} 0\n"
      "pipeline_runner_runs_total{pipeline=\"sales.eu\",status=\"aborted\"} 0\n"
      "pipeline_runner_runs_total{pipeline=\"sales.eu\",status=\"error\"} 0\n"
      "# HELP pipeline_runner_failure_streak_runs Failing runs since the last success (0: not "
      "failing).\n"
      "# TYPE pipeline_runner_failure_streak_runs gauge\n"
      "pipeline_runner_failure_streak_runs{pipeline=\"sales.eu\"} 1\n"
      "# HELP pipeline_runner_healthy 1 when `pipeline_runner status` says healthy (neither "
      "failing nor stale).\n"
      "# TYPE pipeline_runner_healthy gauge\n"
      "pipeline_runner_healthy{pipeline=\"sales.eu\"} 0\n"
      "# HELP pipeline_runner_batches Batches by state: ready and processing in the hot folder, "
      "failed in error/, archived.\n"
      "# TYPE pipeline_runner_batches gauge\n"
      "pipeline_runner_batches{pipeline=\"sales.eu\",state=\"failed\"} 2\n"
      "pipeline_runner_batches{pipeline=\"sales.eu\",state=\"ready\"} 1\n");
}

TEST_CASE("metrics text: a foreach stage's items by outcome and its quarantined inputs",
          "[app][status][foreach]") {
  Config config;
  config.stages.resize(2);
  config.stages[0].name = "each";
  config.stages[0].per_input = true;
  config.stages[0].quarantine = QuarantineConfig{};
  config.stages[1].name = "merge";
  PipelineStatus s;
  s.pipeline = "p";
  RunReport last;
  for (StageStatus st : {StageStatus::kSucceeded, StageStatus::kFailed, StageStatus::kSucceeded,
                         StageStatus::kHung}) {
    StageRecord rec;
    rec.name = "each";
    rec.status = st;
    rec.item = ItemRef{last.stages.size() + 1, "in/x.csv"};
    last.stages.push_back(rec);
  }
  last.quarantined.push_back({"each", "in/a.csv", "q/a.csv", 3, {}, "exit 3", "quarantined", ""});
  last.quarantined.push_back({"each", "in/b.csv", "", 3, {}, "exit 3", "failed", "disk full"});
  s.last_report = last;
  const std::string text = metrics_text(s, config, {});
  CHECK_THAT(text,
             Catch::Contains("pipeline_runner_stage_items{pipeline=\"p\",stage=\"each\",outcome="
                             "\"succeeded\"} 2\n"
                             "pipeline_runner_stage_items{pipeline=\"p\",stage=\"each\",outcome="
                             "\"failed\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("pipeline_runner_inputs_quarantined{pipeline=\"p\",stage="
                                   "\"each\"} 1\n"));
  CHECK_THAT(text, !Catch::Contains("stage=\"merge\",outcome"));
  config.stages[0].per_input = false;
  CHECK_THAT(metrics_text(s, config, {}), !Catch::Contains("pipeline_runner_stage_items{"));
}
