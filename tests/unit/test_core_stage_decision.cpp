#include <catch2/catch.hpp>
#include <ctime>

#include "core/conditions.hpp"
#include "core/stage_decision.hpp"
#include "fakes/fake_file_system.hpp"
#include "support/abs_path.hpp"

using namespace pipeline;
using pipeline::testing::FakeFileSystem;

namespace {

struct DecisionFixture {
  explicit DecisionFixture(const std::string& when_yaml)
      : config(parse_config("version: 1\npipeline: t\nroot: /r\npaths: {raw: raw, ref: ref}\n"
                            "stages:\n  - name: a\n    command: [x]\n  - name: b\n"
                            "    command: [x]\n" +
                                when_yaml,
                            "/r/p.yaml"_abs, [](const std::string&) { return std::nullopt; })) {
    values.scalars = {{"root", "/r"_abs}, {"paths.raw", "/r/raw"_abs}, {"paths.ref", "/r/ref"_abs}};
    values.run_start = now;
  }

  DecisionResult decide(EarlierStage a = EarlierStage::kNotRun) {
    DecisionInputs in{files, values, "/r"_abs, now, [a](const std::string&) { return a; }};
    return decide_stage(config.stages.at(1), in);
  }

  Config config;
  FakeFileSystem files;
  PlaceholderValues values;
  TimePoint now = std::chrono::system_clock::now();
};

int today() {
  return local_day_of_month(std::chrono::system_clock::now());
}

}  // namespace

TEST_CASE("no when: always runs", "[decision]") {
  DecisionFixture f("");
  auto d = f.decide();
  CHECK(d.decision.run);
  CHECK(d.decision.reason == "no conditions: runs every time");
}

TEST_CASE("files: runs on matches and snapshots them", "[decision]") {
  DecisionFixture f("    when: {files: \"${paths.raw}/*.csv\"}\n");
  auto none = f.decide();
  CHECK_FALSE(none.decision.run);
  CHECK(none.decision.reason == "no file matches raw/*.csv");
  f.files.add_file("/r/raw/b.csv"_abs, "bb", 7);
  f.files.add_file("/r/raw/a.csv"_abs, "a", 5);
  f.files.add_file("/r/raw/c.txt"_abs);
  auto some = f.decide();
  CHECK(some.decision.run);
  CHECK(some.decision.reason == "2 files match raw/*.csv");
  CHECK(some.inputs.files == std::vector<std::string>{"/r/raw/a.csv"_abs, "/r/raw/b.csv"_abs});
  CHECK(some.inputs.stats[1] == FileStat{FileKind::kFile, 2, 7});
  f.files.remove("/r/raw/b.csv"_abs);
  CHECK(f.decide().decision.reason == "1 file matches raw/*.csv");
}

TEST_CASE("files: several globs share one snapshot without duplicates", "[decision]") {
  DecisionFixture f("    when: {files: [\"raw/*.csv\", \"raw/a*\"]}\n");
  f.files.add_file("/r/raw/a.csv"_abs);
  f.files.add_file("/r/raw/ab.txt"_abs);
  auto d = f.decide();
  CHECK(d.inputs.files == std::vector<std::string>{"/r/raw/a.csv"_abs, "/r/raw/ab.txt"_abs});
  CHECK(d.decision.reason == "2 files match raw/*.csv, raw/a*");
}

TEST_CASE("missing: runs only while the path is absent", "[decision]") {
  DecisionFixture f("    when: {missing: \"${paths.ref}/fx.csv\"}\n");
  CHECK(f.decide().decision.run);
  CHECK(f.decide().decision.reason == "ref/fx.csv is missing");
  f.files.add_file("/r/ref/fx.csv"_abs);
  CHECK_FALSE(f.decide().decision.run);
  CHECK(f.decide().decision.reason == "ref/fx.csv already exists");
}

