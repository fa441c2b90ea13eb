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

// The monthly windows with an alert command, run once: the ledger of that first run.
std::map<std::string, int> monthly_windows_ran(Project& p) {
  p.config(kAlertCommand + ledger_stage(kMonthly));
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  auto first = ledger(p);
  REQUIRE(first.size() >= 10);
  return first;
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
  const auto first = monthly_windows_ran(p);
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
  const auto first = monthly_windows_ran(p);
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

namespace {

// A stage that fails (or succeeds) as the file `outcome` says, with a line on stderr.
std::string outcome_stage() {
  return "stages:\n  - name: extract\n"
         "    command: [sh, -c, \"echo 'feed unreachable' >&2; exit $$(cat outcome)\"]\n"
         "    cwd: \"${root}\"\n";
}

std::vector<json> notify_events_of(const Project& p) {
  std::vector<json> out;
  for (const auto& e : p.events_of(p.latest_report()["run_id"])) {
    if (e["event"].get<std::string>().rfind("notify.", 0) == 0) out.push_back(e);
  }
  return out;
}

}  // namespace

TEST_CASE(
    "hostile2 5: an alert refused for good is dropped with the receiver's words and "
    "blocks no later alert",
    "[e2e][hostile2][notify]") {
  TempDir receivers;
  Receiver refusing(receivers.path(), "refusing", {"http", "--status", "400"});
  Project p;
  p.config(outcome_stage() + "notify:\n  on: [every_failure]\n  webhook: {url: \"" +
           refusing.url("/hook") + "\"}\n");
  write_file(p.home() / "outcome", "3\n");
  std::vector<std::string> runs;
  for (int i = 0; i < 3; ++i) {
    CHECK(p.run("--run-once -q").exit_code == 2);
    runs.push_back(p.latest_report()["run_id"]);
    auto events = notify_events_of(p);
    REQUIRE(events.size() == 1);
    CHECK(events[0]["event"] == "notify.failed");
    CHECK_THAT(events[0]["msg"].get<std::string>(),
               Catch::Contains("dropped: refused for good: the server answered HTTP 400: the "
                               "receiver refused it"));
  }
  // Each run's own alert was tried once; none was retried, none held back (before: the
  // first run's alert was tried first by every run, and the later ones waited behind it).
  std::vector<std::string> got;
  for (const auto& r : refusing.received()) {
    got.push_back(json::parse(r["body"].get<std::string>())["run_id"]);
  }
  CHECK(got == runs);
}

TEST_CASE(
    "hostile2 6: 100 failing items make one alert of bounded size, and the outbox stays "
    "small",
    "[e2e][hostile2][notify]") {
  TempDir receivers;
  Receiver down(receivers.path(), "down", {"http", "--status", "503"});
  Project p;
  // Each item prints 20 lines of 2 KiB to stderr, then fails: 1.2 MB of tails a run (the
  // issue saw 16 MB bodies from 100 items of 8 KiB lines).
  p.config(
      "stages:\n  - name: each\n    command: [sh, -c, "
      "\"l=$$(head -c 2048 /dev/zero | tr '\\\\0' x); "
      "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do "
      "echo $$l >&2; done; exit 1\", "
      "\"${input}\"]\n    when: {files: \"in/*.txt\"}\n    foreach: input\n"
      "notify:\n  on: [every_failure]\n  webhook: {url: \"" +
      down.url("/hook") + "\"}\n");
  for (int i = 0; i < 30; ++i) write_file(p.home() / "in" / (std::to_string(i) + ".txt"), "x\n");
  for (int run = 0; run < 3; ++run) CHECK(p.run("--run-once -q").exit_code == 2);
  // Every run tried its alert (and the kept ones wait behind the first failure): each body
  // is under 64 KiB, says how many stages it left out, and the store stays small.
  const auto got = down.received();
  REQUIRE(!got.empty());
  for (const auto& r : got) {
    const std::string body = r["body"];
    CHECK(body.size() < 64 * 1024);  // it was 1.2 MB (16 MB with 100 items)
    json payload = json::parse(body);
    CHECK(payload["stages"].size() == 10);
    CHECK(payload["stages_left_out"] == 20);
    CHECK(payload["stages"][0]["stderr_tail"].size() == 20);
    CHECK(payload["stages"][0]["stderr_tail"][0].get<std::string>().size() < 300);
  }
  CHECK(fs::file_size(p.home() / "state" / "state.db") < 1024 * 1024);  // 80 MB with 100 items
}

TEST_CASE(
    "hostile2 7: a stop signal ends the deliveries at once, and a slow receiver costs the "
    "run its delivery budget, no more",
    "[e2e][hostile2][notify]") {
  TempDir receivers;
  Receiver silent(receivers.path(), "silent", {"http", "--silent"});
  Project p;
  p.config(outcome_stage() + "notify:\n  budget: 2s\n  webhook: {url: \"" + silent.url("/hook") +
           "\", timeout: 4m}\n  ping: {url: \"" + silent.url("/ping") + "\", timeout: 4m}\n");
  write_file(p.home() / "outcome", "3\n");
  // The budget: a receiver that never answers holds the run 2 s, not 8 minutes.
  const auto started = std::chrono::steady_clock::now();
  CHECK(p.run("--run-once -q").exit_code == 2);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
  auto events = notify_events_of(p);
  REQUIRE(events.size() == 3);
  CHECK_THAT(events[0]["msg"].get<std::string>(), Catch::Contains("not delivered"));
  CHECK_THAT(events[2]["msg"].get<std::string>(),
             Catch::Contains("heartbeat ping not sent: this run's delivery budget"));

  // A SIGTERM while the webhook waits on the receiver ends the run at once, as aborted.
  Background runner(p);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (silent.received().size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polls the receiver's record
  }
  REQUIRE(silent.received().size() >= 2);  // the second connection: this run's delivery
  const auto stopped_at = std::chrono::steady_clock::now();
  ::kill(runner.pid, SIGTERM);
  auto [status, rss] = runner.wait();
  CHECK(std::chrono::steady_clock::now() - stopped_at < std::chrono::seconds(5));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  CHECK(p.latest_report()["status"] == "aborted");
}

TEST_CASE("hostile2 8: a clock stepped two days ahead keeps the alerts that were tried once",
          "[e2e][hostile2][notify]") {
  if (!have_faketime()) return;
  TempDir receivers;
  Receiver down(receivers.path(), "down", {"http", "--status", "503"});
  Project p;
  p.config(outcome_stage() + "notify:\n  webhook: {url: \"" + down.url("/hook") + "\"}\n");
  write_file(p.home() / "outcome", "3\n");
  CHECK(p.run("--run-once -q").exit_code == 2);
  fake_time(p, "+2d");
  CHECK(p.run("--run-once -q").exit_code == 2);
  auto events = notify_events_of(p);
  REQUIRE(!events.empty());
  for (const auto& e : events) {
    CHECK(e["msg"].get<std::string>().find("not delivered in 24 h") == std::string::npos);
  }
  CHECK_THAT(events[0]["msg"].get<std::string>(), Catch::Contains("(kept; the next runs retry"));
  CHECK(down.received().size() == 2);  // the first run's alert, tried again
}

TEST_CASE("hostile2 9: notify.timeout is bounded for notify.command too",
          "[e2e][hostile2][notify]") {
  Project p;
  p.config(outcome_stage() + "notify:\n  timeout: 1h\n  command: [/bin/true]\n");
  auto r = p.run("config check");
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, Catch::Contains("pipeline.yaml:") &&
                        Catch::Contains("notify.timeout must be between 1ms and 5m"));
  p.config(outcome_stage() + "notify:\n  budget: 1h\n  command: [/bin/true]\n");
  CHECK_THAT(p.run("config check").err,
             Catch::Contains("notify.budget must be between 1s and 10m"));
}

