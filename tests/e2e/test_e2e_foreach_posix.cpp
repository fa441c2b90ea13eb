// SPEC 12's `foreach: input` against the built binary: one real process per input, each
// with its own logs and record, read back by `audit show` and `audit list`; the lifecycle
// takes only the inputs whose item succeeded, so the next run retries exactly the others.
#include "support/e2e_posix.hpp"

using namespace pipeline::testing;

TEST_CASE("foreach: one process per input, the failed input retried by the next run",
          "[e2e][foreach]") {
  Project p;
  p.config(
      "stages:\n  - name: each\n"
      "    command: [/bin/sh, -c, 'echo \"item $$PIPELINE_ITEM: $$1\"; case \"$$1\" in *bad*) "
      "echo broken >&2; exit 3;; esac', sh, \"${input}\"]\n"
      "    when: {files: \"in/*.csv\"}\n    foreach: input\n"
      "lifecycle:\n  - delete: each.inputs\n");
  for (const char* name : {"a.csv", "bad.csv", "c.csv"}) write_file(p.dir / "in" / name, "1\n");

  auto r = p.run("--run-once -q");
  INFO(r.err);
  CHECK(r.exit_code == 1);  // partial
  json report = p.latest_report();
  std::vector<std::string> inputs, statuses;
  for (const auto& s : report["stages"]) {
    inputs.push_back(s["item"]["input"]);
    statuses.push_back(s["status"]);
  }
  CHECK(inputs == std::vector<std::string>{"in/a.csv", "in/bad.csv", "in/c.csv"});
  CHECK(statuses == std::vector<std::string>{"succeeded", "failed", "succeeded"});
  const std::string run_id = report["run_id"];
  const fs::path logs = p.home() / "logs" / "stages" / run_id / "each";
  CHECK(slurp(logs / "item-2.stdout.log") ==
        "item 2: " + (p.dir / "in" / "bad.csv").string() + "\n");
  CHECK(slurp(logs / "item-2.stderr.log") == "broken\n");
  CHECK_FALSE(fs::exists(p.dir / "in" / "a.csv"));
  CHECK(fs::exists(p.dir / "in" / "bad.csv"));
  CHECK_FALSE(fs::exists(p.dir / "in" / "c.csv"));

  auto shown = p.run("audit show " + run_id);
  CHECK(shown.exit_code == 0);
  CHECK_THAT(shown.out, Catch::Contains("each [item 2: in/bad.csv]: failed"));
  CHECK_THAT(shown.out,
             Catch::Contains("items:\n  each: partial: 2 of 3 items succeeded, 1 failed\n"));

  CHECK(p.run("--run-once -q").exit_code == 2);  // its only item failed: a failure
  json again = p.latest_report();
  REQUIRE(again["stages"].size() == 1);
  CHECK(again["stages"][0]["item"]["input"] == "in/bad.csv");
  auto listed = p.run("audit list --stage each");
  CHECK(listed.exit_code == 0);
  CHECK_THAT(listed.out, Catch::Contains("failed"));
}

TEST_CASE("quarantine: a poison input is moved away after K runs; fixed, it goes through",
          "[e2e][foreach][quarantine]") {
  Project p;
  p.config(
      "stages:\n  - name: each\n"
      "    command: [/bin/sh, -c, 'grep -q poison \"$$1\" && { echo \"bad row\" >&2; exit 3; }; "
      "exit 0', sh, \"${input}\"]\n"
      "    when: {files: \"in/*.csv\"}\n    foreach: input\n"
      "    quarantine: {after: 2, to: \"${root}/poison\"}\n"
      "lifecycle:\n  - delete: each.inputs\n");
  write_file(p.dir / "in" / "bad.csv", "poison\n");
  CHECK(p.run("--run-once -q").exit_code == 2);
  CHECK(p.latest_report()["quarantined"].empty());
  CHECK(fs::exists(p.dir / "in" / "bad.csv"));

  write_file(p.dir / "in" / "good.csv", "1\n");
  CHECK(p.run("--run-once -q").exit_code == 1);  // good succeeded, bad failed again
  json report = p.latest_report();
  REQUIRE(report["quarantined"].size() == 1);
  const json& q = report["quarantined"][0];
  CHECK(q["input"] == "in/bad.csv");
  CHECK(q["to"] == "poison/bad.csv");
  CHECK(q["result"] == "quarantined");
  CHECK(q["failures"] == 2);
  CHECK_FALSE(fs::exists(p.dir / "in" / "bad.csv"));
  CHECK(slurp(p.dir / "poison" / "bad.csv") == "poison\n");
  CHECK_THAT(slurp(p.dir / "poison" / "bad.csv.error.txt"),
             Catch::Contains("failed in 2 consecutive runs") && Catch::Contains("exit 3"));
  auto shown = p.run("audit show " + report["run_id"].get<std::string>());
  CHECK_THAT(shown.out, Catch::Contains("quarantined:") &&
                            Catch::Contains("in/bad.csv -> poison/bad.csv: quarantined"));
  CHECK(p.run("--run-once -q").exit_code == 0);
  CHECK(p.latest_report()["status"] == "idle");

  // Fixed and put back, it starts from zero and goes through.
  write_file(p.dir / "in" / "bad.csv", "fixed\n");
  CHECK(p.run("--run-once -q").exit_code == 0);
  CHECK_FALSE(fs::exists(p.dir / "in" / "bad.csv"));
}

TEST_CASE("foreach: status names the input whose item failed", "[e2e][foreach][status]") {
  Project p;
  p.config(
      "stages:\n  - name: each\n    command: [/bin/sh, -c, 'exit 3']\n"
      "    when: {files: \"in/*.csv\"}\n    foreach: input\n");
  write_file(p.dir / "in" / "x.csv", "1\n");
  CHECK(p.run("--run-once -q").exit_code == 2);
  auto text = p.run("status");
  CHECK_THAT(text.out, Catch::Contains("(input in/x.csv)"));
  json s = json::parse(p.run("status --json").out);
  CHECK(s["failing_stages"][0]["input"] == "in/x.csv");
}
