// SPEC 12's settle against the built binary: input files and manifests whose modification
// time the test sets are taken once they have been left alone for `settle`, not before.
#include "support/e2e_project.hpp"

using namespace pipeline::testing;

namespace {

void set_age(const fs::path& p, std::chrono::seconds age) {
  fs::last_write_time(p, fs::file_time_type::clock::now() - age);
}

}  // namespace

TEST_CASE("settle: a file still being written is left for a later run, then taken",
          "[e2e][settle]") {
  Project p;
  p.config("stages:\n  - name: load\n    command: " +
           misbehave("\"--print-args\", \"--\", \"${inputs}\"") +
           "\n    when: {files: \"in/*.csv\"}\n    settle: 10m\n"
           "lifecycle:\n  - delete: load.inputs\n");
  write_file(p.dir / "in" / "done.csv", "1\n");
  write_file(p.dir / "in" / "copying.csv", "half");
  set_age(p.dir / "in" / "done.csv", std::chrono::hours(1));
  set_age(p.dir / "in" / "copying.csv", std::chrono::seconds(5));

  auto plan = p.run("plan");
  CHECK_THAT(plan.out, Catch::Contains("1 file still settling (modified within 10m"));
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  json load = stage(p.latest_report(), "load");
  CHECK(load["inputs_count"] == 1);
  CHECK_THAT(load["decision"]["reason"].get<std::string>(),
             Catch::Contains("1 file matches in/*.csv; 1 file still settling"));
  CHECK_FALSE(fs::exists(p.dir / "in" / "done.csv"));    // taken, and deleted after
  CHECK(slurp(p.dir / "in" / "copying.csv") == "half");  // never touched

  // Only the settling file is left, so the next run has nothing to do yet.
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  json idle = p.latest_report();
  CHECK(idle["status"] == "idle");
  CHECK_THAT(stage(idle, "load")["decision"]["reason"].get<std::string>(),
             Catch::Contains("no settled file matches in/*.csv: 1 file still settling"));

  write_file(p.dir / "in" / "copying.csv", "whole\n");              // the copy ends ...
  set_age(p.dir / "in" / "copying.csv", std::chrono::minutes(11));  // ... and is left alone
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  CHECK(stage(p.latest_report(), "load")["inputs_count"] == 1);
  CHECK_FALSE(fs::exists(p.dir / "in" / "copying.csv"));
}

TEST_CASE("batches.settle: a manifest still being written is claimed by a later run",
          "[e2e][settle]") {
  Project p;
  p.config(kBatchYaml + "  settle: 1m\n" + "stages:\n  - name: load\n    command: " +
           misbehave("\"--print\", \"${batch.id}\"") + "\n");
  write_file(p.dir / "in" / "a.csv", "1\n");
  drop_manifest(p, "a_MANIFEST.json", batch_of("a", {"in/a.csv"}));
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 0);
  CHECK(p.latest_report()["status"] == "idle");
  CHECK(fs::exists(p.dir / "hot" / "a_MANIFEST.json"));
  CHECK_THAT(p.run("plan").out, Catch::Contains("1 manifest still settling"));

  set_age(p.dir / "hot" / "a_MANIFEST.json", std::chrono::minutes(2));
  CHECK(p.run("--run-once -q").exit_code == 0);
  CHECK(batch_in(p.latest_report(), "a")["status"] == "COMPLETED");
}
