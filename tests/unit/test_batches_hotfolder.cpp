// Batch mode (SPEC 8) against the fakes: claiming, validation, the moves, crash recovery.
#include <catch2/catch.hpp>

#include "batches/batch_hotfolder.hpp"
#include "batches/batch_listing.hpp"
#include "batches/batch_submit.hpp"
#include "support/abs_path.hpp"
#include "support/pipeline_harness.hpp"
#include "util/error.hpp"

using namespace pipeline;
using nlohmann::json;
using pipeline::testing::FakeSupervisor;
using pipeline::testing::PipelineHarness;

namespace {

const std::string kYaml = R"(paths: {hot: hot, archive: archive, error: error, in: in}
stages:
  - name: load
    command: [load, "${batch.id}", "${batch.manifest}", "${batch.files.units}", "${batch.raw_data}"]
  - name: report
    command: [report, "${batch.id}"]
    when: {after: [load]}
batches: {hotfolder: "${paths.hot}", archive: "${paths.archive}", error: "${paths.error}"}
)";

// An initializer_list, not a vector: {"a", "b"} would pick vector's iterator-pair constructor.
json manifest(const std::string& id, std::initializer_list<std::string> raw,
              const std::string& units = "in/units.csv") {
  return {{"batch_id", id},
          {"creation_timestamp", "2025-10-29T15:30:00Z"},
          {"status", "READY_FOR_PROCESSING"},
          {"files", {{"units", units}}},
          {"raw_data", std::vector<std::string>(raw)}};
}

// A producer's drop: the listed files (unless there already) and the manifest, at a given
// modification time.
void drop(PipelineHarness& h, const std::string& name, const json& m, std::int64_t mtime = 1) {
  const json files = m.value("files", json::object());  // named: items() must not outlive it
  for (const auto& [key, path] : files.items()) {
    if (!h.files.exists("/r"_abs / fs::path(path.get<std::string>()))) {
      h.files.add_file("/r"_abs / fs::path(path.get<std::string>()), "u");
    }
  }
  const json raw = m.value("raw_data", json::array());
  for (const auto& p : raw) {
    fs::path file = "/r"_abs / fs::path(p.get<std::string>());
    if (!h.files.exists(file)) h.files.add_file(file, "raw");
  }
  h.files.add_file("/r/hot/"_abs + name, m.dump(), mtime);
}

json read_json(PipelineHarness& h, const fs::path& p) {
  return json::parse(h.files.content(p));
}

std::vector<std::string> programs(const PipelineHarness& h) {
  std::vector<std::string> out;
  for (const auto& s : h.supervisor.specs) out.push_back(s.argv.at(0) + " " + s.argv.at(1));
  return out;
}

std::string rejection(PipelineHarness& h, const json& m) {
  drop(h, "x_MANIFEST.json", m);
  auto report = h.run();
  REQUIRE(report.batches.size() == 1);
  CHECK(report.batches[0].status == "REJECTED");
  CHECK(h.supervisor.specs.empty());
  return report.batches[0].error;
}

}  // namespace

TEST_CASE("a batch runs every stage with its placeholders and is archived", "[batch]") {
  PipelineHarness h(kYaml);
  drop(h, "any_MANIFEST.json", manifest("20251029153000", {"in/CN_data.csv", "in/US_data.csv"}));
  auto report = h.run();

  REQUIRE(h.supervisor.specs.size() == 2);
  CHECK(h.supervisor.specs[0].argv ==
        std::vector<std::string>{"load", "20251029153000",
                                 "/r/hot/20251029153000_PROCESSING.json"_abs, "/r/in/units.csv"_abs,
                                 "/r/in/CN_data.csv"_abs, "/r/in/US_data.csv"_abs});
  CHECK(h.supervisor.specs[0].stdout_log ==
        "/r/logs/stages/"_abs + report.run_id + "/20251029153000/load.stdout.log");
  for (const char* f : {"units.csv", "CN_data.csv", "US_data.csv"}) {
    CHECK(h.files.has_file(fs::path("/r/archive/20251029153000"_abs) / f));
    CHECK_FALSE(h.files.has_file(fs::path("/r/in"_abs) / f));
  }
  CHECK_FALSE(h.files.has_file("/r/hot/20251029153000_PROCESSING.json"_abs));
  CHECK_FALSE(h.files.has_file("/r/hot/any_MANIFEST.json"_abs));
  json done = read_json(h, "/r/archive/20251029153000/20251029153000_MANIFEST.json"_abs);
  CHECK(done["status"] == "COMPLETED");
  CHECK(done["run_id"] == report.run_id);
  CHECK(done["finished_at"].is_string());
  CHECK(done["error"].is_null());
  CHECK(done["runner"]["manifest"] == "any_MANIFEST.json");
  CHECK(h.locks.held.empty());

  CHECK(report.status == RunStatus::kSuccess);
  REQUIRE(report.batches.size() == 1);
  CHECK(report.batches[0].status == "COMPLETED");
  CHECK(report.batches[0].moved_to == "archive/20251029153000");
  CHECK(report.stages.size() == 2);
  CHECK(report.stages[0].batch == "20251029153000");
  auto names = h.event_names();
  CHECK(names.front() == "batch.claimed");
  CHECK(names.back() == "batch.archived");
  CHECK(h.events()[1]["batch"] == "20251029153000");  // stage events name their batch
}

