// The built binary run the way cron runs it: `env -i`, cwd /, an absolute config path; then
// the events, the report, the lifecycle and the exit codes are checked on real folders.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "fakes/fake_clock.hpp"
#include "run_lock.hpp"
#include "temp_dir.hpp"

using namespace pipeline;
using namespace pipeline::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Result {
  int exit_code;
  std::string out;
  std::string err;
};

/// A project folder with a config; runs the binary as cron would.
struct Project {
  TempDir dir;

  void config(const std::string& stages_yaml) {
    write_file(dir / "config" / "pipeline.yaml",
               "version: 1\npipeline: e2e\nroot: ..\n"
               "paths: {raw: data/raw, processed: data/processed, analysis: data/analysis,\n"
               "        merged: data/merged, archive: data/archive}\n"
               "defaults: {grace: 500ms}\n" +
                   stages_yaml);
  }

  void default_pipeline() {
    std::string text = slurp(fs::path(SOURCE_DIR) / "config" / "pipeline.yaml");
    std::string from = "${root}/build/stages/";
    for (std::size_t p; (p = text.find(from)) != std::string::npos;) {
      text.replace(p, from.size(), std::string(STAGES_DIR) + "/");
    }
    write_file(dir / "config" / "pipeline.yaml", text);
    for (const auto& e : fs::directory_iterator(fs::path(SOURCE_DIR) / "sample_data" / "raw")) {
      write_file(dir / "data" / "raw" / e.path().filename(), slurp(e.path()));
    }
  }

  fs::path config_path() const { return dir / "config" / "pipeline.yaml"; }

  Result run(const std::string& args) {
    fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
    std::string cmd = "cd / && env -i " + quote(PIPELINE_RUNNER_PATH) + " " + args + " -c " +
                      quote(config_path().string()) + " >" + quote(out.string()) + " 2>" +
                      quote(err.string());
    int status = std::system(cmd.c_str());
    REQUIRE(WIFEXITED(status));
    return {WEXITSTATUS(status), slurp(out), slurp(err)};
  }

  std::vector<fs::path> files_in(const fs::path& folder) const {
    std::vector<fs::path> out;
    if (!fs::exists(dir / folder)) return out;
    for (const auto& e : fs::directory_iterator(dir / folder)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  json latest_report() const {
    auto reports = files_in("logs/reports");
    REQUIRE_FALSE(reports.empty());
    return json::parse(slurp(reports.back()));
  }

  std::vector<json> events_of(const std::string& run_id) const {
    std::vector<json> out;
    std::istringstream lines(slurp(dir / "logs" / "events" / ("pipeline_" + run_id + ".jsonl")));
    for (std::string line; std::getline(lines, line);) out.push_back(json::parse(line));
    return out;
  }
};

const json& stage(const json& report, const std::string& name) {
  for (const auto& s : report["stages"]) {
    if (s["name"] == name) return s;
  }
  FAIL("no stage " << name);
  throw;
}

std::string misbehave(const std::string& args) {
  return "[\"" + std::string(MISBEHAVE_PATH) + "\", " + args + "]";
}

}  // namespace

TEST_CASE("e2e: the default pipeline on the sample data - then an idle run", "[e2e]") {
  Project p;
  p.default_pipeline();
  auto first = p.run("--run-once -q");
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  json report = p.latest_report();
  CHECK(report["schema"] == "pipeline_runner.report/1");
  CHECK(report["status"] == "success");
  CHECK(report["config"]["path"] == p.config_path().string());
  for (const char* s : {"translator", "analyzer", "merger"}) {
    CHECK(stage(report, s)["status"] == "succeeded");
  }
  CHECK(stage(report, "translator")["inputs_count"] == 6);
  CHECK(stage(report, "translator")["metrics"]["items_done"] == 3);
  CHECK(stage(report, "analyzer")["inputs"] ==
        json({"data/processed/EURUSD.csv", "data/processed/GBPUSD.csv",
              "data/processed/USDJPY.csv"}));
  // lifecycle: raw deleted after translator, processed moved after analyzer + merger
  CHECK(p.files_in("data/raw").empty());
  CHECK(p.files_in("data/processed").empty());
  CHECK(report["lifecycle"].size() == 9);
  for (const auto& l : report["lifecycle"]) CHECK(l["result"].get<std::string>() != "failed");
  CHECK(p.files_in("data/archive").size() == 1);
  std::string merged = slurp(p.dir / "data" / "analyzer_runs" / "merged" / "breakouts.csv");
  CHECK(merged.rfind("instrument,date,direction,close,channel_high,channel_low\n", 0) == 0);
  CHECK(std::count(merged.begin(), merged.end(), '\n') > 3);

  auto events = p.events_of(report["run_id"]);
  REQUIRE(events.size() > 10);
  CHECK(events.front()["event"] == "pipeline.start");
  CHECK(events.back()["event"] == "pipeline.success");
  for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i]["seq"] == i + 1);

  auto second = p.run("--run-once -q");
  CHECK(second.exit_code == 0);
  json idle = p.latest_report();
  CHECK(idle["status"] == "idle");
  CHECK(idle["run_id"] != report["run_id"]);
  CHECK(p.events_of(idle["run_id"]).back()["event"] == "pipeline.idle");

  auto list = p.run("audit list --json");
  CHECK(list.exit_code == 0);
  auto runs = json::parse(list.out);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0]["status"] == "idle");  // newest first
  auto show = p.run("audit show " + report["run_id"].get<std::string>().substr(0, 30));
  CHECK(show.exit_code == 0);
  CHECK_THAT(show.out, Catch::Contains("status: success (exit 0)"));
}