TEST_CASE("hostile2 19: the mail's text part has CRLF line breaks and a long Subject is folded",
          "[e2e][hostile2][notify]") {
  TempDir receivers;
  TestCertificate cert(receivers.path());
  Receiver smtp(receivers.path(), "smtp",
                {"smtp", "--cert", cert.cert.string(), "--key", cert.key.string()});
  Project p;
  const std::string name = "a-long-pipeline-name-that-makes-the-subject-fold-0123456789";
  std::string cfg = outcome_stage() + "notify:\n  ca_file: \"" + cert.cert.string() +
                    "\"\n  email:\n    server: \"smtp://localhost:" + std::to_string(smtp.port()) +
                    "\"\n    from: pipeline@example.org\n    to: [data-team@example.org]\n";
  p.config(cfg);
  std::string text = slurp(p.config_path());
  text.replace(text.find("pipeline: e2e"), 13, "pipeline: " + name);
  write_file(p.config_path(), text);
  write_file(p.home() / "outcome", "3\n");
  CHECK(p.run("--run-once -q").exit_code == 2);
  auto mails = smtp.received();
  REQUIRE(mails.size() == 1);
  const std::string data = mails[0]["data"];
  // The Subject folded into lines of at most 78 characters (RFC 5322's SHOULD; every header
  // line within its MUST of 998).
  const std::string head = data.substr(0, data.find("\r\n\r\n"));
  std::istringstream lines(head);
  int subject_lines = 0;
  bool in_subject = false;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    INFO(line);
    CHECK(line.size() <= 998);
    in_subject = line.rfind("Subject:", 0) == 0 || (in_subject && line.rfind(" ", 0) == 0);
    if (in_subject) CHECK(line.size() <= 78);
    subject_lines += in_subject ? 1 : 0;
  }
  CHECK(subject_lines >= 2);
  // Python's mail parser reads it back: the Subject whole, the text part with its lines.
  const fs::path saved = receivers.path() / "mail.eml";
  write_file(saved, data);
  const std::string script =
      "import email, email.policy, sys\n"
      "m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)\n"
      "print(m['Subject'])\n"
      "part = m.get_body(('plain',))\n"
      "print(part['Content-Transfer-Encoding'])\n"
      "print(part.get_content().count(chr(10)))\n";
  write_file(receivers.path() / "read.py", script);
  FILE* pipe = ::popen(
      ("python3 " + quote((receivers.path() / "read.py").string()) + " " + quote(saved.string()))
          .c_str(),
      "r");
  REQUIRE(pipe);
  std::string out;
  char buf[1024];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  REQUIRE(::pclose(pipe) == 0);
  std::istringstream said(out);
  std::string subject, encoding, breaks;
  std::getline(said, subject);
  std::getline(said, encoding);
  std::getline(said, breaks);
  CHECK(subject.rfind("[pipeline_runner] " + name + ": failure on ", 0) == 0);
  CHECK(encoding == "quoted-printable");
  CHECK(std::stoi(breaks) > 5);
  // The encoded text part carries its line breaks as CRLF, never as "=0A".
  const std::string body = data.substr(data.find("quoted-printable"));
  CHECK(body.find("=0A") == std::string::npos);
  CHECK(body.find("=0D") == std::string::npos);
}