TEST_CASE("a failing stage sends the batch to error with the reason", "[batch]") {
  PipelineHarness h(kYaml);
  h.supervisor.script("load", {FakeSupervisor::exited(65)});
  drop(h, "b_MANIFEST.json", manifest("b1", {"in/a.csv"}));
  auto report = h.run();
  CHECK(programs(h) == std::vector<std::string>{"load b1"});  // report's `after` did not hold
  json failed = read_json(h, "/r/error/b1/b1_MANIFEST.json"_abs);
  CHECK(failed["status"] == "FAILED");
  CHECK(failed["error"] == "load failed (exit code 65)");
  CHECK(h.files.has_file("/r/error/b1/a.csv"_abs));
  CHECK(h.files.has_file("/r/error/b1/units.csv"_abs));
  CHECK(report.status == RunStatus::kFailure);
  CHECK(report.exit_code == exit_code::kFailure);
  CHECK(h.event_names().back() == "batch.error");
}

TEST_CASE("one bad batch never stops the others; oldest first", "[batch]") {
  PipelineHarness h(kYaml);
  drop(h, "new_MANIFEST.json", manifest("new", {"in/n.csv"}, "in/u2.csv"), 30);
  drop(h, "broken_MANIFEST.json", manifest("broken", {"in/missing_dir/../../../etc/passwd"}), 10);
  h.files.add_file("/etc/passwd"_abs, "root:x:0:0");
  h.files.add_file("/r/hot/junk_MANIFEST.json"_abs, "{not json", 5);
  drop(h, "old_MANIFEST.json", manifest("old", {"in/o.csv"}), 20);
  h.supervisor.script("load", {FakeSupervisor::exited(1), FakeSupervisor::exited(0)});
  auto report = h.run();

  REQUIRE(report.batches.size() == 4);
  CHECK(report.batches[0].id == "junk");
  CHECK(report.batches[0].status == "REJECTED");
  CHECK(report.batches[0].error.find("not valid JSON") != std::string::npos);
  CHECK(report.batches[1].id == "broken");
  CHECK(report.batches[1].status == "REJECTED");
  CHECK(report.batches[2].id == "old");
  CHECK(report.batches[2].status == "FAILED");
  CHECK(report.batches[3].id == "new");
  CHECK(report.batches[3].status == "COMPLETED");
  CHECK(report.status == RunStatus::kPartial);
  CHECK(h.files.content("/etc/passwd"_abs) == "root:x:0:0");
  CHECK(h.files.has_file("/r/error/junk/junk_MANIFEST.json"_abs));
  CHECK(h.files.content("/r/error/junk/junk_MANIFEST.error.txt"_abs).find("not valid JSON") !=
        std::string::npos);
}