TEST_CASE("e2e: bad data fails the stage - keeps its inputs - and shows why", "[e2e]") {
  Project p;
  p.default_pipeline();
  write_file(p.dir / "data" / "raw" / "BAD_1.csv",
             "timestamp,price,volume\n"
             "2025-01-06T09:30:00Z,abc,100\n");
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 2);  // translator failed, nothing else could run on its output
  json report = p.latest_report();
  CHECK(report["status"] == "failure");
  CHECK(stage(report, "translator")["attempts"][0]["exit_code"] == 65);
  CHECK(p.files_in("data/raw").size() == 7);  // nothing deleted
  auto show = p.run("audit show latest");
  CHECK_THAT(show.out, Catch::Contains("BAD_1.csv:2: price 'abc' is not a number"));
}

TEST_CASE("e2e: partial and failed runs exit 1 and 2 - tails and logs are recorded", "[e2e]") {
  Project p;
  p.config("stages:\n  - name: good\n    command: " + misbehave("\"--print\", \"fine\"") +
           "\n  - name: bad\n    command: " +
           misbehave("\"--eprint\", \"it broke\", \"--exit\", \"3\"") + "\n");
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 1);
  json report = p.latest_report();
  CHECK(report["status"] == "partial");
  const json& attempt = stage(report, "bad")["attempts"][0];
  CHECK(attempt["exit_code"] == 3);
  CHECK(attempt["stderr_tail"] == json({"it broke"}));
  CHECK(slurp(p.dir / attempt["stderr_log"].get<std::string>()) == "it broke\n");

  auto only_bad = p.run("--run-once -q --stage bad");
  CHECK(only_bad.exit_code == 2);
  CHECK(p.latest_report()["status"] == "failure");
}

TEST_CASE("e2e: a hung stage is reported as hung and killed", "[e2e]") {
  Project p;
  p.config("stages:\n  - name: stuck\n    hang_timeout: 300ms\n    command: " +
           misbehave("\"--print\", \"one\", \"--sleep\", \"60000\"") + "\n");
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 2);
  json report = p.latest_report();
  CHECK(stage(report, "stuck")["status"] == "hung");
  CHECK(stage(report, "stuck")["attempts"][0]["hung"] == true);
  auto events = p.events_of(report["run_id"]);
  bool hang_event = false;
  for (const auto& e : events) hang_event = hang_event || e["event"] == "stuck.hang";
  CHECK(hang_event);
}

