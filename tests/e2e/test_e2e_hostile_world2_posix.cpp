// SPEC 14, round two (issue 28): the features of SPEC 9-13 against the built binary under
// clock jumps, lost state, slow receivers and big numbers. One TEST_CASE per finding, named
// "hostile2 N: ..." after the issue's numbering; each failed on the main it was found on.
#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "support/e2e_posix.hpp"
#include "support/receiver_posix.hpp"

using namespace pipeline::testing;

namespace {

// A windowed stage that writes each window id it is given to ledger.txt, one line each.
std::string ledger_stage(const std::string& windows) {
  return "stages:\n  - name: w\n"
         "    command: [sh, -c, \"echo ${window.id} >> ${root}/ledger.txt\"]\n"
         "    windows: " +
         windows + "\n";
}

// How often each window id is in the ledger.
std::map<std::string, int> ledger(const Project& p) {
  std::map<std::string, int> out;
  if (!fs::exists(p.home() / "ledger.txt")) return out;
  std::istringstream lines(slurp(p.home() / "ledger.txt"));
  for (std::string id; lines >> id;) ++out[id];
  return out;
}

// The events of the project's latest run with this name.
std::vector<json> events_named(const Project& p, const std::string& name) {
  std::vector<json> out;
  for (const auto& e : p.events_of(p.latest_report()["run_id"])) {
    if (e["event"] == name) out.push_back(e);
  }
  return out;
}

// Every window of stage w as `windows list` shows it: id -> state.
std::map<std::string, std::string> listed_windows(const Project& p) {
  auto r = p.run("windows list --json");
  REQUIRE(r.exit_code == 0);
  std::map<std::string, std::string> out;
  const json listed = json::parse(r.out);
  for (const auto& w : listed[0]["windows"]) {
    out[w["id"].get<std::string>()] = w["state"].get<std::string>();
  }
  return out;
}

// 30-day windows since the start of 2026, with an alert command: a dozen windows a year.
const std::string kMonthly = "{every: 30d, start: \"2026-01-01T00:00:00Z\", max_per_run: 100}";
const std::string kAlertCommand =
    "notify:\n  on: [failure, recovery]\n"
    "  command: [sh, -c, \"echo ${notify.event} >> ${root}/alerts.txt\"]\n";

// Every file under root that holds text, relative to root.
std::vector<std::string> files_holding(const fs::path& root, const std::string& text) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && slurp(e.path()).find(text) != std::string::npos) {
      out.push_back(fs::relative(e.path(), root).generic_string());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("hostile2 1: dates after 2038 are dates, and those outside 1970-9999 are refused",
          "[e2e][hostile2][windows]") {
  if (!have_faketime()) return;
  Project p;
  p.config(ledger_stage("{every: 1d, start: 2040-01-01}"));
  // Today: nothing of 2040 is due (the 32-bit product made it 1903, and ran 1903's windows).
  auto today = p.run("--run-once -q");
  CHECK(today.exit_code == 0);
  CHECK(p.latest_report()["status"] == "idle");
  CHECK_THAT(std::string(p.latest_report()["stages"][0]["decision"]["reason"]),
             Catch::Contains("no window is due; the next is due at 2040-01-02"));
  CHECK(ledger(p).empty());
  // On 2040-01-03 at noon, the first two days of 2040 are due, and named so.
  fake_time(p, "@2040-01-03 12:00:00");
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  CHECK(ledger(p) == std::map<std::string, int>{{"20400101T000000Z", 1}, {"20400102T000000Z", 1}});
  auto listed = json::parse(p.run("windows list --json").out);
  REQUIRE(listed[0]["windows"].size() == 2);
  CHECK(listed[0]["windows"][1]["start"] == "2040-01-02T00:00:00+00:00");
  CHECK(listed[0]["windows"][1]["end"] == "2040-01-03T00:00:00+00:00");
  // A backfill of one day of 2040 resets that day, not every window, and --to is taken.
  auto reset = p.run("windows reset --stage w --from 2040-01-02 --to 2040-01-03");
  CHECK(reset.exit_code == 0);
  CHECK_THAT(reset.out, Catch::StartsWith("reset 1 window of w (from 2040-01-02 00:00 UTC"));
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  CHECK(ledger(p) == std::map<std::string, int>{{"20400101T000000Z", 1}, {"20400102T000000Z", 2}});

  // The edges: 1970 and 9999 are years a config may name; 1969 and 10000 are not.
  p.env.clear();
  fs::remove_all(p.home() / "logs" / "reports");  // 2040's report would sort last
  p.config(ledger_stage("{every: 1d, start: 9999-12-30}"));
  CHECK(p.run("config check").exit_code == 0);
  auto far = p.run("--run-once -q");
  CHECK(far.exit_code == 0);
  CHECK(p.latest_report()["status"] == "idle");
  CHECK(p.latest_report()["windows"][0]["next_due"] == nullptr);  // after 2262: not said
  p.config(ledger_stage("{every: 1d, start: \"1970-01-01T00:00:00Z\"}"));
  CHECK(p.run("config check").exit_code == 0);
  for (const std::string bad : {"1969-12-31", "10000-01-01", "\"1970-01-01T00:30:00+01:00\""}) {
    p.config(ledger_stage("{every: 1d, start: " + bad + "}"));
    auto refused = p.run("config check");
    INFO(bad);
    CHECK(refused.exit_code == 4);
    CHECK_THAT(refused.err, Catch::Contains("pipeline.yaml:10:") &&
                                Catch::Contains("from 1970-01-01 to 9999-12-31"));
  }
  p.config(ledger_stage("{every: 1d, start: 2040-01-01}"));
  auto early = p.run("windows reset --stage w --from 1969-12-31");
  CHECK(early.exit_code == 4);
  CHECK_THAT(early.err, Catch::Contains("--from 1969-12-31: not a time from 1970-01-01"));
}

TEST_CASE(
    "hostile2 2: a damaged state store is an error run that alerts, moved aside and "
    "rebuilt from the reports",
    "[e2e][hostile2][windows]") {
  Project p;
  p.config(kAlertCommand + ledger_stage(kMonthly));
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  const auto first = ledger(p);
  REQUIRE(first.size() >= 10);
  // Garbage over the store's header: SQLite no longer takes it for a database.
  const fs::path db = p.home() / "state" / "state.db";
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.write(std::string(100, '\xA5').data(), 100);
  }
  auto damaged = p.run("--run-once -q");
  CHECK(damaged.exit_code == 3);
  json report = p.latest_report();
  CHECK(report["status"] == "error");
  CHECK_THAT(report["errors"].dump(), Catch::Contains("the state store could not be used") &&
                                          Catch::Contains("moved it aside to"));
  auto rebuilt = events_named(p, "state.rebuilt");
  REQUIRE(rebuilt.size() == 1);
  CHECK(rebuilt[0]["data"]["windows"][0]["succeeded"] == first.size());
  CHECK(ledger(p) == first);  // no window ran twice
  CHECK(slurp(p.home() / "alerts.txt") == "failure\n");
  bool kept = false;
  for (const auto& f : p.files_in("state")) {
    kept = kept || f.filename().string().rfind("state.db.damaged-", 0) == 0;
  }
  CHECK(kept);
  CHECK(p.run("status").exit_code == 1);
  auto windows = listed_windows(p);
  CHECK(windows.size() == first.size());
  for (const auto& [id, state] : windows) CHECK(state == "succeeded");
  // The next run finds a whole store: idle (which neither ends the streak nor alerts again).
  CHECK(p.run("--run-once -q").exit_code == 0);
  CHECK(p.latest_report()["status"] == "idle");
  CHECK(ledger(p) == first);
  CHECK(slurp(p.home() / "alerts.txt") == "failure\n");
}