TEST_CASE("a manifest pointing outside root is rejected and nothing outside is touched",
          "[batch]") {
  PipelineHarness h(kYaml);
  h.files.add_file("/etc/passwd"_abs, "root:x:0:0");
  h.files.add_file("/r/in/inside.csv"_abs, "ok");

  SECTION("through ..") {
    std::string why = rejection(h, manifest("up", {"in/inside.csv", "../../etc/passwd"}));
    CHECK(why.find("outside the root") != std::string::npos);
  }
  SECTION("through a symlink inside root") {
    h.files.add_symlink("/r/in/link.csv"_abs, "/etc/passwd"_abs);
    std::string why = rejection(h, manifest("link", {"in/inside.csv", "in/link.csv"}));
    CHECK(why.find("resolves to " + "/etc/passwd"_abs) != std::string::npos);
  }
  SECTION("through a symlinked folder") {
    h.files.add_symlink("/r/in/etc"_abs, "../../etc");
    std::string why = rejection(h, manifest("dir", {"in/etc/passwd"}));
    CHECK(why.find("outside the root") != std::string::npos);
  }
  SECTION("as an absolute path") {
    std::string why = rejection(h, manifest("abs", {"/etc/passwd"_abs}));
    CHECK(why.find("outside the root") != std::string::npos);
  }
  CHECK(h.files.content("/etc/passwd"_abs) == "root:x:0:0");
  CHECK(h.files.has_file("/r/in/inside.csv"_abs));  // a rejected batch's files stay put
  for (const auto& [from, to] : h.files.moved) {
    CHECK(from.generic_string().rfind("/r/hot/"_abs, 0) == 0);  // only the manifest moved
  }
}

TEST_CASE("manifest validation says what is wrong", "[batch]") {
  PipelineHarness h(kYaml);
  json m = manifest("v1", {"in/a.csv"});
  std::string expected;
  SECTION("status") {
    m["status"] = "DRAFT";
    expected = "status is \"DRAFT\"";
  }
  SECTION("batch id") {
    m["batch_id"] = "../x";
    expected = "batch_id \"../x\" must be";
  }
  SECTION("files map") {
    m["files"] = json::array();
    expected = "\"files\" (an object";
  }
  SECTION("raw_data list") {
    m.erase("raw_data");
    expected = "\"raw_data\" (a list";
  }
  SECTION("a missing file") {
    h.files.add_file("/r/in/units.csv"_abs);
    h.files.add_file("/r/hot/x_MANIFEST.json"_abs, json(manifest("v1", {"in/nowhere.csv"})).dump());
    auto report = h.run();
    REQUIRE(report.batches.size() == 1);
    CHECK(report.batches[0].error == "raw_data[0] \"in/nowhere.csv\" does not exist");
    return;
  }
  SECTION("two files with one name") {
    h.files.add_file("/r/in/sub/a.csv"_abs);
    m["raw_data"] = {"in/a.csv", "in/sub/a.csv"};
    expected = "another listed file has the name a.csv";
  }
  std::string why = rejection(h, m);
  CHECK_THAT(why, Catch::Contains(expected));
}

TEST_CASE("a batch id already archived is refused and not merged", "[batch]") {
  PipelineHarness h(kYaml);
  h.files.add_file("/r/archive/dup/dup_MANIFEST.json"_abs, "{\"status\": \"COMPLETED\"}");
  h.files.add_file("/r/archive/dup/a.csv"_abs, "first");
  drop(h, "dup_MANIFEST.json", manifest("dup", {"in/a.csv"}));
  auto report = h.run();
  REQUIRE(report.batches.size() == 1);
  CHECK(report.batches[0].status == "REJECTED");
  CHECK_THAT(report.batches[0].error, Catch::Contains("already archived"));
  CHECK(h.files.content("/r/archive/dup/a.csv"_abs) == "first");
  CHECK(h.files.content("/r/in/a.csv"_abs) == "raw");
  CHECK(h.files.has_file("/r/error/dup/dup_MANIFEST.json"_abs));
  CHECK(h.supervisor.specs.empty());
}

TEST_CASE("an error folder already taken gets the next free name", "[batch]") {
  PipelineHarness h(kYaml);
  h.files.add_file("/r/error/e/e_MANIFEST.json"_abs, "earlier");
  h.supervisor.script("load", {FakeSupervisor::exited(2)});
  drop(h, "e_MANIFEST.json", manifest("e", {"in/a.csv"}));
  auto report = h.run();
  CHECK(report.batches.at(0).moved_to == "error/e.2");
  CHECK(h.files.content("/r/error/e/e_MANIFEST.json"_abs) == "earlier");
  CHECK(h.files.has_file("/r/error/e.2/a.csv"_abs));
}

