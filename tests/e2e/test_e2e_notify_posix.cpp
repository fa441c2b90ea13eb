// Notifications end to end: the built runner, as cron starts it, telling loopback receivers
// (an HTTP webhook, a heartbeat endpoint, an SMTP server with STARTTLS and a login) how its
// runs went, over a sequence of failing and succeeding runs, an outage and a receiver that
// never answers.
#include <catch2/catch.hpp>

#include "support/e2e_posix.hpp"
#include "support/receiver_posix.hpp"

using namespace pipeline::testing;

namespace {

const std::string kHookToken = "hook-token-7d1c55e0a9";
const std::string kSmtpPassword = "smtp-pass-4b8e21f3";

// One stage that fails or succeeds as the file `outcome` says, and prints to stderr.
void notify_project(Project& p, const std::string& notify_yaml, const std::string& extra = "") {
  p.config(R"yaml(stages:
  - name: extract
    command: ["sh", "-c", "echo reading the feed >&2; echo 'feed unreachable' >&2; exit $$(cat outcome)"]
    cwd: "${root}"
schedule: {every: 15m}
)yaml" + extra +
           notify_yaml);
}

void set_outcome(Project& p, int code) {
  write_file(p.home() / "outcome", std::to_string(code) + "\n");
}

std::vector<std::string> events_received(const Receiver& r, const std::string& method = "POST") {
  std::vector<std::string> out;
  for (const auto& got : r.received()) {
    if (got["method"] == method)
      out.push_back(json::parse(got["body"].get<std::string>())["event"]);
  }
  return out;
}

// Every file the runs wrote, searched for a text.
std::vector<std::string> files_holding(const fs::path& root, const std::string& text) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && slurp(e.path()).find(text) != std::string::npos) {
      out.push_back(e.path().string());
    }
  }
  return out;
}

std::vector<std::string> notify_events(const Project& p, const json& report) {
  std::vector<std::string> out;
  for (const auto& e : p.events_of(report["run_id"])) {
    const std::string name = e["event"];
    if (name.rfind("notify.", 0) == 0) out.push_back(name);
  }
  return out;
}

}  // namespace

TEST_CASE(
    "e2e: fail, fail, fail, succeed, fail: one alert per streak and one recovery, by "
    "webhook and mail",
    "[e2e][notify]") {
  TempDir receivers;
  TestCertificate cert(receivers.path());
  Receiver hook(receivers.path(), "hook", {"http"});
  Receiver smtp(receivers.path(), "smtp",
                {"smtp", "--cert", cert.cert.string(), "--key", cert.key.string(), "--user",
                 "pipeline", "--password", kSmtpPassword});
  Project p;
  p.env = "HOOK_TOKEN=" + kHookToken + " SMTP_PASSWORD=" + kSmtpPassword;
  notify_project(p, R"(notify:
  ca_file: ")" + cert.cert.string() +
                        R"("
  webhook:
    url: ")" + hook.url("/hooks/T0") +
                        R"("
    headers: {Authorization: "Bearer ${env.HOOK_TOKEN}"}
    timeout: 5s
  email:
    server: "smtp://localhost:)" +
                        std::to_string(smtp.port()) + R"("
    from: pipeline@example.org
    to: [data-team@example.org]
    user: pipeline
    password: "${env.SMTP_PASSWORD}"
  ping: {url: ")" + hook.url("/ping/abc") +
                        R"("}
)");
  std::vector<int> exits;
  std::vector<std::string> run_ids;
  for (int outcome : {3, 3, 3, 0, 3}) {
    set_outcome(p, outcome);
    exits.push_back(p.run("--run-once -q").exit_code);
    run_ids.push_back(p.latest_report()["run_id"]);
  }
  // Delivery never changes a run's exit code.
  CHECK(exits == std::vector<int>{2, 2, 2, 0, 2});

  CHECK(events_received(hook) == std::vector<std::string>{"failure", "recovery", "failure"});
  auto posts = hook.received();
  json first, recovery;
  for (const auto& got : posts) {
    if (got["method"] != "POST") continue;
    json body = json::parse(got["body"].get<std::string>());
    if (body["event"] == "recovery") recovery = body;
    if (first.is_null()) first = body;
    CHECK(got["headers"]["authorization"] == "Bearer " + kHookToken);
    CHECK(got["headers"]["content-type"] == "application/json");
  }
  CHECK(first["schema"] == "pipeline_runner.notify/1");
  CHECK(first["run_id"] == run_ids[0]);
  CHECK(first["pipeline"] == "e2e");
  CHECK(first["status"] == "failure");
  CHECK(first["exit_code"] == 2);
  CHECK(first["streak"]["since_run_id"] == run_ids[0]);
  CHECK(first["streak"]["failed_runs"] == 1);
  CHECK(first["stages"][0]["name"] == "extract");
  CHECK(first["stages"][0]["reason"] == "exit 3");
  CHECK(first["stages"][0]["stderr_tail"] == json{"reading the feed", "feed unreachable"});
  CHECK(fs::exists(first["report"].get<std::string>()));
  CHECK(recovery["run_id"] == run_ids[3]);
  CHECK(recovery["streak"]["since_run_id"] == run_ids[0]);
  CHECK(recovery["streak"]["failed_runs"] == 3);

  // The heartbeat after every run: /fail after the failing ones.
  std::vector<std::string> pings;
  for (const auto& got : posts) {
    if (got["method"] == "GET") pings.push_back(got["path"]);
  }
  CHECK(pings == std::vector<std::string>{"/ping/abc/fail", "/ping/abc/fail", "/ping/abc/fail",
                                          "/ping/abc", "/ping/abc/fail"});

  // The same three alerts by mail, over STARTTLS with the login.
  auto mails = smtp.received();
  REQUIRE(mails.size() == 3);
  for (const auto& m : mails) {
    CHECK(m["tls"] == true);
    CHECK(m["login"] == "pipeline");
    CHECK(m["rcpt_tos"] == json{"data-team@example.org"});
  }
  CHECK_THAT(mails[0]["data"].get<std::string>(),
             Catch::Contains("Subject: [pipeline_runner] e2e: failure on"));
  CHECK_THAT(mails[1]["data"].get<std::string>(),
             Catch::Contains("Subject: [pipeline_runner] e2e: recovery on"));

  json last = p.latest_report();
  CHECK(notify_events(p, last) ==
        std::vector<std::string>{"notify.sent", "notify.sent", "notify.sent"});

  // No secret in anything the runs wrote: logs, events, reports, the history, the state.
  CHECK(files_holding(p.home(), kHookToken).empty());
  CHECK(files_holding(p.home(), kSmtpPassword).empty());
}