TEST_CASE(
    "hostile2 20: the dashboard counts runs, not windows, shows short runs in ms, and a "
    "count keeps its last value",
    "[e2e][hostile2][dashboard]") {
  Project p;
  p.config(R"(metrics: {textfile: "${state}/node/pipeline.prom"}
stages:
  - name: w
    command: [sh, -c, "echo rows: 7"]
    windows: {every: 30d, start: "2026-01-01T00:00:00Z", max_per_run: 100}
    counts: {rows: "^rows: (\\d+)$"}
)");
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  REQUIRE(p.latest_report()["stages"].size() >= 10);  // a window a record
  REQUIRE(p.run("--run-once -q").exit_code == 0);     // idle: no window due
  CHECK(p.latest_report()["status"] == "idle");
  const std::string page = slurp(p.home() / "logs" / "dashboard" / "index.html");
  const auto chart = page.find("data-stage=\"w\"");
  REQUIRE(chart != std::string::npos);
  const std::string label = page.substr(chart, page.find("</span>", chart) - chart);
  INFO(label);
  CHECK_THAT(label, Catch::Contains("&middot; 1 runs"));  // it said 11: a run per window
  CHECK_THAT(label, Catch::Contains("ms &middot;"));      // not 0.00s
  CHECK(page.find("0.00s") == std::string::npos);
  // The idle run ran no window: the count is still there, with its last value.
  const std::string prom = slurp(p.home() / "state" / "node" / "pipeline.prom");
  CHECK_THAT(prom,
             Catch::Contains(
                 "pipeline_runner_stage_metric{pipeline=\"e2e\",stage=\"w\",name=\"rows\"} 7"));
}