TEST_CASE("a batch left in processing by a dead run is claimed again", "[batch]") {
  PipelineHarness h(kYaml);
  json m = manifest("d1", {"in/a.csv", "in/b.csv"});
  drop(h, "d1_MANIFEST.json", m);
  h.files.remove("/r/hot/d1_MANIFEST.json"_abs);

  SECTION("killed while its stages ran: they run again") {
    m["status"] = "PROCESSING";
    m["runner"] = {{"manifest", "orig_MANIFEST.json"}, {"claimed_by", "dead-run"}};
    h.files.add_file("/r/hot/d1_PROCESSING.json"_abs, m.dump());
    auto report = h.run();
    CHECK(programs(h) == std::vector<std::string>{"load d1", "report d1"});
    REQUIRE(report.batches.size() == 1);
    CHECK(report.batches[0].reclaimed);
    CHECK(report.batches[0].manifest == "orig_MANIFEST.json");
    CHECK(report.batches[0].status == "COMPLETED");
  }
  SECTION("killed among the moves: the moves finish and nothing runs again") {
    m["status"] = "COMPLETED";
    m["run_id"] = "dead-run";
    m["error"] = nullptr;  // as finish() writes it for a completed batch
    m["runner"] = {{"manifest", "orig_MANIFEST.json"}, {"destination", "archive/d1"}};
    h.files.add_file("/r/hot/d1_PROCESSING.json"_abs, m.dump());
    h.files.create_directories("/r/archive/d1"_abs);
    h.files.rename_no_replace("/r/in/a.csv"_abs,
                              "/r/archive/d1/a.csv"_abs);  // the dead run got this far
    auto report = h.run();
    CHECK(h.supervisor.specs.empty());
    REQUIRE(report.batches.size() == 1);
    CHECK(report.batches[0].status == "COMPLETED");
    CHECK(report.batches[0].error.empty());
    json done = read_json(h, "/r/archive/d1/d1_MANIFEST.json"_abs);
    CHECK(done["run_id"] == "dead-run");  // the run that decided it
  }
  for (const char* f : {"a.csv", "b.csv", "units.csv"}) {
    CHECK(h.files.has_file(fs::path("/r/archive/d1"_abs) / f));
  }
  CHECK_FALSE(h.files.has_file("/r/hot/d1_PROCESSING.json"_abs));
}

TEST_CASE("a batch another live runner holds is left alone", "[batch]") {
  PipelineHarness h(kYaml);
  json m = manifest("live", {"in/a.csv"});
  drop(h, "live_MANIFEST.json", m);
  h.files.remove("/r/hot/live_MANIFEST.json"_abs);
  m["status"] = "PROCESSING";
  h.files.add_file("/r/hot/live_PROCESSING.json"_abs, m.dump());
  pipeline::testing::FakeLocks::Lock other(h.locks, "/r/hot/.claims/live.lock"_abs);
  REQUIRE(other.acquire(Millis(0), h.clock, "{}"));

  auto report = h.run();
  CHECK(report.batches.empty());
  CHECK(report.status == RunStatus::kIdle);
  CHECK(h.files.has_file("/r/hot/live_PROCESSING.json"_abs));
  CHECK(h.files.has_file("/r/in/a.csv"_abs));
}

TEST_CASE("two hot-folder runners racing process each batch once", "[batch]") {
  // Runner A is inside its first batch when runner B lists the same hot folder.
  PipelineHarness h(kYaml);
  for (int i = 0; i < 4; ++i) {
    std::string id = "r" + std::to_string(i);
    drop(h, id + "_MANIFEST.json", manifest(id, {"in/" + id + ".csv"}, "in/u" + id + ".csv"), i);
  }
  std::vector<std::string> b_claims;
  bool b_ran = false;
  h.supervisor.on_run = [&](const ProcessSpec& spec) {
    if (b_ran || spec.argv[0] != "load") return;
    b_ran = true;
    BatchHotfolder b(h.config, h.files, h.mover, h.clock, h.locks.factory());
    while (auto claim = b.next("run-b", h.clock.now())) {
      REQUIRE(claim->batch);
      b_claims.push_back(claim->batch->content.id);
      b.finish(*claim->batch, true, "", "run-b", h.clock.now());
    }
  };
  auto report = h.run();
  std::vector<std::string> a_claims;
  for (const auto& b : report.batches) a_claims.push_back(b.id);
  CHECK(a_claims == std::vector<std::string>{"r0"});
  CHECK(b_claims == std::vector<std::string>{"r1", "r2", "r3"});
  for (int i = 0; i < 4; ++i) {
    std::string id = "r" + std::to_string(i);
    CHECK(h.files.has_file("/r/archive/"_abs + id + "/" + id + ".csv"));
  }
}

