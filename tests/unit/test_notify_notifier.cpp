#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/fake_supervisor.hpp"
#include "fakes/fake_transport.hpp"
#include "notify/alert_payload.hpp"
#include "notify/notifier.hpp"
#include "support/abs_path.hpp"

using namespace pipeline;
using namespace pipeline::testing;
using nlohmann::json;

namespace {

struct Event {
  std::string source, name, msg;
  json data;
};

struct Events final : EventSink {
  std::vector<Event> all;
  void emit(const std::string& source, const std::string& name, const std::string& msg,
            json data) override {
    all.push_back({source, name, msg, std::move(data)});
  }
  void set_batch(std::string) override {}
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : all) out.push_back(e.source + "." + e.name);
    return out;
  }
  std::string text() const {
    std::string out;
    for (const auto& e : all) out += e.msg + " " + e.data.dump() + "\n";
    return out;
  }
};

const std::string kSecretToken = "tok-3f9a7c21e8";
const std::string kSecretPassword = "pw-b7d2e90c";

const std::string kConfig = R"(version: 1
pipeline: sales
stages:
  - name: extract
    command: [extract]
notify:
  webhook:
    url: "https://hooks.example.org/T0/${env.HOOK_PATH}"
    headers: {Authorization: "Bearer ${env.HOOK_TOKEN}"}
    timeout: 3s
  email:
    server: "smtp://mail.example.org:587"
    from: pipeline@example.org
    to: [data-team@example.org, oncall@example.org]
    user: "${env.SMTP_USER}"
    password: "${env.SMTP_PASSWORD}"
  command: [/usr/local/bin/page-me, "${notify.event}", "${run_id}"]
  ping:
    url: "https://hc.example.org/ping/${env.PING_UUID}"
)";

std::map<std::string, std::string> environment() {
  return {{"HOOK_TOKEN", kSecretToken},
          {"HOOK_PATH", "B0"},
          {"SMTP_USER", "mailer-user"},
          {"SMTP_PASSWORD", kSecretPassword},
          {"PING_UUID", "5e1f0c2a-uuid"}};
}

RunReport report_of(const std::string& id, RunStatus status, int minute) {
  RunReport r;
  r.run_id = id;
  r.pipeline = "sales";
  r.host = "etl-1";
  r.status = status;
  r.exit_code = exit_code_for(status);
  r.started_at = TimePoint(std::chrono::hours(24 * 20000) + std::chrono::minutes(minute));
  r.finished_at = r.started_at + std::chrono::seconds(2);
  StageRecord s;
  s.name = "extract";
  s.decision = {true, "always runs", {}};
  s.status = status == RunStatus::kSuccess ? StageStatus::kSucceeded : StageStatus::kFailed;
  AttemptRecord a;
  a.exit_code = status == RunStatus::kSuccess ? 0 : 2;
  for (int i = 1; i <= 30; ++i) a.stderr_tail.push_back("line " + std::to_string(i));
  s.attempts.push_back(a);
  r.stages.push_back(s);
  return r;
}

struct Rig {
  Config config;
  std::map<std::string, std::string> env = environment();
  FakeClock clock{TimePoint(std::chrono::hours(24 * 20000))};
  FakeTransport transport;
  FakeOutbox outbox;
  FakeSupervisor supervisor{&clock};
  Events events;
  std::vector<RunSummary> history;  // newest first
  bool use_outbox = true;