TEST_CASE("hostile2 3: a deleted state store gets its windows back from the reports, loudly",
          "[e2e][hostile2][windows]") {
  Project p;
  p.config(kAlertCommand + ledger_stage(kMonthly));
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  const auto first = ledger(p);
  REQUIRE(first.size() >= 10);
  auto remove_store = [&] {
    for (const char* f : {"state.db", "state.db-wal", "state.db-shm"}) {
      fs::remove(p.home() / "state" / f);
    }
  };
  remove_store();
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 0);
  CHECK(p.latest_report()["status"] == "idle");
  CHECK(ledger(p) == first);  // before: every window since start ran again
  auto rebuilt = events_named(p, "state.rebuilt");
  REQUIRE(rebuilt.size() == 1);
  CHECK(rebuilt[0]["data"]["missing"] == true);
  CHECK_THAT(std::string(rebuilt[0]["msg"]),
             Catch::Contains("state store was missing") && Catch::Contains("alerts it kept"));
  CHECK_THAT(r.err, Catch::Contains("rebuilt the windows from the reports"));

  // Retention took the reports that ran the windows: the newest watermark still says they
  // all succeeded.
  for (const auto& f : p.files_in("logs/reports")) {
    if (p.latest_report()["run_id"].get<std::string>() !=
        json::parse(slurp(f))["run_id"].get<std::string>()) {
      fs::remove(f);
    }
  }
  remove_store();
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  CHECK(ledger(p) == first);
  auto windows = listed_windows(p);
  CHECK(windows.size() == first.size());
  for (const auto& [id, state] : windows) CHECK(state == "succeeded");
  // A backfill after the store was lost resets windows the reports gave back.
  remove_store();
  auto reset = p.run("windows reset --stage w --from 2026-01-01 --to 2026-01-31");
  CHECK(reset.exit_code == 0);
  CHECK_THAT(reset.out, Catch::StartsWith("reset 1 window of w"));
  CHECK_THAT(reset.err, Catch::Contains("rebuilt the windows"));
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  auto again = ledger(p);
  CHECK(again["20260101T000000Z"] == 2);
  CHECK(again.size() == first.size());
}