TEST_CASE("max_per_run bounds the batches of one run", "[batch]") {
  PipelineHarness h(kYaml);
  h.config.batches->max_per_run = 2;
  for (int i = 0; i < 3; ++i) {
    std::string id = "m" + std::to_string(i);
    drop(h, id + "_MANIFEST.json", manifest(id, {"in/" + id + ".csv"}, "in/u" + id + ".csv"), i);
  }
  auto report = h.run();
  CHECK(report.batches.size() == 2);
  CHECK(h.files.has_file("/r/hot/m2_MANIFEST.json"_abs));
}

TEST_CASE("a stop in the middle of a batch leaves it for the next run", "[batch]") {
  PipelineHarness h(kYaml);
  drop(h, "s_MANIFEST.json", manifest("s1", {"in/a.csv"}));
  h.supervisor.on_run = [&](const ProcessSpec&) { h.stop_signal = SIGTERM; };  // exit 143
  ProcessResult stopped = FakeSupervisor::killed(15);
  stopped.aborted = true;
  h.supervisor.script("load", {stopped});
  auto report = h.run();
  CHECK(report.status == RunStatus::kAborted);
  CHECK(report.exit_code == 143);
  REQUIRE(report.batches.size() == 1);
  CHECK(report.batches[0].status == "INTERRUPTED");
  CHECK(h.files.has_file("/r/hot/s1_PROCESSING.json"_abs));
  CHECK(h.files.has_file("/r/in/a.csv"_abs));
  CHECK(h.locks.held.empty());

  // The next run finishes the job.
  h.stop_signal = 0;
  h.supervisor.on_run = nullptr;
  h.supervisor.script("load", {FakeSupervisor::exited(0)});
  auto next = h.run();
  REQUIRE(next.batches.size() == 1);
  CHECK(next.batches[0].status == "COMPLETED");
  CHECK(next.batches[0].reclaimed);
  CHECK(h.files.has_file("/r/archive/s1/a.csv"_abs));
}

TEST_CASE("batch submit writes a manifest a run accepts", "[batch]") {
  PipelineHarness h(kYaml);
  h.files.add_file("/r/in/units.csv"_abs);
  h.files.add_file("/r/in/a.csv"_abs);
  fs::path written = submit_batch(h.config, h.files, "sub1", {{"units", "/r/in/units.csv"_abs}},
                                  {"/r/in/a.csv"_abs}, h.clock.now());
  CHECK(written == "/r/hot/sub1_MANIFEST.json"_abs);
  json m = read_json(h, written);
  CHECK(m["files"]["units"] == "in/units.csv");
  CHECK(m["raw_data"] == json::array({"in/a.csv"}));
  CHECK(m["status"] == "READY_FOR_PROCESSING");

  CHECK_THROWS_WITH(submit_batch(h.config, h.files, "sub1", {{"units", "/r/in/units.csv"_abs}}, {},
                                 h.clock.now()),
                    Catch::Contains("already in the hot folder"));
  h.files.add_file("/etc/passwd"_abs);
  CHECK_THROWS_WITH(submit_batch(h.config, h.files, "sub2", {}, {"/etc/passwd"_abs}, h.clock.now()),
                    Catch::Contains("outside the root"));
  CHECK_FALSE(h.files.exists("/r/hot/sub2_MANIFEST.json"_abs));

  auto report = h.run();
  CHECK(report.batches.at(0).status == "COMPLETED");
  CHECK_THROWS_WITH(
      submit_batch(h.config, h.files, "sub1", {}, {"/r/in/units.csv"_abs}, h.clock.now()),
      Catch::Contains("does not exist"));
}

TEST_CASE("batch list shows every state", "[batch]") {
  PipelineHarness h(kYaml);
  drop(h, "a_MANIFEST.json", manifest("ok", {"in/a.csv"}), 1);
  h.files.add_file("/r/hot/b_MANIFEST.json"_abs, "junk", 2);
  h.run();
  drop(h, "c_MANIFEST.json", manifest("later", {"in/c.csv"}, "in/u3.csv"), 3);
  std::vector<std::string> seen;
  for (const auto& b : list_batches(h.config, h.files)) seen.push_back(b.state + " " + b.id);
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::string>{"archived ok", "failed b", "ready later"});
}