TEST_CASE("days_of_month: runs only on listed days (local time)", "[decision]") {
  int d = today();
  int other = d == 1 ? 2 : 1;
  DecisionFixture yes("    when: {days_of_month: [" + std::to_string(d) + "]}\n");
  CHECK(yes.decide().decision.run);
  DecisionFixture no("    when: {days_of_month: [" + std::to_string(other) + "]}\n");
  auto r = no.decide();
  CHECK_FALSE(r.decision.run);
  CHECK(r.decision.reason ==
        "today is day " + std::to_string(d) + ", not in [" + std::to_string(other) + "]");
}

TEST_CASE("after: only when the earlier stage succeeded in this run", "[decision]") {
  DecisionFixture f("    when: {after: [a]}\n");
  CHECK(f.decide(EarlierStage::kSucceeded).decision.run);
  CHECK(f.decide(EarlierStage::kSucceeded).decision.reason == "a succeeded");
  CHECK(f.decide(EarlierStage::kDidNotSucceed).decision.reason == "a did not succeed");
  CHECK_FALSE(f.decide(EarlierStage::kNotRun).decision.run);
  CHECK(f.decide(EarlierStage::kPlanned).decision.reason == "if a succeeds");
}

TEST_CASE("all conditions must hold - the reason names what failed", "[decision]") {
  DecisionFixture f("    when: {files: \"raw/*.csv\", after: [a]}\n");
  f.files.add_file("/r/raw/x.csv"_abs);
  auto failed = f.decide(EarlierStage::kDidNotSucceed);
  CHECK_FALSE(failed.decision.run);
  CHECK(failed.decision.reason == "a did not succeed");
  CHECK(failed.inputs.files.empty());  // a stage that does not run consumes nothing
  auto ok = f.decide(EarlierStage::kSucceeded);
  CHECK(ok.decision.reason == "1 file matches raw/*.csv; a succeeded");
}

TEST_CASE("inputs are stat-ed only when a lifecycle rule will need the snapshot", "[decision]") {
  DecisionFixture f("    when: {files: \"raw/*.csv\"}\n");
  f.files.add_file("/r/raw/a.csv"_abs, "abc", 9);
  DecisionInputs in{f.files, f.values, "/r"_abs, f.now,
                    [](const std::string&) { return EarlierStage::kNotRun; }};
  in.stat_inputs = false;
  auto plain = decide_stage(f.config.stages.at(1), in);
  CHECK(plain.inputs.files.size() == 1);
  CHECK(plain.inputs.stats.empty());
  in.stat_inputs = true;
  auto snapped = decide_stage(f.config.stages.at(1), in);
  CHECK(snapped.inputs.stats == std::vector<FileStat>{FileStat{FileKind::kFile, 3, 9}});
}

TEST_CASE("a file name with a newline is left out of the inputs with a warning",
          "[decision][hostile]") {
  DecisionFixture f("    when: {files: \"${paths.raw}/*.csv\"}\n");
  f.files.add_file("/r/raw/a.csv"_abs);
  f.files.add_file("/r/raw/"_abs + "evil\n.csv");
  f.files.add_special("/r/raw/fifo.csv"_abs, FileKind::kOther);
  auto d = f.decide();
  CHECK(d.decision.run);
  CHECK(d.inputs.files == std::vector<std::string>{"/r/raw/a.csv"_abs});
  CHECK(d.decision.reason == "1 file matches raw/*.csv");
  REQUIRE(d.decision.warnings.size() == 2);
  CHECK_THAT(d.decision.warnings[0], Catch::Contains("fifo.csv"));
  CHECK_THAT(d.decision.warnings[1], Catch::Contains("has a newline in its name"));
}

