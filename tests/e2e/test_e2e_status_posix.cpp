// `status`, the metrics textfile and `audit list` tell the same truth about the same runs,
// and the textfile is one Prometheus's own promtool accepts.
#include <catch2/catch.hpp>

#include "support/e2e_posix.hpp"

using namespace pipeline::testing;

namespace {

void status_project(Project& p) {
  p.config(R"yaml(stages:
  - name: extract
    command: ["sh", "-c", "echo 'extract: feed unreachable' >&2; exit $$(cat outcome)"]
    cwd: "${root}"
  - name: load
    command: ["sh", "-c", "echo 'done: 1'"]
    when: {after: [extract]}
    progress: "done: (\\d+)"
schedule: {every: 15m}
metrics: {textfile: "${state}/node/pipeline.prom"}
)yaml");
}

// A value of the textfile: the sample line that starts with `series`.
std::string sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return line.substr(series.size() + 1);
  }
  return "(absent)";
}

}  // namespace

TEST_CASE("e2e: status, the metrics file and audit list agree, run after run", "[e2e][status]") {
  Project p;
  status_project(p);
  const std::string prom = (p.home() / "state" / "node" / "pipeline.prom").string();
  const std::string pl = "{pipeline=\"e2e\"";
  std::map<std::string, int> runs;
  for (int outcome : {0, 4, 4, 0, 4}) {
    write_file(p.home() / "outcome", std::to_string(outcome) + "\n");
    p.run("--run-once -q");
    json list = json::parse(p.run("audit list --json --limit 100").out);
    json status = json::parse(p.run("status --json").out);
    const std::string text = slurp(prom);
    ++runs[list[0]["status"].get<std::string>()];

    // The last run: the same in all three.
    CHECK(status["last_run"] == list[0]);
    json report = p.latest_report();
    CHECK(report["run_id"] == list[0]["run_id"]);
    // When it ended: its start plus its duration (on the monotonic clock, SPEC 14).
    auto started = pipeline::parse_rfc3339(report["started_at"].get<std::string>());
    REQUIRE(started);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(started->time_since_epoch()).count() +
        report["duration_ms"].get<std::int64_t>();
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%lld.%03lld", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000));
    CHECK(sample(text, "pipeline_runner_last_run_timestamp_seconds" + pl + "}") == stamp);

    // The streak: the failing runs since the newest success in the list.
    int streak = 0;
    for (const auto& run : list) {
      if (run["status"] == "success") break;
      ++streak;
    }
    CHECK(status["streak"]["failed_runs"] == streak);
    CHECK(sample(text, "pipeline_runner_failure_streak_runs" + pl + "}") == std::to_string(streak));
    CHECK(status["status"] == (streak > 0 ? "failing" : "healthy"));
    CHECK(p.run("status").exit_code == (streak > 0 ? 1 : 0));
    CHECK(sample(text, "pipeline_runner_healthy" + pl + "}") == (streak > 0 ? "0" : "1"));

    // Runs by status: counted as audit list counts them.
    for (const char* st : {"success", "partial", "failure"}) {
      CHECK(sample(text, "pipeline_runner_runs_total" + pl + ",status=\"" + st + "\"}") ==
            std::to_string(runs[st]));
      CHECK(status["runs_by_status"].value(st, 0) == runs[st]);
    }
    CHECK(sample(text, "pipeline_runner_stage_status" + pl + ",stage=\"extract\",status=\"" +
                           (outcome == 0 ? "succeeded" : "failed") + "\"}") == "1");

    // promtool, Prometheus's own checker, takes the file as it is (no lint complaint).
    auto [rc, said] = promtool_check(prom);
    INFO("promtool: " << said);
    CHECK(rc == 0);
    CHECK(said.empty());
  }
  CHECK(runs["success"] == 2);
  CHECK(runs["failure"] == 3);
  CHECK(runs["partial"] == 0);
}

TEST_CASE("e2e: the run counters only grow, whatever retention prunes", "[e2e][status]") {
  Project p;
  status_project(p);
  std::string cfg = slurp(p.config_path());
  write_file(p.config_path(), cfg + "retention: {keep_runs: 2}\n");
  write_file(p.home() / "outcome", "0\n");
  for (int i = 0; i < 4; ++i) p.run("--run-once -q");
  json list = json::parse(p.run("audit list --json").out);
  CHECK(list.size() == 2);
  const std::string text = slurp(p.home() / "state" / "node" / "pipeline.prom");
  CHECK(sample(text, "pipeline_runner_runs_total{pipeline=\"e2e\",status=\"success\"}") == "4");
}

TEST_CASE("e2e: a metrics file that cannot be written is a warning, not a failed run",
          "[e2e][status]") {
  Project p;
  status_project(p);
  // A file where the metrics folder should be.
  write_file(p.home() / "state" / "node", "not a folder");
  write_file(p.home() / "outcome", "0\n");
  Result r = p.run("--run-once -q");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("pipeline.prom is not written"));
  json report = p.latest_report();
  bool warned = false;
  for (const auto& e : p.events_of(report["run_id"])) {
    warned = warned || e["event"] == "pipeline.warning";
  }
  CHECK(warned);
}
