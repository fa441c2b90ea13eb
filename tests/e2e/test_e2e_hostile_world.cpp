// SPEC 14 against the built binary, the part every platform shares: hostile manifests
// (nested, huge, naming the runner's own files), hostile regexes, absurd durations, and a
// plan of a batch pipeline. The rest (stray file types, full disks, signals, clocks, a runner
// that is not root) is in test_e2e_hostile_world_posix.cpp.
#include <map>
#include <tuple>

#include "support/e2e_project.hpp"

using namespace pipeline::testing;

TEST_CASE("hostile 1: a deeply nested or huge manifest is rejected, the hot folder flows on",
          "[e2e][hostile]") {
  Project p;
  p.config(kBatchYaml +
           "stages:\n  - name: load\n    command: " + misbehave("\"--print\", \"ok\""));
  std::string deep = "{\"batch_id\": \"deep\", \"x\": " + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  write_file(p.dir / "hot" / "deep_MANIFEST.json", deep);
  write_file(p.dir / "hot" / "huge_MANIFEST.json",
             "{\"batch_id\": \"huge\", \"pad\": \"" + std::string(3 << 20, 'a') + "\"}");
  write_file(p.dir / "in" / "good.csv", "1\n");
  drop_manifest(p, "good_MANIFEST.json", batch_of("good", {"in/good.csv"}));

  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 1);  // one batch done, two refused: partial
  json report = p.latest_report();
  CHECK(batch_in(report, "good")["status"] == "COMPLETED");
  CHECK(batch_in(report, "deep")["status"] == "REJECTED");
  CHECK_THAT(batch_in(report, "deep")["error"].get<std::string>(), Catch::Contains("deep"));
  CHECK(batch_in(report, "huge")["status"] == "REJECTED");
  // Refused as they came, never rewritten bigger, and out of the hot folder for good.
  CHECK(fs::file_size(p.dir / "error" / "deep" / "deep_MANIFEST.json") == deep.size());
  CHECK(p.files_in("hot").size() == 1);  // .claims only
  CHECK(p.run("--run-once -q").exit_code == 0);
  CHECK(p.latest_report()["status"] == "idle");
}

TEST_CASE("hostile 4: a manifest may not name the runner's own files", "[e2e][hostile]") {
  Project p;
  p.config(kBatchYaml +
           "stages:\n  - name: load\n    command: " + misbehave("\"--print\", \"ok\""));
  write_file(p.dir / "in" / "a.csv", "1\n");
  REQUIRE(p.run("--run-once -q").exit_code == 0);  // the lock, logs and history exist now
  std::string events = fs::relative(p.files_in("logs/events").at(0), p.dir.path()).string();
  write_file(p.dir / "in" / "extra_MANIFEST.json", "{}");
  const std::vector<std::tuple<std::string, std::string, std::string>> own = {
      {"lock", "state/runner.lock", "runner's state"},
      {"history", "state/pipeline.db", "runner's state"},
      {"config", "config/pipeline.yaml", "pipeline's config"},
      {"events", events, "runner's logs"},
      {"self", "hot/self_PROCESSING.json", "manifest"},
      {"other", "in/extra_MANIFEST.json", "manifest"}};
  for (const auto& [id, path, why] : own) {
    drop_manifest(p, id + "_MANIFEST.json", batch_of(id, {"in/a.csv", path}));
  }
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 2);  // every batch refused
  json report = p.latest_report();
  for (const auto& [id, path, why] : own) {
    INFO(id << " lists " << path);
    CHECK(batch_in(report, id)["status"] == "REJECTED");
    CHECK_THAT(batch_in(report, id)["error"].get<std::string>(), Catch::Contains(why));
  }
  for (const char* f : {"state/runner.lock", "state/pipeline.db", "config/pipeline.yaml",
                        "in/a.csv", "in/extra_MANIFEST.json"}) {
    CHECK(fs::is_regular_file(p.dir / f));
  }
  CHECK(slurp(p.dir / "state" / "runner.lock").empty());  // still the lock, released
  CHECK(fs::exists(p.dir / events));
}

