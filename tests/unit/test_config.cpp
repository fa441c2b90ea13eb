#include <catch2/catch.hpp>
#include <sstream>

#include "config/config.hpp"
#include "support/abs_path.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

using namespace pipeline;
using pipeline::testing::slurp;

namespace {

std::optional<std::string> no_env(const std::string&) {
  return std::nullopt;
}

Config parse(const std::string& text) {
  return parse_config(text, "/etc/p/pipeline.yaml"_abs, no_env);
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kHead = "version: 1\npipeline: demo\n";

}  // namespace

TEST_CASE("a full config loads with defaults filled in", "[config]") {
  Config c = parse(kHead + R"(root: ..
paths:
  raw: data/raw
  out: /abs/out
defaults:
  timeout: 1h
  grace: 2s
  env: {A: "1"}
stages:
  - name: first
    command: ["${root}/bin/t", "${inputs}"]
    env: {B: "${paths.raw}"}
    when:
      files: ["${paths.raw}/*.csv", "${paths.raw}/*.tsv"]
      days_of_month: [1, 15]
    completion: "^DONE$"
    progress: "^did (\\S+)$"
    retries: 2
    retry_on: [timeout, "exit:75"]
    backoff: {initial: 1s, factor: 3}
  - name: second
    command: [merge]
    when: {after: [first], missing: "${paths.out}/x_${prev_month:%Y_%m}.csv"}
lifecycle:
  - delete: first.inputs
  - move: first.inputs
    to: "${paths.out}/${date:%Y}"
    when_succeeded: [first, second]
lock: {wait: 30s}
)");
  CHECK(c.pipeline == "demo");
  CHECK(c.root == fs::path("/etc"_abs));
  CHECK(c.paths.at(0) == std::pair<std::string, fs::path>{"raw", "/etc/data/raw"_abs});
  CHECK(c.paths.at(1).second == fs::path("/abs/out"_abs));
  CHECK(c.logs == fs::path("/etc/logs"_abs));
  CHECK(c.state == fs::path("/etc/state"_abs));
  REQUIRE(c.stages.size() == 2);
  const auto& first = c.stages[0];
  CHECK(first.timeout == Millis(3'600'000));
  CHECK(first.hang_timeout == Millis(300'000));
  CHECK(first.grace == Millis(2000));
  CHECK(first.retries == 2);
  CHECK(first.backoff.initial == Millis(1000));
  CHECK(first.backoff.factor == 3.0);
  CHECK(first.backoff.max == Millis(300'000));
  REQUIRE(first.retry_on.size() == 2);
  CHECK(first.retry_on[1].kind == RetryCondition::Kind::kExitCode);
  CHECK(first.retry_on[1].code == 75);
  CHECK(first.when->files.size() == 2);
  // env: defaults (PYTHONUNBUFFERED, A) then the stage's own
  REQUIRE(first.env.size() == 3);
  CHECK(first.env[0].first == "PYTHONUNBUFFERED");
  CHECK(first.env[2].first == "B");
  CHECK(c.stages[1].retries == 0);
  CHECK(c.stages[1].when->after == std::vector<std::string>{"first"});
  REQUIRE(c.lifecycle.size() == 2);
  CHECK(c.lifecycle[0].when_succeeded == std::vector<std::string>{"first"});
  CHECK(c.lock_wait == Millis(30'000));
  CHECK(c.sha256.size() == 64);
}

TEST_CASE("config errors name file - line and column", "[config]") {
  CHECK(error_of(kHead + "stages:\n  - name: a\n    comand: [x]\n") ==
        "/etc/p/pipeline.yaml:5:5: unknown key 'comand' in a stage; did you mean 'command'?"_abs);
  CHECK(error_of(kHead + "stages:\n  - name: a\n    command: [x]\n    timeout: 30\n") ==
        "/etc/p/pipeline.yaml:6:14: timeout '30' is not a duration: write a number with a unit "_abs
        "(ms, s, m, h, d), e.g. 30s or 1h30m");
  CHECK_THAT(error_of(kHead + "stages:\n  - name: a\n    command: \"x --y\"\n"),
             Catch::StartsWith("/etc/p/pipeline.yaml:5:14: stage 'a': command must be a list"_abs));
  CHECK(error_of(kHead + "stages:\n  - name: a\n    command: [\"${nope}\"]\n") ==
        "/etc/p/pipeline.yaml:5:15: unknown placeholder ${nope}"_abs);
  CHECK(error_of(kHead + "stages: [\n").find("/etc/p/pipeline.yaml:4:1: "_abs) == 0);
  CHECK(error_of(kHead + "stagse: []\n") ==
        "/etc/p/pipeline.yaml:3:1: unknown key 'stagse' in the config; did you mean 'stages'?"_abs);
}

TEST_CASE("config validation refuses what it cannot run", "[config]") {
  auto stage = [](const std::string& extra) {
    return kHead + "stages:\n  - name: a\n    command: [x]\n" + extra;
  };
  CHECK(error_of("pipeline: x\nstages: []\n").find("'version: 1' is required") !=
        std::string::npos);
  CHECK(error_of("version: 2\npipeline: x\nstages: []\n").find("unsupported config version 2") !=
        std::string::npos);
  CHECK(error_of(kHead + "stages: []\n").find("at least one stage") != std::string::npos);
  CHECK(error_of(kHead + "stages:\n  - name: Bad Name\n    command: [x]\n")
            .find("must be 1-32 of a-z") != std::string::npos);
  CHECK(error_of(stage("  - name: a\n    command: [y]\n")).find("already defined") !=
        std::string::npos);
  CHECK(error_of(stage("    completion: \"(\"\n"))
            .find("not a regular expression the runner can run") != std::string::npos);
  CHECK(error_of(stage("    progress: \"^done$\"\n")).find("exactly 1 capture group") !=
        std::string::npos);
  CHECK(error_of(stage("    retry_on: [timout]\n")).find("did you mean 'timeout'?") !=
        std::string::npos);
  CHECK(error_of(stage("    retry_on: [\"exit:0\"]\n")).find("unknown retry condition") !=
        std::string::npos);
  CHECK(error_of(stage("    when: {days_of_month: [32]}\n")).find("out of range (1 to 31)") !=
        std::string::npos);
  CHECK(error_of(stage("    when: {after: [later]}\n")).find("not a stage defined before") !=
        std::string::npos);
  CHECK(error_of(stage("    when: {}\n")).find("at least one condition") != std::string::npos);
  CHECK(error_of(stage("    timeout: 0s\n")).find("timeout must be more than 0s") !=
        std::string::npos);
  CHECK(error_of(stage("    env: {\"1X\": a}\n")).find("not a valid environment name") !=
        std::string::npos);
  CHECK(error_of(stage("lifecycle:\n  - delete: a.inputs\n")).find("has no when.files") !=
        std::string::npos);
  CHECK(error_of(stage("lifecycle:\n  - move: a.inputs\n")).find("has no when.files") !=
        std::string::npos);
  CHECK(error_of(stage("batches: {hotfolder: x}\n")).find("batches needs 'archive'") !=
        std::string::npos);
  CHECK(error_of(stage("    backoff: {factor: 0.5}\n")).find("between 1 and 100") !=
        std::string::npos);
  CHECK(error_of(kHead + "timeout: 5m\nstages: []\n").find("unknown key 'timeout'") !=
        std::string::npos);
}

TEST_CASE("lifecycle rules are checked against the stages", "[config]") {
  std::string base =
      kHead + "stages:\n  - name: a\n    command: [x]\n    when: {files: \"*.csv\"}\n";
  CHECK(error_of(base + "lifecycle:\n  - move: a.inputs\n").find("needs 'to'") !=
        std::string::npos);
  CHECK(error_of(base + "lifecycle:\n  - delete: b.inputs\n").find("unknown stage 'b'") !=
        std::string::npos);
  CHECK(error_of(base + "lifecycle:\n  - delete: a.outputs\n").find("must be STAGE.inputs") !=
        std::string::npos);
  CHECK(error_of(base + "lifecycle:\n  - delete: a.inputs\n    move: a.inputs\n")
            .find("exactly one of") != std::string::npos);
  CHECK(error_of(base + "lifecycle:\n  - delete: a.inputs\n    when_succeeded: [zz]\n")
            .find("unknown stage 'zz'") != std::string::npos);
}

TEST_CASE("root and paths may use the runner's environment", "[config]") {
  auto env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "DATA") return "/srv/data"_abs;
    return std::nullopt;
  };
  Config c = parse_config(kHead +
                              "root: ${env.DATA}\npaths: {raw: \"${root}/raw/\"}\n"
                              "stages:\n  - name: a\n    command: [x]\n",
                          "/etc/p.yaml"_abs, env);
  CHECK(c.root == fs::path("/srv/data"_abs));
  CHECK(c.paths[0].second == fs::path("/srv/data/raw"_abs));
  CHECK_THROWS_WITH(
      parse_config(kHead + "root: ${env.MISSING}\nstages: []\n", "/etc/p.yaml"_abs, env),
      "/etc/p.yaml:3:7: environment variable MISSING is not set"_abs);
}

TEST_CASE("suggestions only for near misses", "[config]") {
  CHECK(nearest_word("timout", {"timeout", "grace"}) == "timeout");
  CHECK(nearest_word("hang_timout", {"timeout", "hang_timeout"}) == "hang_timeout");
  CHECK(nearest_word("stagse", {"state", "stages"}) == "stages");  // a swap is one typo
  CHECK_FALSE(nearest_word("zebra", {"timeout", "grace"}).has_value());
}

TEST_CASE("a hostile config is refused when it loads, not half way through a run",
          "[config][hostile]") {
  auto stage = [](const std::string& extra) {
    return kHead + "stages:\n  - name: a\n    command: [x]\n" + extra;
  };
  // Durations: at most a year; 200000d once overflowed into a 3 ms timeout.
  CHECK(error_of(stage("    timeout: 200000d\n")) ==
        "/etc/p/pipeline.yaml:6:14: timeout '200000d' is more than 365d, the longest allowed"_abs);
  CHECK_THAT(error_of(kHead + "lock: {wait: 9999999h}\nstages:\n  - name: a\n    command: [x]\n"),
             Catch::Contains("more than 365d"));
  CHECK(parse(stage("    timeout: 365d\n")).stages[0].timeout == std::chrono::hours(24 * 365));
  // Patterns RE2 cannot match in bounded time are refused, and say why.
  CHECK_THAT(error_of(stage("    completion: \"^(a)\\\\1$\"\n")),
             Catch::Contains("cannot be matched in bounded time"));
  CHECK_THAT(error_of(stage("    progress: \"^(?=x)(\\\\w+)\"\n")),
             Catch::Contains("not a regular expression the runner can run"));
  CHECK(parse(stage("    progress: \"^(a+)+$\"\n")).stages[0].progress == "^(a+)+$");
  // ${env.NAME} unset under cron is found now; a default makes it optional.
  CHECK(
      error_of(stage("    when: {files: \"${env.INBOX}/*.csv\"}\n")) ==
      "/etc/p/pipeline.yaml:6:19: environment variable INBOX is not set (a run under cron has "_abs
      "almost no environment); set it, or give a default: ${env.INBOX:-default}");
  CHECK_THAT(
      error_of(kHead + "stages:\n  - name: a\n    command: [x]\n    when: {files: \"*.csv\"}\n"
                       "lifecycle:\n  - move: a.inputs\n    to: \"${env.ARCHIVE}\"\n"),
      Catch::Contains("environment variable ARCHIVE is not set"));
  CHECK_THAT(error_of(stage("    env: {A: \"${env.HOME:x}\"}\n")),
             Catch::Contains("a default is written ${env.HOME:-default}"));
  auto cfg = parse(stage("    when: {files: \"${env.INBOX:-/srv/in}/*.csv\"}\n"));
  CHECK(cfg.stages[0].when->files[0].source() == "${env.INBOX:-/srv/in}/*.csv");
}

TEST_CASE("the example configs load, and the README shows the Windows one as it is", "[config]") {
  for (const char* name : {"pipeline.yaml", "windows-example.yaml"}) {
    INFO(name);
    Config cfg = load_config(fs::path(SOURCE_DIR) / "config" / name, no_env);
    REQUIRE(cfg.schedule);
    CHECK(cfg.schedule->every == std::chrono::minutes(15));
  }
  Config win = load_config(fs::path(SOURCE_DIR) / "config" / "windows-example.yaml", no_env);
  if (fs::path("C:/x").is_absolute()) {  // Windows: drive letters and UNC shares as they are
    CHECK(win.root.generic_string() == "C:/pipelines/market");
    CHECK(win.paths.at(0).second.generic_string() == "D:/incoming/ticks");
    CHECK(win.paths.at(1).second.generic_string() == "C:/pipelines/market/data/processed");
    CHECK(win.paths.at(2).second.generic_string() == "R:/archive/market");
  }
  // A UNC path where the C++ library would read \\server\share as C:\server\share: refused.
  for (const std::string unc : {"'\\\\fileserver\\archive'", "//fileserver/archive"}) {
    INFO(unc);
    const std::string yaml =
        kHead + "paths: {archive: " + unc + "}\nstages: [{name: a, command: [x]}]\n";
    if (unc_path_unsupported("//fileserver/archive")) {
      CHECK_THAT(error_of(yaml), Catch::Contains("pipeline.yaml:3:18: paths.archive") &&
                                     Catch::Contains("is a UNC path") &&
                                     Catch::Contains("map the share to a drive letter"));
    } else {
      CHECK(error_of(yaml) == "(no error)");
    }
  }
  // Text outside ASCII is UTF-8, on every platform.
  const std::string accented = kHead +
                               "root: /srv/Donn\xC3\xA9"
                               "es\nstages: [{name: a, command: [x]}]\n";
  CHECK_THAT(path_text(parse(accented).root), Catch::EndsWith("/srv/Donn\xC3\xA9"
                                                              "es"));
  CHECK(parse(accented).root.filename().u8string() == u8"Donn\u00E9es");
  std::string indented;  // a README code block: each line four spaces in
  std::istringstream lines(slurp(fs::path(SOURCE_DIR) / "config" / "windows-example.yaml"));
  for (std::string line; std::getline(lines, line);) {
    indented += (line.empty() ? "" : "    ") + line + "\n";
  }
  CHECK_THAT(slurp(fs::path(SOURCE_DIR) / "README.md"), Catch::Contains(indented));
}

TEST_CASE("notify and metrics load, with their defaults", "[config]") {
  auto env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "HOOK_TOKEN") return "t";
    return std::nullopt;
  };
  Config c = parse_config(kHead + R"(stages:
  - name: a
    command: [a]
schedule: {every: 15m}
notify:
  on: [failure, stale]
  timeout: 20s
  ca_file: certs/ca.pem
  webhook:
    url: "https://hooks.example.org/x"
    headers: {Authorization: "Bearer ${env.HOOK_TOKEN}"}
  email:
    server: "smtps://mail.example.org:465"
    from: p@example.org
    to: team@example.org
    timeout: 5s
  command: [page-me, "${notify.event}", "${run_id}", "${notify.pipeline}"]
  ping: {url: "https://hc.example.org/ping/1"}
metrics: {textfile: "${state}/node/pipeline.prom"}
)",
                          "/etc/p/pipeline.yaml"_abs, env);
  REQUIRE(c.notify);
  const NotifyConfig& n = *c.notify;
  CHECK(n.on.failure);
  CHECK(n.on.stale);
  CHECK_FALSE(n.on.recovery);
  CHECK(n.ca_file == "/etc/p/certs/ca.pem"_abs);
  CHECK(n.webhook->timeout == Millis(20'000));
  CHECK(n.email->timeout == Millis(5'000));
  CHECK(n.email->to.size() == 1);
  CHECK(n.command.size() == 4);
  CHECK(n.command_timeout == Millis(20'000));
  CHECK(n.ping->timeout == Millis(20'000));
  REQUIRE(c.metrics);
  CHECK(c.metrics->textfile == "/etc/p/state/node/pipeline.prom"_abs);

  Config d = parse(kHead + "stages:\n  - name: a\n    command: [a]\nnotify: {command: [x]}\n");
  CHECK(d.notify->on.failure);
  CHECK(d.notify->on.recovery);
  CHECK_FALSE(d.notify->on.success);
  CHECK(d.notify->command_timeout == Millis(10'000));
}

TEST_CASE("notify and metrics refuse what cannot be delivered", "[config]") {
  const std::string stages = "stages:\n  - name: a\n    command: [a]\n";
  auto err = [&](const std::string& tail) { return error_of(kHead + stages + tail); };
  CHECK_THAT(err("notify: {on: [failure]}\n"),
             Catch::Contains("notify needs at least one of webhook, email, command or ping"));
  CHECK_THAT(err("notify:\n  on: [failures]\n  command: [x]\n"),
             Catch::Contains("unknown notify.on 'failures'") && Catch::Contains("'failure'"));
  CHECK_THAT(err("notify:\n  on: [stale]\n  command: [x]\n"),
             Catch::Contains("'stale' needs 'schedule.every'"));
  CHECK_THAT(err("notify:\n  webhook: {url: \"ftp://x/y\"}\n"),
             Catch::Contains(":7:18:") && Catch::Contains("must start with https:// or http://"));
  CHECK_THAT(err("notify:\n  email: {server: \"mail.example.org\", from: a@b, to: [c@d]}\n"),
             Catch::Contains("must start with smtp:// or smtps://"));
  CHECK_THAT(err("notify:\n  email: {server: \"smtp://m\", from: a@b}\n"),
             Catch::Contains("notify.email needs 'to'"));
  CHECK_THAT(err("notify:\n  email: {server: \"smtp://m\", from: a@b, to: [c@d], password: x}\n"),
             Catch::Contains("password needs 'user'"));
  CHECK_THAT(err("notify:\n  webhook: {url: \"https://x\", headers: {\"Bad Name\": v}}\n"),
             Catch::Contains("'Bad Name' is not an HTTP header name"));
  CHECK_THAT(err("notify:\n  webhook: {url: \"https://x\", timeout: 10m}\n"),
             Catch::Contains("notify.webhook.timeout must be between 1ms and 5m"));
  CHECK_THAT(err("notify:\n  command: \"page-me now\"\n"),
             Catch::Contains("notify.command must be a list"));
  CHECK_THAT(err("notify:\n  command: [x, \"${stage}\"]\n"),
             Catch::Contains("${stage} is only known inside a stage"));
  CHECK_THAT(err("notify:\n  command: [x, \"${env.NOT_SET_ANYWHERE}\"]\n"),
             Catch::Contains("environment variable NOT_SET_ANYWHERE is not set"));
  CHECK_THAT(err("notify:\n  command: [x, \"${notify.evnt}\"]\n"),
             Catch::Contains("unknown placeholder ${notify.evnt}"));
  CHECK_THAT(error_of(kHead + "stages:\n  - name: a\n    command: [a, \"${notify.event}\"]\n"),
             Catch::Contains("${notify.event} is only known in the notify section"));
  CHECK_THAT(err("metrics: {textfile: m.txt}\n"), Catch::Contains("must end in .prom"));
  CHECK_THAT(err("metrics: {}\n"), Catch::Contains("metrics needs 'textfile'"));
  CHECK_THAT(err("notify:\n  webhook: {url: \"https://x\", header: {}}\n"),
             Catch::Contains("did you mean 'headers'?"));
}
