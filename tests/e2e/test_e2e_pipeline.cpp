// The built binary run the way cron runs it: an empty environment, cwd /, an absolute config
// path; then the events, the report, the lifecycle and the exit codes are checked on real
// folders. On every platform (the Windows lane runs these under wine); what needs signals or
// fork is in test_e2e_pipeline_posix.cpp.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "fakes/fake_clock.hpp"
#include "platform/file_run_lock.hpp"
#include "support/e2e_project.hpp"
#include "support/process_probe.hpp"
#include "support/temp_dir.hpp"
#include "util/paths.hpp"
#include "util/time_format.hpp"

using namespace pipeline;
using namespace pipeline::testing;
namespace fs = std::filesystem;
using nlohmann::json;

TEST_CASE("e2e: the default pipeline on the sample data - then an idle run", "[e2e]") {
  Project p;
  p.default_pipeline();
  auto first = p.run("--run-once -q");
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  json report = p.latest_report();
  CHECK(report["schema"] == "pipeline_runner.report/1");
  CHECK(report["status"] == "success");
  CHECK(report["config"]["path"] == p.config_path().generic_string());
  for (const char* s : {"translator", "analyzer", "merger"}) {
    CHECK(stage(report, s)["status"] == "succeeded");
  }
  CHECK(stage(report, "translator")["inputs_count"] == 6);
  CHECK(stage(report, "translator")["metrics"]["items_done"] == 3);
  // The analyzer runs once per instrument (foreach: input), three at once.
  json analyzed = json::array();
  for (const auto& s : report["stages"]) {
    if (s["name"] != "analyzer") continue;
    CHECK(s["status"] == "succeeded");
    CHECK(s["item"]["index"] == analyzed.size() + 1);
    analyzed.push_back(s["item"]["input"]);
  }
  CHECK(analyzed == json({"data/processed/EURUSD.csv", "data/processed/GBPUSD.csv",
                          "data/processed/USDJPY.csv"}));
  // lifecycle: raw deleted after translator, processed moved after analyzer + merger
  CHECK(p.files_in("data/raw").empty());
  CHECK(p.files_in("data/processed").empty());
  CHECK(report["lifecycle"].size() == 9);
  for (const auto& l : report["lifecycle"]) CHECK(l["result"].get<std::string>() != "failed");
  CHECK(p.files_in("data/archive").size() == 1);
  std::string merged = slurp(p.dir / "data" / "analyzer_runs" / "merged" / "breakouts.csv");
  CHECK(merged.rfind("instrument,date,direction,close,channel_high,channel_low,close_usd\n", 0) ==
        0);
  CHECK(std::count(merged.begin(), merged.end(), '\n') > 3);

  auto events = p.events_of(report["run_id"]);
  REQUIRE(events.size() > 10);
  CHECK(events.front()["event"] == "pipeline.start");
  CHECK(events.back()["event"] == "pipeline.success");
  for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i]["seq"] == i + 1);
  // The human log (SPEC 6) is made from the same events; -q quietens stderr, not the file.
  const std::string id = report["run_id"];
  std::string log_text;
  for (const auto& f : fs::directory_iterator(p.dir / "logs")) {
    if (f.path().extension() == ".log" &&
        f.path().filename().string().find(id) != std::string::npos)
      log_text = slurp(f.path());
  }
  CHECK_THAT(log_text, Catch::Contains("info  run " + id + " of "));
  CHECK_THAT(log_text, Catch::Contains("translator: runs (") &&
                           Catch::Contains("lifecycle: delete data/raw/") &&
                           Catch::Contains("finished: success (exit 0, "));
  CHECK(first.err.empty());

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