TEST_CASE("batch placeholders are checked when the config loads", "[batch][config]") {
  auto error_of = [](const std::string& yaml) {
    try {
      parse_config("version: 1\npipeline: t\nroot: /r\n" + yaml, "/r/p.yaml"_abs,
                   [](const std::string&) { return std::nullopt; });
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(error_of("stages: [{name: a, command: [x, \"${batch.id}\"]}]\n"),
             Catch::Contains("only known in batch mode"));
  std::string batches = "batches: {hotfolder: h, archive: a, error: e}\n";
  CHECK(error_of("stages: [{name: a, command: [x, \"${batch.id}\", \"${batch.files.u}\"]}]\n" +
                 batches) == "");
  CHECK_THAT(error_of("stages: [{name: a, command: [x, \"-${batch.raw_data}\"]}]\n" + batches),
             Catch::Contains("whole element"));
  CHECK_THAT(error_of("stages: [{name: a, command: [x, \"${batch.nope}\"]}]\n" + batches),
             Catch::Contains("unknown placeholder ${batch.nope}"));
  CHECK_THAT(error_of("stages: [{name: a, command: [x]}]\nbatches: {hotfolder: h, archive: a}\n"),
             Catch::Contains("batches needs 'error'"));
  CHECK_THAT(error_of("stages: [{name: a, command: [x]}]\n"
                      "batches: {hotfolder: h, archive: h, error: e}\n"),
             Catch::Contains("three different folders"));
  CHECK_THAT(error_of("stages: [{name: a, command: [x]}]\n"
                      "batches: {hotfolder: h, archive: a, error: e, max_per_rum: 3}\n"),
             Catch::Contains("max_per_run"));
}

TEST_CASE("a manifest may list only data: never the runner's own files or a manifest",
          "[batch][hostile]") {
  PipelineHarness h(kYaml);
  h.files.add_file("/r/p.yaml"_abs, "config");
  h.files.add_file("/r/state/runner.lock"_abs, "{}");
  h.files.add_file("/r/state/pipeline.db"_abs, "db");
  h.files.add_file("/r/logs/events/pipeline_x.jsonl"_abs, "{}");
  h.files.add_file("/r/hot/.claims/other.lock"_abs, "");
  h.files.add_file("/r/archive/old/data.csv"_abs, "old");
  h.files.add_file("/r/in/other_MANIFEST.json"_abs, "{}", 99);
  for (const auto& [path, why] : std::vector<std::pair<std::string, std::string>>{
           {"state/runner.lock", "is inside the runner's state"},
           {"state/pipeline.db", "is inside the runner's state"},
           {"p.yaml", "is the pipeline's config"},
           {"logs/events/pipeline_x.jsonl", "is inside the runner's logs"},
           {"hot/.claims/other.lock", "is inside the hot folder's claims"},
           {"archive/old/data.csv", "is inside the archive of finished batches"},
           {"in/other_MANIFEST.json", "is a manifest, not data"}}) {
    INFO(path);
    PipelineHarness fresh(kYaml);
    fresh.files = h.files;
    CHECK_THAT(rejection(fresh, manifest("x", {path})), Catch::Contains(why));
  }
  {
    // Its own claimed name: once archived as COMPLETED while the report said FAILED.
    PipelineHarness own(kYaml);
    own.files.add_file("/r/in/units.csv"_abs, "u");
    own.files.add_file("/r/hot/x_MANIFEST.json"_abs,
                       manifest("x", {"hot/x_PROCESSING.json"}).dump());
    auto report = own.run();
    REQUIRE(report.batches.size() == 1);
    CHECK(report.batches[0].status == "REJECTED");
    CHECK_THAT(report.batches[0].error, Catch::Contains("is a manifest, not data"));
  }
  h.files.add_special("/r/in/fifo.csv"_abs, FileKind::kOther);
  CHECK_THAT(rejection(h, manifest("x", {"in/fifo.csv"})), Catch::Contains("not a regular file"));
  CHECK(h.files.exists("/r/state/runner.lock"_abs));
}

TEST_CASE("a manifest is read bounded - too deep or too large is rejected, never rewritten",
          "[batch][hostile]") {
  PipelineHarness h(kYaml);
  SECTION("nested 20,000 levels deep") {
    std::string deep = R"({"batch_id": "deep", "status": "READY_FOR_PROCESSING", "files": {},
      "raw_data": )" + std::string(20000, '[') +
                       std::string(20000, ']') + "}";
    h.files.add_file("/r/hot/deep_MANIFEST.json"_abs, deep);
    auto report = h.run();
    REQUIRE(report.batches.size() == 1);
    CHECK(report.batches[0].status == "REJECTED");
    CHECK_THAT(report.batches[0].error, Catch::Contains("nests deeper than 32 levels"));
    CHECK(h.files.content("/r/error/deep/deep_MANIFEST.json"_abs) == deep);  // moved as it was
  }
  SECTION("larger than 1 MiB") {
    std::string big =
        R"({"batch_id": "big", "pad": ")" + std::string(kMaxManifestBytes, 'x') + "\"}";
    h.files.add_file("/r/hot/big_MANIFEST.json"_abs, big);
    auto report = h.run();
    REQUIRE(report.batches.size() == 1);
    CHECK_THAT(report.batches[0].error, Catch::Contains("holds more than 1048576 bytes"));
    CHECK(h.files.exists("/r/error/big/big_MANIFEST.json"_abs));
  }
  CHECK(h.supervisor.specs.empty());
  CHECK(h.run().status == RunStatus::kIdle);  // the hot folder is free again
}