TEST_CASE("e2e: an alert the network lost is delivered by the next run, before its own",
          "[e2e][notify]") {
  TempDir receivers;
  int port = 0;
  {
    Receiver probe(receivers.path(), "probe", {"http"});
    port = probe.port();
  }  // nothing listens there now: the webhook is down
  Project p;
  notify_project(p, "notify:\n  webhook: {url: \"http://127.0.0.1:" + std::to_string(port) +
                        "/hook\", timeout: 2s}\n");
  set_outcome(p, 3);
  CHECK(p.run("--run-once -q").exit_code == 2);
  json r1 = p.latest_report();
  CHECK(notify_events(p, r1) == std::vector<std::string>{"notify.failed", "notify.kept"});
  CHECK(fs::exists(p.home() / "state" / "state.db"));

  CHECK(p.run("--run-once -q").exit_code == 2);  // still failing, still down: kept, no new alert
  json r2 = p.latest_report();
  CHECK(notify_events(p, r2) == std::vector<std::string>{"notify.failed", "notify.kept"});

  Receiver hook(receivers.path(), "hook", {"http", "--port", std::to_string(port)});
  set_outcome(p, 0);
  CHECK(p.run("--run-once -q").exit_code == 0);
  // The failure of the first run, then this run's recovery.
  auto got = hook.received();
  REQUIRE(got.size() == 2);
  json lost = json::parse(got[0]["body"].get<std::string>());
  CHECK(lost["event"] == "failure");
  CHECK(lost["run_id"] == r1["run_id"]);
  json back = json::parse(got[1]["body"].get<std::string>());
  CHECK(back["event"] == "recovery");
  CHECK(back["streak"]["failed_runs"] == 2);
  CHECK(notify_events(p, p.latest_report()) ==
        std::vector<std::string>{"notify.sent", "notify.sent"});

  CHECK(p.run("--run-once -q").exit_code == 0);  // nothing kept, nothing new
  CHECK(hook.received().size() == 2);
}

TEST_CASE("e2e: a receiver that never answers costs the run its timeout, no more",
          "[e2e][notify]") {
  TempDir receivers;
  Receiver silent(receivers.path(), "silent", {"http", "--silent"});
  Project p;
  notify_project(p, "notify:\n  webhook: {url: \"" + silent.url("/hook") +
                        "\", timeout: 700ms}\n  ping: {url: \"" + silent.url("/ping") +
                        "\", timeout: 700ms}\n");
  set_outcome(p, 3);
  auto started = std::chrono::steady_clock::now();
  CHECK(p.run("--run-once -q").exit_code == 2);
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(took < std::chrono::seconds(10));
  json r = p.latest_report();
  auto events = p.events_of(r["run_id"]);
  std::vector<std::string> why;
  for (const auto& e : events) {
    if (e["event"] == "notify.failed") why.push_back(e["data"]["error"]);
  }
  REQUIRE(why.size() == 2);  // the webhook, then the ping
  for (const auto& w : why)
    CHECK_THAT(w, Catch::Contains("timed out") || Catch::Contains("Timeout"));
  // The run's last event is still its status.
  CHECK(events.back()["event"] == "pipeline.failure");
}

TEST_CASE("e2e: notify.command gets the payload in its environment", "[e2e][notify]") {
  Project p;
  const std::string out = (p.dir / "told.json").string();
  notify_project(p,
                 "notify:\n  on: [failure, recovery, success]\n  command: [\"sh\", \"-c\", "
                 "\"printf '%s' \\\"$$PIPELINE_NOTIFY_JSON\\\" > " +
                     out + "; echo $$1 $$2 >> " + out +
                     ".args\", \"notify\", \"${notify.event}\", \"${run_id}\"]\n");
  set_outcome(p, 0);
  CHECK(p.run("--run-once -q").exit_code == 0);
  json told = json::parse(slurp(out));
  CHECK(told["event"] == "success");
  CHECK(told["run_id"] == p.latest_report()["run_id"]);
  CHECK(slurp(out + ".args") == "success " + told["run_id"].get<std::string>() + "\n");
}