TEST_CASE("e2e: names outside ASCII - the project's folder, its inputs, the -c path - stay intact",
          "[e2e]") {
  Project p;
  p.sub = fs::path(u8"Donn\u00E9es \u6570\u636E");  // Latin-1 and beyond: é, 数据
  p.config("stages:\n  - name: take\n    command: " +
           misbehave("\"--print-args\", \"--\", \"${inputs}\"") +
           "\n    when: {files: \"${paths.raw}/*.csv\"}\n"
           "lifecycle:\n  - move: take.inputs\n    to: \"${paths.archive}\"\n"
           "    when_succeeded: [take]\n");
  const std::vector<std::u8string> names = {u8"caf\u00E9.csv", u8"\u6570\u636E.csv", u8"plain.csv"};
  for (const auto& n : names) write_file(p.home() / "data" / "raw" / fs::path(n), "x\n");
  auto r = p.run("--run-once -q");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json report = p.latest_report();
  CHECK(report["config"]["path"] == path_text(p.config_path()));
  const json& take = stage(report, "take");
  CHECK(take["inputs_count"] == 3);
  json expected = json::array();
  for (const auto& n : names) expected.push_back("data/raw/" + std::string(n.begin(), n.end()));
  std::sort(expected.begin(), expected.end());
  CHECK(take["inputs"] == expected);
  for (const auto& n : names) {  // each moved, none reported missing
    CHECK(fs::exists(p.home() / "data" / "archive" / fs::path(n)));
    CHECK_FALSE(fs::exists(p.home() / "data" / "raw" / fs::path(n)));
  }
  CHECK_THAT(slurp(p.files_in("logs/events").at(0)), !Catch::Contains("missing"));
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

TEST_CASE("e2e: each step of the stop ladder is an event with its reason", "[e2e]") {
  Project p;
  p.config("stages:\n  - name: stuck\n    hang_timeout: 300ms\n    grace: 300ms\n    command: " +
           misbehave("\"--ignore-term\", \"--print\", \"one\", \"--sleep\", \"60000\"") + "\n");
  CHECK(p.run("--run-once -q").exit_code == 2);
  json report = p.latest_report();
  std::vector<std::string> names;
  for (const auto& e : p.events_of(report["run_id"])) {
    const std::string name = e["event"];
    if (name == "stuck.terminate" || name == "stuck.kill")
      CHECK(e["data"]["reason"] == "no output");
    if (name.rfind("stuck.", 0) == 0) names.push_back(name);
  }
  // In the order they happened: the ladder's two steps, then the verdict.
  CHECK(names == std::vector<std::string>{"stuck.decision", "stuck.start", "stuck.terminate",
                                          "stuck.kill", "stuck.hang", "stuck.metric"});
}

TEST_CASE("e2e: a bad config exits 4 with its position and changes nothing", "[e2e]") {
  Project p;
  p.config("stages:\n  - name: a\n    command: [x]\n    timeout: 30\n");
  auto r = p.run("--run-once");
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err,
             Catch::Contains(p.config_path().generic_string() + ":10:14: timeout '30' is not a "
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
  CHECK(json::parse(plan.out)["stages"][1]["name"] == "translator");
  CHECK(json::parse(plan.out)["stages"][1]["inputs_count"] == 6);
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

TEST_CASE("e2e: broken record keeping never breaks the run", "[e2e]") {
  Project p;
  p.config("stages:\n  - name: ok\n    command: " + misbehave("\"--print\", \"x\"") +
           "\n  - name: bad\n    command: " + misbehave("\"--exit\", \"2\"") + "\n");
  // Files where the events and reports folders should be: nothing can be written there.
  write_file(p.dir / "logs" / "events", "not a folder");
  write_file(p.dir / "logs" / "reports", "not a folder");
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 1);  // partial, as the stages say
  CHECK_THAT(r.err, Catch::Contains("events are not recorded"));
  CHECK_THAT(r.err, Catch::Contains("the audit report is not written"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') <= 4);  // a few clear lines, no flood
}

TEST_CASE("e2e: stages get PYTHONUNBUFFERED=1 even when the runner's environment lacks it",
          "[e2e]") {
  Project p;
  p.config("stages:\n  - name: py\n    command: " +
           misbehave("\"--env\", \"PYTHONUNBUFFERED\", \"--env\", \"PIPELINE_STAGE\"") + "\n");
  REQUIRE(p.run("--run-once -q").exit_code == 0);  // env -i: the runner has no such variable
  json report = p.latest_report();
  CHECK(stage(report, "py")["attempts"][0]["stdout_tail"] ==
        json({"PYTHONUNBUFFERED=1", "PIPELINE_STAGE=py"}));
}

TEST_CASE("e2e: batch list and a rejected manifest", "[e2e][batch]") {
  Project p;
  p.config("stages:\n  - name: load\n    command: " + misbehave("") + "\n" + kBatchYaml);
  submit(p, "ok1");
  write_file(p.dir / "hot" / "evil_MANIFEST.json",
             R"({"batch_id": "evil", "status": "READY_FOR_PROCESSING", "files": {},
                 "raw_data": ["../../etc/passwd"]})");
  auto listed = p.run("batch list");
  CHECK_THAT(listed.out, Catch::Contains("ready      evil"));
  CHECK_THAT(listed.out, Catch::Contains("ready      ok1"));
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 1);  // partial: one batch completed, one rejected
  CHECK_THAT(slurp(p.dir / "error" / "evil" / "evil_MANIFEST.error.txt"),
             Catch::Contains("outside the root"));
  listed = p.run("batch list");
  CHECK_THAT(listed.out, Catch::Contains("archived   ok1"));
  CHECK_THAT(listed.out, Catch::Contains("failed     evil"));
  auto refused = p.run("batch submit --id ok1 --raw /etc/hostname");
  CHECK(refused.exit_code == 4);
}

TEST_CASE("e2e: the history database deleted between runs is rebuilt - audit list filters",
          "[e2e][history]") {
  Project p;
  p.config("stages:\n  - name: good\n    command: " + misbehave("") +
           "\n"
           "  - name: flaky\n    command: " +
           misbehave("\"--exit\", \"3\"") + "\n    when: {files: \"${root}/go/*\"}\n");
  CHECK(p.run("--run-once -q").exit_code == 0);
  write_file(p.dir / "go" / "x", "");
  CHECK(p.run("--run-once -q").exit_code == 1);
  REQUIRE(fs::exists(p.dir / "state" / "pipeline.db"));
  fs::remove(p.dir / "state" / "pipeline.db");
  auto third = p.run("--run-once");
  CHECK_THAT(third.err, Catch::Contains("rebuilt it from the reports: 3 runs"));
  json report = p.latest_report();
  auto events = p.events_of(report["run_id"]);
  CHECK(std::any_of(events.begin(), events.end(),
                    [](const json& e) { return e["event"] == "history.rebuilt"; }));

  auto all = p.run("audit list --json");
  CHECK(json::parse(all.out).size() == 3);
  auto partial = p.run("audit list --json --status partial --stage flaky --since 1h");
  REQUIRE(json::parse(partial.out).size() == 2);
  CHECK(json::parse(partial.out)[0]["run_id"] == report["run_id"]);
  CHECK(json::parse(p.run("audit list --json --stage nothing_like_it").out).empty());
  CHECK(json::parse(p.run("audit list --json --since 2200-01-01").out).empty());
  CHECK(p.run("audit list --since yesterday").exit_code == 4);
  // A damaged database: audit list still answers from the reports, history rebuild fixes it.
  write_file(p.dir / "state" / "pipeline.db", "this is not a database");
  fs::remove(p.dir / "state" / "pipeline.db-wal");
  auto from_reports = p.run("audit list --json --status partial");
  CHECK_THAT(from_reports.err, Catch::Contains("reading the reports instead"));
  CHECK(json::parse(from_reports.out).size() == 2);
  auto rebuilt = p.run("history rebuild");
  CHECK(rebuilt.exit_code == 0);
  CHECK_THAT(rebuilt.out, Catch::Contains(": 3 runs"));
  auto again = p.run("audit list --json --status partial");
  CHECK(again.err.empty());
  CHECK(json::parse(again.out).size() == 2);
  CHECK(p.run("audit show " + report["run_id"].get<std::string>().substr(0, 20)).exit_code == 0);
}

TEST_CASE("e2e: fx_rates runs on its days while the month is missing - 75 until published",
          "[e2e][fx]") {
  Project p;
  std::string today = std::to_string(local_day_of_month(std::chrono::system_clock::now()));
  std::string month = format_prev_month(std::chrono::system_clock::now(), "%Y_%m");
  p.config("stages:\n  - name: fx_rates\n    command: [\"" + stages_dir() +
           "/fetch_fx\", --month, \"${prev_month:%Y_%m}\", --source, \"${root}/imf\", --out, "
           "\"${root}/reference/fx_${prev_month:%Y_%m}.csv\"]\n"
           "    when:\n      days_of_month: [" +
           today +
           "]\n"
           "      missing: \"${root}/reference/fx_${prev_month:%Y_%m}.csv\"\n"
           "    retries: 1\n    retry_on: [\"exit:75\"]\n    backoff: {initial: 10ms}\n");
  auto unpublished = p.run("--run-once -q");
  CHECK(unpublished.exit_code == 2);
  json report = p.latest_report();
  auto attempts = stage(report, "fx_rates")["attempts"];
  REQUIRE(attempts.size() == 2);  // retried once on 75
  CHECK(attempts[0]["exit_code"] == 75);
  CHECK(attempts[1]["exit_code"] == 75);

  write_file(p.dir / "imf" / ("fx_" + month + ".csv"), "currency,rate_to_usd\nEUR,1.04\n");
  CHECK(p.run("--run-once -q").exit_code == 0);
  CHECK(slurp(p.dir / "reference" / ("fx_" + month + ".csv")) ==
        "currency,rate_to_usd\nEUR,1.04\n");
  CHECK(p.run("--run-once -q").exit_code == 0);
  CHECK(stage(p.latest_report(), "fx_rates")["status"] == "skipped");

  // A published file that is not rates is a data error (65), not retried.
  fs::remove(p.dir / "reference" / ("fx_" + month + ".csv"));
  write_file(p.dir / "imf" / ("fx_" + month + ".csv"), "currency,rate_to_usd\neuro,-1\n");
  CHECK(p.run("--run-once -q").exit_code == 2);
  CHECK(stage(p.latest_report(), "fx_rates")["attempts"].size() == 1);
  CHECK_FALSE(fs::exists(p.dir / "reference" / ("fx_" + month + ".csv")));
}

TEST_CASE("e2e: a lifecycle of 1,200 files keeps bounded records - and every one in its list",
          "[e2e][scale]") {
  Project p;
  p.config("stages:\n  - name: take\n    command: " + misbehave("") +
           "\n"
           "    when: {files: \"${paths.raw}/*.csv\"}\n"
           "lifecycle:\n  - delete: take.inputs\n");
  for (int i = 0; i < 1200; ++i)
    write_file(p.dir / "data/raw" / ("f" + std::to_string(1000 + i) + ".csv"), "x");
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 0);
  CHECK(p.files_in("data/raw").empty());
  json report = p.latest_report();
  CHECK(report["lifecycle"].size() == 1000);
  const json& summary = report["lifecycle_summary"];
  CHECK(summary["count"] == 1200);
  CHECK(summary["listed"] == 1000);
  CHECK(summary["results"] == json({{"deleted", 1200}}));
  const std::string run_id = report["run_id"];
  CHECK(summary["list"] == "logs/stages/" + run_id + "/lifecycle.jsonl");
  std::istringstream list(slurp(p.dir / summary["list"].get<std::string>()));
  std::size_t lines = 0;
  for (std::string line; std::getline(list, line); ++lines) {
    CHECK(json::parse(line)["result"] == "deleted");
  }
  CHECK(lines == 1200);
  std::size_t actions = 0, summaries = 0;
  for (const auto& e : p.events_of(run_id)) {
    actions += e["event"] == "lifecycle.action";
    summaries += e["event"] == "lifecycle.summary";
  }
  CHECK(actions == 1000);
  CHECK(summaries == 1);
  // audit show says what the report does not list, and where it is.
  auto shown = p.run("audit show latest");
  CHECK_THAT(shown.out, Catch::Contains("... 200 more, 1200 in all: 1200 deleted; every one in "
                                        "logs/stages/" +
                                        run_id + "/lifecycle.jsonl"));
}