  explicit Rig(const std::string& text = kConfig) {
    auto lookup = [this](const std::string& n) -> std::optional<std::string> {
      auto it = env.find(n);
      return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    config = parse_config(text, "/etc/p/pipeline.yaml"_abs, lookup);
  }

  // One run: judged against the history before it, then recorded.
  void run(const std::string& id, RunStatus status, int minute) {
    RunReport r = report_of(id, status, minute);
    const TimePoint at = TimePoint(std::chrono::hours(24 * 20000)) + std::chrono::minutes(minute);
    clock.advance(std::chrono::duration_cast<Millis>(at - clock.now()));
    RunHealth before = health_of(history);
    Notifier(
        {config, use_outbox ? &outbox : nullptr, transport, supervisor, env, clock, events, {}})
        .after_run(r, "/p/logs/reports/" + id + ".json", before);
    history.insert(history.begin(), summary_of(r, "/p/logs/reports/" + id + ".json"));
  }

  std::vector<std::string> posted_events() const {
    std::vector<std::string> out;
    for (const auto& h : transport.http) {
      if (h.method == "POST") out.push_back(json::parse(h.body)["event"].get<std::string>());
    }
    return out;
  }
};

}  // namespace

TEST_CASE("a failing run tells every channel once, with the payload of the schema", "[notify]") {
  Rig rig;
  rig.run("r1", RunStatus::kFailure, 0);

  // Webhook: the payload, the header with its secret, JSON.
  REQUIRE(rig.transport.http.size() == 2);  // the webhook, then the ping
  const HttpRequest& hook = rig.transport.http[0];
  CHECK(hook.method == "POST");
  CHECK(hook.url == "https://hooks.example.org/T0/B0");
  CHECK(hook.timeout == Millis(3000));
  CHECK(hook.headers == HeaderList{{"Authorization", "Bearer " + kSecretToken},
                                   {"Content-Type", "application/json"}});
  json p = json::parse(hook.body);
  CHECK(p["schema"] == "pipeline_runner.notify/1");
  CHECK(p["event"] == "failure");
  CHECK(p["pipeline"] == "sales");
  CHECK(p["host"] == "etl-1");
  CHECK(p["run_id"] == "r1");
  CHECK(p["status"] == "failure");
  CHECK(p["exit_code"] == 2);
  CHECK(p["duration_ms"] == 2000);
  CHECK(p["streak"] ==
        json{{"since_run_id", "r1"}, {"since", p["started_at"]}, {"failed_runs", 1}});
  CHECK(p["report"] == "/p/logs/reports/r1.json");
  REQUIRE(p["stages"].size() == 1);
  CHECK(p["stages"][0]["name"] == "extract");
  CHECK(p["stages"][0]["status"] == "failed");
  CHECK(p["stages"][0]["reason"] == "exit 2");
  // The last 20 lines of stderr: 11 to 30.
  REQUIRE(p["stages"][0]["stderr_tail"].size() == 20);
  CHECK(p["stages"][0]["stderr_tail"][0] == "line 11");
  CHECK(p["stages"][0]["stderr_tail"][19] == "line 30");

  // The mail: both recipients, login, subject, text and the same JSON.
  REQUIRE(rig.transport.mail.size() == 1);
  const MailRequest& mail = rig.transport.mail[0];
  CHECK(mail.server == "smtp://mail.example.org:587");
  CHECK(mail.to == std::vector<std::string>{"data-team@example.org", "oncall@example.org"});
  CHECK(mail.user == "mailer-user");
  CHECK(mail.password == kSecretPassword);
  CHECK(json::parse(mail.json) == p);
  std::map<std::string, std::string> headers(mail.headers.begin(), mail.headers.end());
  // Folded (CRLF and a space) to keep within 78 characters a line.
  CHECK(headers["Subject"] == "[pipeline_runner] sales: failure on etl-1 (1 failed run since\r\n " +
                                  p["started_at"].get<std::string>() + ")");
  CHECK(headers["To"] == "data-team@example.org, oncall@example.org");
  CHECK(headers["Date"] == "Fri, 04 Oct 2024 00:00:00 +0000");
  CHECK(mail.text.find("stage extract: failed, exit 2") != std::string::npos);
  CHECK(mail.text.find("  | line 30") != std::string::npos);

  // The command: argv expanded, the payload in its environment, its logs in the run's folder.
  REQUIRE(rig.supervisor.specs.size() == 1);
  const ProcessSpec& cmd = rig.supervisor.specs[0];
  CHECK(cmd.argv == std::vector<std::string>{"/usr/local/bin/page-me", "failure", "r1"});
  CHECK(json::parse(cmd.env.at("PIPELINE_NOTIFY_JSON")) == p);
  CHECK(cmd.env.at("PIPELINE_NOTIFY_EVENT") == "failure");
  CHECK(cmd.timeout == Millis(10'000));
  CHECK(cmd.stdout_log.generic_string().find("stages/r1/notify.failure") != std::string::npos);

  // The ping says the run failed.
  CHECK(rig.transport.http[1].method == "GET");
  CHECK(rig.transport.http[1].url == "https://hc.example.org/ping/5e1f0c2a-uuid/fail");

  CHECK(rig.events.names() ==
        std::vector<std::string>{"notify.sent", "notify.sent", "notify.sent", "notify.sent"});
  CHECK(rig.outbox.alerts.empty());
}

TEST_CASE("the streak over runs: fail, fail, fail, succeed, fail", "[notify]") {
  Rig rig;
  rig.run("r1", RunStatus::kFailure, 0);
  rig.run("r2", RunStatus::kFailure, 15);
  rig.run("r3", RunStatus::kPartial, 30);
  rig.run("r4", RunStatus::kSuccess, 45);
  rig.run("r5", RunStatus::kFailure, 60);
  CHECK(rig.posted_events() == std::vector<std::string>{"failure", "recovery", "failure"});
  json recovery = json::parse(rig.transport.http[4].body);
  CHECK(recovery["run_id"] == "r4");
  CHECK(recovery["streak"]["since_run_id"] == "r1");
  CHECK(recovery["streak"]["failed_runs"] == 3);
  // Each run pings: /fail after a failing one.
  std::vector<std::string> pings;
  for (const auto& h : rig.transport.http) {
    if (h.method == "GET") pings.push_back(h.url.substr(h.url.rfind('/')));
  }
  CHECK(pings == std::vector<std::string>{"/fail", "/fail", "/fail", "/5e1f0c2a-uuid", "/fail"});
}

TEST_CASE("an undelivered alert is kept and sent by the next run, before the new one", "[notify]") {
  Rig rig;
  // The webhook is down for the first run: connection refused. The mail and command go.
  rig.transport.answers = {{false, "Failed to connect to hooks.example.org port 443"}};
  rig.run("r1", RunStatus::kFailure, 0);
  REQUIRE(rig.outbox.alerts.size() == 1);
  CHECK(rig.outbox.alerts[0].channel == "webhook");
  CHECK(rig.outbox.alerts[0].attempts == 1);
  CHECK(rig.outbox.alerts[0].last_error == "Failed to connect to hooks.example.org port 443");
  CHECK(rig.events.names() == std::vector<std::string>{"notify.failed", "notify.sent",
                                                       "notify.sent", "notify.kept",
                                                       "notify.sent"});

  rig.transport.http.clear();
  rig.run("r2", RunStatus::kSuccess, 15);
  // r1's failure first, then r2's recovery; then the ping.
  REQUIRE(rig.transport.http.size() == 3);
  CHECK(json::parse(rig.transport.http[0].body)["run_id"] == "r1");
  CHECK(json::parse(rig.transport.http[0].body)["event"] == "failure");
  CHECK(json::parse(rig.transport.http[1].body)["event"] == "recovery");
  CHECK(rig.outbox.alerts.empty());
}

TEST_CASE("a channel that fails is not tried again in the same run", "[notify]") {
  Rig rig;
  rig.transport.answers = {{false, "timed out"}};
  rig.run("r1", RunStatus::kFailure, 0);  // webhook fails: kept
  rig.transport.answers = {{false, "timed out"}};
  rig.transport.http.clear();
  rig.run("r2", RunStatus::kSuccess, 15);  // r1's webhook fails again; r2's waits untried
  std::size_t posts = 0;
  for (const auto& h : rig.transport.http) posts += h.method == "POST";
  CHECK(posts == 1);
  REQUIRE(rig.outbox.alerts.size() == 2);
  CHECK(rig.outbox.alerts[0].attempts == 2);
  CHECK(rig.outbox.alerts[1].attempts == 0);
}

TEST_CASE("alerts are given up after 24 h, and those of a channel no longer configured",
          "[notify]") {
  Rig rig;
  // Retried for 23 h 50 min by earlier runs, the last try a quarter of an hour ago.
  const std::int64_t now = unix_ms(rig.clock.now());
  PendingAlert old{
      0,  "webhook", "failure", "r0", "failure", R"({"started_at":"x"})", now - 24 * 3'600'000,
      40, "HTTP 503"};
  old.tried_ms = (23 * 60 + 50) * 60'000;
  old.last_ms = now;
  rig.outbox.add(old);
  rig.outbox.add({0, "pager", "failure", "r0", "failure", "{}", 0, 0, ""});
  rig.run("r1", RunStatus::kIdle, 15);
  CHECK(rig.outbox.alerts.empty());
  REQUIRE(rig.events.all.size() == 3);  // two dropped, then the ping
  CHECK(rig.events.all[0].name == "failed");
  CHECK(rig.events.all[0].msg.find("not delivered in 24 h (40 attempts; last: HTTP 503)") !=
        std::string::npos);
  CHECK(rig.events.all[1].msg.find("no longer has notify.pager") != std::string::npos);
  CHECK(rig.transport.http.size() == 1);  // only the ping
}

TEST_CASE("a clock stepped two days ahead does not age a kept alert by two days", "[notify]") {
  Rig rig;
  rig.transport.answers = {{false, "timed out"}};
  rig.run("r1", RunStatus::kFailure, 0);  // tried once, kept
  REQUIRE(rig.outbox.alerts.size() == 1);
  rig.clock.step(std::chrono::hours(48));
  rig.transport.answers = {{false, "timed out"}};
  rig.run("r2", RunStatus::kFailure, 48 * 60 + 15);
  REQUIRE(rig.outbox.alerts.size() == 1);  // still kept: tried twice, an hour apart at most
  CHECK(rig.outbox.alerts[0].attempts == 2);
  CHECK(rig.outbox.alerts[0].tried_ms == 3'600'000);
  rig.run("r3", RunStatus::kFailure, 48 * 60 + 30);
  CHECK(rig.outbox.alerts.empty());  // delivered
}

TEST_CASE(
    "an alert refused for good is dropped with the receiver's words and holds back no "
    "other",
    "[notify]") {
  Rig rig;
  rig.transport.answers = {{false, "the server answered HTTP 400: bad payload", true}};
  rig.run("r1", RunStatus::kFailure, 0);
  CHECK(rig.outbox.alerts.size() == 0);  // the webhook's was refused for good; the mail went
  bool said = false;
  for (const auto& e : rig.events.all) {
    said = said || (e.name == "failed" &&
                    e.msg.find("dropped: refused for good: the server answered HTTP 400: bad "
                               "payload") != std::string::npos);
  }
  CHECK(said);
  CHECK(rig.transport.mail.size() == 1);
}

TEST_CASE("the run's deliveries stop at its budget and at a stop signal; the rest is kept",
          "[notify]") {
  Rig rig(std::string(kConfig) + "  budget: 1s\n");
  // Each delivery takes the fake transport no time: the budget is spent by the clock.
  rig.transport.on_send = [&] { rig.clock.advance(Millis(1500)); };
  rig.run("r1", RunStatus::kFailure, 0);
  CHECK(rig.transport.http.size() + rig.transport.mail.size() == 1);  // then the budget was spent
  CHECK(rig.outbox.alerts.size() == 2);  // the mail and the command wait, untried
  for (const auto& a : rig.outbox.alerts) CHECK(a.attempts == 0);
  CHECK(rig.events.text().find("notify.budget, 1s) is spent") != std::string::npos);
}

TEST_CASE("no secret from the environment reaches an event", "[notify]") {
  Rig rig;
  // A transport that repeats the URL and headers in its error, as a careless library might.
  rig.transport.answers = {
      {false, "refused https://hooks.example.org/T0/B0 with Bearer " + kSecretToken},
      {false, "login mailer-user:" + kSecretPassword + " refused"},
      {false, "no route to hc.example.org/ping/5e1f0c2a-uuid"}};
  rig.supervisor.script("/usr/local/bin/page-me", {FakeSupervisor::exited(3)});
  rig.run("r1", RunStatus::kFailure, 0);
  const std::string text = rig.events.text();
  for (const auto& [name, value] : environment()) {
    if (value.size() >= 4) CHECK(text.find(value) == std::string::npos);
  }
  CHECK(text.find("Bearer ${env.HOOK_TOKEN}") != std::string::npos);
  CHECK(text.find("login ${env.SMTP_USER}:${env.SMTP_PASSWORD} refused") != std::string::npos);
  CHECK(text.find("exit code 3") != std::string::npos);
  for (const auto& a : rig.outbox.alerts) {
    CHECK(a.last_error.find(kSecretToken) == std::string::npos);
    CHECK(a.last_error.find(kSecretPassword) == std::string::npos);
  }
}

TEST_CASE("without a state store alerts are sent once and not kept", "[notify]") {
  Rig rig;
  rig.use_outbox = false;
  rig.transport.answers = {{false, "HTTP 500"}};
  rig.run("r1", RunStatus::kFailure, 0);
  CHECK(rig.events.all[0].msg.find("(not kept)") != std::string::npos);
  CHECK(rig.transport.mail.size() == 1);

  Rig full;
  full.outbox.fail_add = true;
  full.run("r1", RunStatus::kFailure, 0);
  CHECK(full.events.names().front() == "notify.warning");
  CHECK(full.transport.mail.size() == 1);  // still sent
}

TEST_CASE("an address with a line break is refused, not sent", "[notify]") {
  Rig rig;
  rig.env["SMTP_USER"] = "x";
  rig.config.notify->email->from = Template("${env.FROM}", {});
  rig.env["FROM"] = "a@b.org\r\nBcc: everyone@example.org";
  rig.run("r1", RunStatus::kFailure, 0);
  CHECK(rig.transport.mail.empty());
  CHECK(rig.events.text().find("holds a line break") != std::string::npos);
}

TEST_CASE("a subject outside ASCII is an encoded word", "[notify]") {
  Rig rig;
  RunReport r = report_of("r1", RunStatus::kFailure, 0);
  r.host = "büro-1";
  json p = alert_payload({"failure", {"r1", "2026-11-01T00:00:00Z", 1}}, r, "");
  CHECK(alert_subject(p).find("büro-1") != std::string::npos);
  CHECK(p["report"].is_null());
  Notifier({rig.config, nullptr, rig.transport, rig.supervisor, rig.env, rig.clock, rig.events, {}})
      .after_run(r, "", {});
  REQUIRE(rig.transport.mail.size() == 1);
  std::map<std::string, std::string> headers(rig.transport.mail[0].headers.begin(),
                                             rig.transport.mail[0].headers.end());
  CHECK(headers["Subject"].rfind("=?UTF-8?B?", 0) == 0);
  // Folded between encoded words of at most 75 characters, lines of at most 78.
  const std::string subject = "Subject: " + headers["Subject"];
  std::size_t from = 0;
  int lines = 0;
  for (std::size_t end;
       (end = subject.find("\r\n", from)) != std::string::npos || from <= subject.size();) {
    if (end == std::string::npos) end = subject.size();
    CHECK(end - from <= 78);
    ++lines;
    from = end + 2;
  }
  CHECK(lines >= 2);
}