TEST_CASE("hostile2 11: windows a clock a year ahead added are not behind when it comes back",
          "[e2e][hostile2][windows]") {
  if (!have_faketime()) return;
  Project p;
  // Hourly windows from two days ago.
  const std::string start =
      pipeline::format_local(std::chrono::system_clock::now() - std::chrono::hours(48), "%Y-%m-%d");
  p.config("metrics: {textfile: \"${state}/node/pipeline.prom\"}\n" +
           ledger_stage("{every: 1h, start: \"" + start + "T00:00:00Z\", max_per_run: 100}"));
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  auto open_now = [&] {
    json status = json::parse(p.run("status --json").out);
    return status["windows"][0]["open"].get<std::size_t>();
  };
  REQUIRE(open_now() == 0);
  fake_time(p, "+365d");
  REQUIRE(p.run("--run-once -q").exit_code == 0);  // adds a year of windows, runs 100
  p.env.clear();
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  // Back to now: nothing is behind (it said 8,700 windows behind for a year).
  CHECK(open_now() == 0);
  json listed = json::parse(p.run("windows list --json").out);
  CHECK(listed[0]["open"] == 0);
  std::size_t not_due = 0;
  for (const auto& w : listed[0]["windows"]) not_due += w["due"] == false ? 1 : 0;
  CHECK(not_due > 8000);  // kept, and shown as not due yet
  CHECK_THAT(slurp(p.home() / "state" / "node" / "pipeline.prom"),
             Catch::Contains("pipeline_runner_windows_pending{pipeline=\"e2e\",stage=\"w\"} 0"));
  CHECK(p.run("status").exit_code == 0);
}

TEST_CASE(
    "hostile2 18: a runner killed at any rename of a cross-file-system quarantine "
    "leaves no stale reason and no name.1",
    "[e2e][hostile2][crash]") {
  int points = 0;
  for (int n = 1; n <= 200; ++n) {
    Project p;
    p.config(
        "stages:\n  - name: check\n    command: [sh, -c, \"! grep -q bad \\\"$$0\\\"\", "
        "\"${input}\"]\n    when: {files: \"in/*.csv\"}\n    foreach: input\n"
        "    quarantine: {after: 1, to: \"${root}/poison\"}\n");
    write_file(p.home() / "in" / "bad.csv", "bad row\n");
    Tmpfs poison(p.home() / "poison", "1m");
    SKIP_UNLESS_MOUNTED(poison);
    p.wrapper = kill_at("rename", n);
    p.env = kNoLeakCheckUnderPtrace;
    auto crashed = p.run("--run-once -q");
    p.wrapper.clear();
    p.env.clear();
    const bool killed = crashed.exit_code == 128 + SIGKILL;
    if (killed) {
      ++points;
      p.run("--run-once -q");  // recovers the move, and quarantines the file if it is back
    }
    INFO("rename " << n << (killed ? " killed" : " not reached"));
    std::vector<std::string> names;
    for (const auto& f : p.files_in("poison")) names.push_back(f.filename().string());
    std::sort(names.begin(), names.end());
    names.erase(std::remove(names.begin(), names.end(), "lost+found"), names.end());
    CHECK(names == std::vector<std::string>{"bad.csv", "bad.csv.error.txt"});
    CHECK_FALSE(fs::exists(p.home() / "in" / "bad.csv"));
    if (!killed) break;  // every rename of the run has been a kill point
  }
  CHECK(points > 2);
}