TEST_CASE("a manifest name that is not a regular file is skipped with a warning",
          "[batch][hostile]") {
  PipelineHarness h(kYaml);
  h.files.add_special("/r/hot/pipe_MANIFEST.json"_abs, FileKind::kOther);
  h.files.add_special("/r/hot/gone_MANIFEST.json"_abs, FileKind::kBroken);
  drop(h, "ok_MANIFEST.json", manifest("ok", {"in/a.csv"}));
  auto report = h.run();
  REQUIRE(report.batches.size() == 1);
  CHECK(report.batches[0].status == "COMPLETED");
  std::vector<std::string> warnings;
  for (const auto& e : h.events()) {
    if (e["event"] == "batch.warning") warnings.push_back(e["msg"]);
  }
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[0] + warnings[1], Catch::Contains("dangling symlink") &&
                                            Catch::Contains("FIFO") &&
                                            Catch::Contains("pipe_MANIFEST.json"));
}

TEST_CASE("files that cannot be moved leave the batch claimed - the next run moves them",
          "[batch][hostile]") {
  PipelineHarness h(kYaml);
  drop(h, "d1_MANIFEST.json", manifest("d1", {"in/a.csv", "in/b.csv"}));
  h.files.fail_on("/r/in/b.csv"_abs, "No space left on device");
  auto report = h.run();
  REQUIRE(report.batches.size() == 1);
  CHECK(report.batches[0].status == "INCOMPLETE");
  CHECK_THAT(report.batches[0].error, Catch::Contains("1 of 3 files could not be moved") &&
                                          Catch::Contains("the next run moves them"));
  CHECK(report.status == RunStatus::kFailure);
  CHECK(h.files.has_file("/r/hot/d1_PROCESSING.json"_abs));
  CHECK(h.files.has_file("/r/in/b.csv"_abs));
  CHECK_FALSE(h.files.has_file("/r/archive/d1/d1_MANIFEST.json"_abs));

  // The disk has room again: the next run only moves what is left (no stage runs again).
  PipelineHarness next(kYaml);
  next.files = h.files;
  next.files.heal("/r/in/b.csv"_abs);
  auto second = next.run();
  CHECK(next.supervisor.specs.empty());
  REQUIRE(second.batches.size() == 1);
  INFO(second.batches[0].error);
  CHECK(second.batches[0].status == "COMPLETED");
  CHECK(next.files.has_file("/r/archive/d1/b.csv"_abs));
  CHECK(next.files.has_file("/r/archive/d1/d1_MANIFEST.json"_abs));
  CHECK_FALSE(next.files.has_file("/r/hot/d1_PROCESSING.json"_abs));
}

