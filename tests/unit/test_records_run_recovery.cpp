#include <catch2/catch.hpp>

#include "fakes/fake_file_system.hpp"
#include "records/audit_reporter.hpp"
#include "records/run_recovery.hpp"
#include "support/abs_path.hpp"

using namespace pipeline;
using pipeline::testing::FakeFileSystem;

namespace {

const std::string kDead = "018bcfe5-6800-7000-8000-00000000dead";
const std::string kOwner = R"({"pid":4242,"host":"box","run_id":")" + kDead +
                           R"(","started_at":"2026-01-01T00:00:00.000+00:00",)"
                           R"("stage_processes":["session=5000 start=7 boot=b"]})";

/// A process table where some pids carry the dead run's id; kill removes them.
struct FakeTable {
  std::map<std::int64_t, std::string> run_of;  // pid -> PIPELINE_RUN_ID
  std::vector<std::int64_t> killed;
  std::vector<std::string> asked_stages;  // the stage identities recovery passed on
  RunProcesses processes() {
    return {[this](const std::string& id, const std::vector<std::string>& stages) {
              asked_stages = stages;
              std::vector<std::int64_t> out;
              for (const auto& [pid, run] : run_of) {
                if (run == id) out.push_back(pid);
              }
              return out;
            },
            [this](std::int64_t pid) {
              killed.push_back(pid);
              return run_of.erase(pid) > 0;
            }};
  }
};

}  // namespace

TEST_CASE("a clean previous exit leaves nothing to recover", "[recovery]") {
  FakeFileSystem files;
  FakeTable table;
  AuditStore reports(files, "/l/reports"_abs);
  CHECK_FALSE(recover_dead_run("", "box", reports, table.processes()).has_value());
  CHECK_FALSE(recover_dead_run("not json", "box", reports, table.processes()).has_value());
  CHECK_FALSE(recover_dead_run(R"({"run_id":"../x"})", "box", reports, table.processes()));
}

TEST_CASE("only the dead run's own processes are killed - found by its run id", "[recovery]") {
  FakeFileSystem files;
  FakeTable table;
  table.run_of = {
      {5000, kDead}, {5001, kDead}, {5002, "018bcfe5-6800-7000-8000-0000000000ff"}, {5003, ""}};
  AuditStore reports(files, "/l/reports"_abs);
  auto rec = recover_dead_run(kOwner, "box", reports, table.processes());
  REQUIRE(rec);
  CHECK(rec->run_id == kDead);
  CHECK(rec->pid == 4242);
  CHECK(rec->killed == std::vector<std::int64_t>{5000, 5001});
  CHECK(table.killed == std::vector<std::int64_t>{5000, 5001});
  CHECK(table.run_of.count(5002) == 1);  // another run's process, same group number or not
  CHECK(rec->report_missing);
  // The running stage's identity from the lock record went to the platform's search too.
  CHECK(table.asked_stages == std::vector<std::string>{"session=5000 start=7 boot=b"});
}

TEST_CASE("a dead run on another host: nothing is killed here", "[recovery]") {
  FakeFileSystem files;
  FakeTable table;
  table.run_of = {{5000, kDead}};
  AuditStore reports(files, "/l/reports"_abs);
  auto rec = recover_dead_run(kOwner, "other-box", reports, table.processes());
  REQUIRE(rec);
  CHECK(rec->killed.empty());
  CHECK(table.killed.empty());
}

TEST_CASE("a dead run that did write its report is not reported missing", "[recovery]") {
  FakeFileSystem files;
  RunReport dead;
  dead.run_id = kDead;
  AuditReporter(files, RecordLayout("/l"_abs, "/s")).write(dead);
  FakeTable table;
  AuditStore reports(files, "/l/reports"_abs);
  auto rec = recover_dead_run(kOwner, "box", reports, table.processes());
  REQUIRE(rec);
  CHECK_FALSE(rec->report_missing);
}