TEST_CASE(
    "hostile2 4: values from ${env.NAME} are written nowhere, nor a prefix a receiver "
    "echoes",
    "[e2e][hostile2][notify]") {
  const std::string password = "s3cr3t-Pa55word-91c7e";
  const std::string token = "tok-4f9a2c7be1d3a8";
  TempDir receivers;
  Receiver hook(receivers.path(), "hook", {"http", "--status", "401", "--echo-auth", "20"});
  Project p;
  p.env = "DB_PASSWORD=" + password + " HOOK_TOKEN=" + token;
  // The stage gets the password as an argument, prints it whole, then a prefix of it.
  p.config(R"(stages:
  - name: load
    command: [sh, -c, "echo connecting with $$0; echo 'login refused for s3cr3t-Pa55w' >&2; exit 3",
              "--password=${env.DB_PASSWORD}"]
notify:
  webhook:
    url: ")" +
           hook.url("/hook") + R"("
    headers: {Authorization: "Bearer ${env.HOOK_TOKEN}"}
)");
  auto r = p.run("--run-once");
  CHECK(r.exit_code == 2);
  REQUIRE(hook.received().size() == 1);  // it was sent, with the token
  CHECK(hook.received()[0]["headers"]["authorization"] == "Bearer " + token);
  // The receiver said which token it refused (cut short): not written either.
  json report = p.latest_report();
  bool refused = false;
  for (const auto& e : p.events_of(report["run_id"])) {
    if (e["event"] != "notify.failed") continue;
    refused = true;
    CHECK_THAT(
        e["data"]["error"].get<std::string>(),
        Catch::Contains("HTTP 401") && Catch::Contains("(token Bearer ${env.HOOK_TOKEN}...)"));
  }
  CHECK(refused);
  CHECK_THAT(report.dump(), Catch::Contains("--password=${env.DB_PASSWORD}"));
  CHECK(p.run("dashboard").exit_code == 0);
  auto status = p.run("status --json");
  auto shown = p.run("audit show latest");
  for (const std::string& secret :
       {password, std::string("s3cr3t-Pa55"), token, std::string("tok-4f9a2c7b")}) {
    INFO(secret);
    // Only the stage's own output logs keep its exact bytes (SPEC 4), the secret included
    // (and the config, which prints a prefix of it in clear).
    for (const auto& f : files_holding(p.home(), secret)) {
      INFO(f);
      CHECK((f.rfind("logs/stages/", 0) == 0 || f == "config/pipeline.yaml"));
    }
    CHECK(r.err.find(secret) == std::string::npos);
    CHECK(status.out.find(secret) == std::string::npos);
    CHECK(shown.out.find(secret) == std::string::npos);
  }
  CHECK(files_holding(p.home(), token).empty());
}

TEST_CASE("hostile2 10: a wall clock stepped back an hour during a run gives a true duration",
          "[e2e][hostile2][time]") {
  if (!have_faketime()) return;
  Project p;
  // The stage waits for the test's word, so that the clock steps while it runs.
  p.config(R"(metrics: {textfile: "${state}/node/pipeline.prom"}
stages:
  - name: wait
    command: [sh, -c, "while [ ! -e go ]; do sleep 0.01; done"]
    cwd: "${root}"
    timeout: 30s
)");
  const fs::path offset = p.dir / "offset";
  write_file(offset, "+0\n");
  p.env = std::string("LD_PRELOAD=") + kFaketime +
          " FAKETIME_TIMESTAMP_FILE=" + quote(offset.string()) +
          " FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 "
          "ASAN_OPTIONS=verify_asan_link_order=0";
  Result r{};
  std::thread run([&] { r = p.run("--run-once -q"); });
  const bool started = wait_for_event(p, "wait.start");
  write_file(offset, "-1h\n");  // NTP, or a person, steps the clock back
  write_file(p.home() / "go", "");
  run.join();
  REQUIRE(started);
  CHECK(r.exit_code == 0);
  json report = p.latest_report();
  const auto ms = report["duration_ms"].get<std::int64_t>();
  CHECK(ms >= 0);
  CHECK(ms < 60'000);  // it was -3,599,084: the wall clock's difference
  CHECK(report["stages"][0]["attempts"][0]["duration_ms"].get<std::int64_t>() <= ms);
  auto [rc, said] = promtool_check(p.home() / "state" / "node" / "pipeline.prom");
  INFO("promtool: " << said);
  CHECK(rc == 0);
  CHECK(said.empty());
  const std::string prom = slurp(p.home() / "state" / "node" / "pipeline.prom");
  CHECK(prom.find("pipeline_runner_run_duration_seconds{pipeline=\"e2e\"} -") == std::string::npos);
}