TEST_CASE("a preview shows the batches a run would claim, in its order, judged as it would",
          "[batch][plan]") {
  std::string yaml = kYaml;
  yaml.replace(yaml.rfind('}'), 1, ", max_per_run: 3}");
  PipelineHarness h(yaml);
  drop(h, "late_MANIFEST.json", manifest("late", {"in/l.csv"}), 30);
  drop(h, "early_MANIFEST.json", manifest("early", {"in/e.csv"}), 10);
  json outside = manifest("outside", {"in/o.csv"});
  outside["files"]["units"] = "/etc/passwd"_abs;
  h.files.add_file("/r/hot/outside_MANIFEST.json"_abs, outside.dump(), 20);
  json decided = manifest("dead", {"in/d.csv"});
  decided["status"] = "COMPLETED";
  decided["runner"] = {{"destination", "archive/dead"}};
  drop(h, "dead_PROCESSING.json", decided, 40);
  drop(h, "waits_MANIFEST.json", manifest("waits", {"in/w.csv"}), 50);
  h.files.add_special("/r/hot/fifo_MANIFEST.json"_abs, FileKind::kOther);

  auto preview = preview_batches(h.config, h.files, 3, h.clock.now());
  REQUIRE(preview.batches.size() == 3);
  // Left claimed by a dead run first, then ready ones oldest first; the rest wait.
  CHECK(preview.batches[0].id == "dead");
  CHECK(preview.batches[0].decided == std::optional<std::string>("COMPLETED"));
  CHECK(preview.batches[1].id == "early");
  REQUIRE(preview.batches[1].content);
  CHECK(preview.batches[1].content->raw_data == std::vector<fs::path>{"/r/in/e.csv"_abs});
  CHECK(preview.batches[1].claimed_as == "/r/hot/early_PROCESSING.json"_abs);
  CHECK(preview.batches[2].id == "outside");
  CHECK_FALSE(preview.batches[2].content);
  CHECK_THAT(preview.batches[2].rejected, Catch::Contains("outside the root"));
  CHECK(preview.later == 2);
  REQUIRE(preview.warnings.size() == 1);
  CHECK_THAT(preview.warnings[0], Catch::Contains("fifo_MANIFEST.json"));
  // Nothing was claimed, moved or removed.
  CHECK(h.files.moved.empty());
  CHECK(h.files.removed.empty());
  CHECK(h.files.exists("/r/hot/early_MANIFEST.json"_abs));
}

TEST_CASE("batches.settle: a manifest modified within it waits for a later run",
          "[batch][settle]") {
  std::string yaml = kYaml;
  yaml.replace(yaml.find("error: \"${paths.error}\"}"), 24,
               "error: \"${paths.error}\", settle: 30s}");
  PipelineHarness h(yaml);
  REQUIRE(h.config.batches->settle == Millis(30'000));
  auto ns = [&](std::chrono::milliseconds ago) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               (h.clock.now() - ago).time_since_epoch())
        .count();
  };
  drop(h, "young_MANIFEST.json", manifest("young", {"in/y.csv"}, "in/yu.csv"),
       ns(std::chrono::seconds(29)));
  drop(h, "old_MANIFEST.json", manifest("old", {"in/o.csv"}), ns(std::chrono::seconds(30)));

  auto preview = preview_batches(h.config, h.files, 10, h.clock.now());
  REQUIRE(preview.batches.size() == 1);
  CHECK(preview.batches[0].id == "old");
  CHECK(preview.settling == 1);
  CHECK(settling_text(preview.settling, h.config.batches->settle) ==
        "1 manifest still settling (modified within 30s; left for a later run)");

  auto first = h.run();
  REQUIRE(first.batches.size() == 1);
  CHECK(first.batches[0].id == "old");
  CHECK(h.files.exists("/r/hot/young_MANIFEST.json"_abs));  // untouched: not claimed
  bool said = false;
  for (const auto& e : h.events()) {
    if (e["event"] == "batch.settling") said = e["data"]["manifests"] == 1;
  }
  CHECK(said);

  h.clock.advance(std::chrono::seconds(1));  // now 30 s old: the next run takes it
  auto second = h.run();
  REQUIRE(second.batches.size() == 1);
  CHECK(second.batches[0].id == "young");
  INFO(second.batches[0].error);
  CHECK(second.batches[0].status == "COMPLETED");
}