TEST_CASE("e2e: a bad config exits 4 with its position and changes nothing", "[e2e]") {
  Project p;
  p.config("stages:\n  - name: a\n    command: [x]\n    timeout: 30\n");
  auto r = p.run("--run-once");
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, Catch::Contains(p.config_path().string() + ":10:14: timeout '30' is not a "
                                                               "duration"));
  CHECK_FALSE(fs::exists(p.dir / "logs"));
  CHECK_FALSE(fs::exists(p.dir / "state"));
  CHECK(p.run("config check").exit_code == 4);
}

TEST_CASE("e2e: a second run while the lock is held exits 5 and only records that", "[e2e]") {
  Project p;
  p.config("stages:\n  - name: a\n    command: " + misbehave("\"--print\", \"x\"") + "\n");
  fs::create_directories(p.dir / "state");
  FakeClock clock;
  FileRunLock held(p.dir / "state" / "runner.lock");
  REQUIRE(held.acquire(Millis(0), clock, R"({"pid":4242,"host":"h","run_id":"r0"})"));
  auto r = p.run("--run-once");
  CHECK(r.exit_code == 5);
  CHECK_THAT(r.err, Catch::Contains("another run holds"));
  CHECK_THAT(r.err, Catch::Contains("pid 4242"));
  CHECK(p.files_in("logs/reports").empty());
  auto events = p.files_in("logs/events");
  REQUIRE(events.size() == 1);
  auto e = json::parse(slurp(events[0]));
  CHECK(e["event"] == "pipeline.skipped");
  held.release();
  CHECK(p.run("--run-once -q").exit_code == 0);
}

TEST_CASE("e2e: --dry-run and plan change nothing", "[e2e]") {
  Project p;
  p.default_pipeline();
  auto dry = p.run("--run-once --dry-run");
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.out, Catch::Contains("translator  run   6 files match data/raw/*.csv"));
  auto plan = p.run("plan --json");
  CHECK(plan.exit_code == 0);
  CHECK(json::parse(plan.out)["stages"][0]["inputs_count"] == 6);
  CHECK(p.files_in("data/raw").size() == 6);
  CHECK_FALSE(fs::exists(p.dir / "logs"));
  CHECK_FALSE(fs::exists(p.dir / "state"));
}

TEST_CASE("e2e: bad input to the audit commands exits 4", "[e2e]") {
  Project p;
  p.config("stages:\n  - name: a\n    command: " + misbehave("\"--print\", \"x\"") + "\n");
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  auto traversal = p.run("audit show ../../etc/passwd");
  CHECK(traversal.exit_code == 4);
  CHECK_THAT(traversal.err, Catch::Contains("is not a run id"));
  CHECK(p.run("audit show 00000000").exit_code == 4);
  CHECK(p.run("audit list --status nonsense").exit_code == 4);
  CHECK(p.run("--run-once --stage nope").exit_code == 4);
  CHECK(p.run("--bogus-flag").exit_code == 4);
  CHECK(p.run("audit show latest --json").exit_code == 0);
}

TEST_CASE("e2e: SIGTERM to the runner stops the stage and ends the run aborted", "[e2e]") {
  Project p;
  p.config("stages:\n  - name: long\n    command: " + misbehave("\"--sleep\", \"60000\"") +
           "\n  - name: after\n    command: " + misbehave("\"--print\", \"x\"") + "\n");
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::chdir("/");
    const char* argv[] = {PIPELINE_RUNNER_PATH, "--run-once", "-q", "-c", nullptr, nullptr};
    std::string cfg = p.config_path().string();
    argv[4] = cfg.c_str();
    char* envp[] = {nullptr};
    ::execve(PIPELINE_RUNNER_PATH, const_cast<char**>(argv), envp);
    ::_exit(127);
  }
  // Wait (bounded) until the stage has started, as its event says, then stop the runner.
  bool started = false;
  for (int i = 0; i < 2000 && !started; ++i) {
    for (const auto& f : p.files_in("logs/events")) {
      started = started || slurp(f).find("\"long.start\"") != std::string::npos;
    }
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(started);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 143);
  json report = p.latest_report();
  CHECK(report["status"] == "aborted");
  CHECK(report["exit_code"] == 143);
  CHECK(stage(report, "long")["attempts"][0]["signal"] == SIGTERM);
  CHECK(stage(report, "after")["status"] == "not_started");
}