TEST_CASE("hostile 6: user regexes go through RE2 - refused early or run in linear time",
          "[e2e][hostile]") {
  Project p;
  p.config("stages:\n  - name: s\n    command: " + misbehave("\"--print\", \"x\"") +
           "\n    progress: \"^(a+)\\\\1 (\\\\S+)$\"\n");
  auto check = p.run("config check");
  CHECK(check.exit_code == 4);
  CHECK_THAT(check.err, Catch::Contains("progress") && Catch::Contains("pipeline.yaml:"));
  CHECK(p.run("--run-once -q").exit_code == 4);  // refused before anything starts
  CHECK(p.files_in("logs/reports").empty());

  // The classic catastrophic pattern against long lines: matched in linear time, so the
  // stage ends when it ends, and the later stage runs.
  Project q;
  q.config("stages:\n  - name: flood\n    command: " +
           misbehave("\"--line-bytes\", \"8000\", \"--lines\", \"200\"") +
           "\n    progress: \"^(?:x+x+)+y (\\\\S+)$\"\n    completion: \"^(?:x|xx)+z$\"\n"
           "    timeout: 60s\n  - name: next\n    command: " +
           misbehave("\"--print\", \"ok\"") + "\n");
  CHECK(q.run("config check").exit_code == 0);
  auto r = q.run("--run-once -q");
  CHECK(r.exit_code == 0);
  json report = q.latest_report();
  CHECK(stage(report, "flood")["status"] == "succeeded");
  CHECK(stage(report, "flood")["attempts"][0]["timed_out"] == false);
  CHECK(stage(report, "next")["status"] == "succeeded");
}

TEST_CASE("hostile 8: durations over 365 days are refused", "[e2e][hostile]") {
  for (const char* field : {"timeout: 200000d", "hang_timeout: 366d", "grace: 9999999h"}) {
    INFO(field);
    Project p;
    p.config("stages:\n  - name: s\n    command: " + misbehave("\"--print\", \"x\"") + "\n    " +
             field + "\n");
    auto r = p.run("config check");
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains("more than 365d"));
  }
  Project lock;
  lock.config("lock: {wait: 500000d}\nstages:\n  - name: s\n    command: [x]\n");
  CHECK(lock.run("config check").exit_code == 4);
  Project ok;
  ok.config("stages:\n  - name: s\n    command: [x]\n    timeout: 365d\n");
  CHECK(ok.run("config check").exit_code == 0);
}

TEST_CASE("hostile 19: plan and --dry-run decide a batch pipeline per batch", "[e2e][hostile]") {
  Project p;
  p.config(kBatchYaml +
           "stages:\n  - name: load\n    command: " + misbehave("\"--print\", \"${batch.id}\"") +
           "\n    when: {files: \"${batch.files.units}\"}\n");
  auto empty = p.run("plan");
  CHECK(empty.exit_code == 0);
  CHECK_THAT(empty.out, Catch::Contains("no batch waits"));
  write_file(p.dir / "in" / "u.csv", "1\n");
  drop_manifest(p, "b1_MANIFEST.json", batch_of("b1", {}, {{"units", "in/u.csv"}}));
  drop_manifest(p, "b2_MANIFEST.json", batch_of("b2", {}, {{"units", "/etc/passwd"}}));
  auto plan = p.run("plan --json");
  REQUIRE(plan.exit_code == 0);
  json j = json::parse(plan.out);
  REQUIRE(j["batches"].size() == 2);
  std::map<std::string, json> by_id;
  for (const auto& b : j["batches"]) by_id[b["id"]] = b;
  CHECK(by_id["b1"]["stages"][0]["run"] == true);
  CHECK(by_id["b1"]["stages"][0]["inputs"] == json::array({"in/u.csv"}));
  CHECK_THAT(by_id["b2"]["rejected"].get<std::string>(), Catch::Contains("outside the root"));
  auto dry = p.run("--run-once --dry-run");
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.out, Catch::Contains("batch b1") && Catch::Contains("batch b2"));
  // Nothing was claimed or moved, and no run was recorded.
  CHECK(fs::exists(p.dir / "hot" / "b1_MANIFEST.json"));
  CHECK(fs::exists(p.dir / "hot" / "b2_MANIFEST.json"));
  CHECK(p.files_in("logs/reports").empty());
}