TEST_CASE("each when clause is one condition - checked on its own - in the order reported",
          "[decision]") {
  DecisionFixture f(
      "    when: {files: \"${paths.raw}/*.csv\", missing: \"ref/done\", after: [a, a]}\n");
  f.files.add_file("/r/raw/x.csv"_abs);
  f.files.add_file("/r/ref/done"_abs);
  const auto conditions = conditions_of(*f.config.stages.at(1).when);
  REQUIRE(conditions.size() == 4);  // files, missing, and one for each name in after
  DecisionInputs in{f.files, f.values, "/r"_abs, f.now,
                    [](const std::string&) { return EarlierStage::kSucceeded; }};
  DecisionResult gathered;
  Finding files = conditions[0](in, gathered);
  CHECK(files.held);
  CHECK(files.why == "1 file matches raw/*.csv");
  CHECK(gathered.inputs.files == std::vector<std::string>{"/r/raw/x.csv"_abs});
  DecisionResult untouched;
  Finding missing = conditions[1](in, untouched);
  CHECK_FALSE(missing.held);
  CHECK(missing.why == "ref/done already exists");
  CHECK(untouched.inputs.files.empty());  // only files gathers inputs
  CHECK(conditions[3](in, untouched).why == "a succeeded");
}

namespace {

std::int64_t ns_before(TimePoint now, std::chrono::milliseconds ago) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>((now - ago).time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("settle: a file modified within it is left for a later run, said in the reason",
          "[decision][settle]") {
  using std::chrono::milliseconds;
  DecisionFixture f("    when: {files: \"${paths.raw}/*.csv\"}\n    settle: 30s\n");
  REQUIRE(f.config.stages.at(1).settle == Millis(30'000));
  f.files.add_file("/r/raw/young.csv"_abs, "half", ns_before(f.now, milliseconds(29'999)));
  auto none = f.decide();
  CHECK_FALSE(none.decision.run);
  CHECK(none.decision.reason ==
        "no settled file matches raw/*.csv: 1 file still settling (modified within 30s; left "
        "for a later run)");
  CHECK(none.inputs.files.empty());

  f.files.add_file("/r/raw/old.csv"_abs, "whole", ns_before(f.now, milliseconds(30'000)));
  f.files.add_file("/r/raw/other.csv"_abs, "half", ns_before(f.now, milliseconds(1)));
  auto some = f.decide();
  CHECK(some.decision.run);
  CHECK(some.decision.reason ==
        "1 file matches raw/*.csv; 2 files still settling (modified within 30s; left for a "
        "later run)");
  CHECK(some.inputs.files == std::vector<std::string>{"/r/raw/old.csv"_abs});
  CHECK(some.inputs.stats.size() == 1);  // parallel to the inputs, not to every match
  CHECK(some.decision.warnings.empty());

  f.now += milliseconds(30'000);  // a later run: all three have settled
  auto later = f.decide();
  CHECK(later.inputs.files.size() == 3);
  CHECK(later.decision.reason == "3 files match raw/*.csv");
}

TEST_CASE("settle: a file modified in the future waits, with a warning that names it",
          "[decision][settle][hostile]") {
  DecisionFixture f("    when: {files: \"raw/*.csv\"}\n    settle: 1m\n");
  f.files.add_file("/r/raw/ahead.csv"_abs, "x", ns_before(f.now, std::chrono::hours(-3)));
  auto d = f.decide();
  CHECK_FALSE(d.decision.run);
  REQUIRE(d.decision.warnings.size() == 1);
  CHECK_THAT(d.decision.warnings[0], Catch::Contains("raw/ahead.csv") &&
                                         Catch::Contains("modified in the future") &&
                                         Catch::Contains("touch it"));
}

TEST_CASE("settle: without it every match is an input at once; it needs when.files",
          "[decision][settle][config]") {
  DecisionFixture f("    when: {files: \"raw/*.csv\"}\n");
  f.files.add_file("/r/raw/now.csv"_abs, "x", ns_before(f.now, std::chrono::milliseconds(0)));
  CHECK(f.decide().inputs.files.size() == 1);
  CHECK_THROWS_WITH(DecisionFixture("    when: {missing: \"x\"}\n    settle: 5s\n"),
                    Catch::Contains("p.yaml:11:13: stage 'b': settle needs when.files"));
  CHECK_THROWS_WITH(DecisionFixture("    when: {files: \"x\"}\n    settle: 5\n"),
                    Catch::Contains("settle '5' is not a duration"));
}
