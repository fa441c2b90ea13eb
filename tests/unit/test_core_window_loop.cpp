// Windowed stages in a run (SPEC 11) on the fakes: due windows, catch-up, order, lag,
// dependencies per window, counts, and a store that fails.
#include <catch2/catch.hpp>

#include "core/window_grid.hpp"
#include "core/window_loop.hpp"
#include "support/pipeline_harness.hpp"

using namespace pipeline;
using pipeline::testing::FakeSupervisor;
using pipeline::testing::PipelineHarness;

namespace {

// The harness's clock starts at 2024-10-04T00:00Z: with a 1d lag, windows up to
// 2024-10-03T00:00Z are due, 36 of them since 2024-09-30.
std::string extract(const std::string& options = "max_per_run: 12") {
  return R"(stages:
  - name: extract
    command: [extract, "${window.start:%Y-%m-%dT%H:%M:%S%z}", "${window.end:%H:%M}", "${window.id}"]
    windows: {every: 2h, start: 2024-09-30, lag: 1d, )" +
         options + "}\n";
}

std::vector<std::string> ids(const std::vector<WindowRow>& rows, WindowState state) {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    if (r.state == state) out.push_back(window_id(r.start));
  }
  return out;
}

std::size_t runs_of(const PipelineHarness& h, const std::string& program) {
  return static_cast<std::size_t>(
      std::count_if(h.supervisor.specs.begin(), h.supervisor.specs.end(),
                    [&](const ProcessSpec& s) { return s.argv[0] == program; }));
}

}  // namespace

TEST_CASE("due windows run oldest first, at most max_per_run, with their own values", "[windows]") {
  PipelineHarness h(extract());
  auto report = h.run();
  REQUIRE(h.supervisor.specs.size() == 12);
  CHECK(h.supervisor.specs[0].argv == std::vector<std::string>{"extract",
                                                               "2024-09-30T00:00:00+0000", "02:00",
                                                               "20240930T000000Z"});
  CHECK(h.supervisor.specs[11].argv[3] == "20240930T220000Z");
  REQUIRE(report.stages.size() == 12);
  CHECK(report.stages[0].window->id == "20240930T000000Z");
  CHECK_THAT(report.stages[0].decision.reason, Catch::Contains("2024-09-30 00:00 UTC to 02:00"));
  CHECK(report.status == RunStatus::kSuccess);
  // Each window has its own logs.
  CHECK_THAT(path_text(h.supervisor.specs[0].stdout_log),
             Catch::Contains("20240930T000000Z") && Catch::EndsWith("extract.stdout.log"));
  REQUIRE(report.windows.size() == 1);
  CHECK(report.windows[0].ran == 12);
  CHECK(report.windows[0].open == 24);
  CHECK(format_rfc3339(*report.windows[0].watermark).substr(0, 16) ==
        format_rfc3339(TimePoint(std::chrono::hours(24 * 19997))).substr(0, 16));
  // The events name the window.
  int starts = 0;
  for (const auto& e : h.events()) {
    if (e["event"] == "extract.start") {
      CHECK(e["data"]["window"].is_string());
      ++starts;
    }
  }
  CHECK(starts == 12);
}

TEST_CASE("a week of downtime is caught up in bounded runs, each window exactly once",
          "[windows]") {
  PipelineHarness h(extract());
  h.clock.advance(std::chrono::hours(24 * 7));  // the machine was off for a week
  std::set<std::string> seen;
  int runs = 0;
  for (; runs < 20; ++runs) {
    const std::size_t before = h.supervisor.specs.size();
    auto report = h.run();
    if (h.supervisor.specs.size() == before) {
      CHECK(report.status == RunStatus::kIdle);
      CHECK_THAT(report.stages[0].decision.reason, Catch::Contains("no window is due"));
      break;
    }
    CHECK(h.supervisor.specs.size() - before <= 12);
    for (std::size_t i = before; i < h.supervisor.specs.size(); ++i) {
      CHECK(seen.insert(h.supervisor.specs[i].argv[3]).second);  // never twice
    }
  }
  // 2024-09-30 to 2024-10-10 (now - 1d): 10 days of 2h windows, 12 per run.
  CHECK(seen.size() == 120);
  CHECK(runs == 10);
  CHECK(*seen.begin() == "20240930T000000Z");
  CHECK(*seen.rbegin() == "20241009T220000Z");
}

TEST_CASE("a window whose data may still come is never run, also after the clock went back",
          "[windows]") {
  PipelineHarness h(extract("max_per_run: 100"));
  auto first = h.run();
  CHECK(h.supervisor.specs.size() == 36);
  // Reset windows to pending and move the clock back a day: they were known as due, but by
  // this clock their end plus the lag has not passed.
  for (auto row : h.window_store.all("extract")) {
    row.state = WindowState::kPending;
    h.window_store.put(window_key(*h.config.find_stage("extract")), row);
  }
  h.clock.advance(-std::chrono::hours(24));
  h.supervisor.specs.clear();
  h.run();
  CHECK(h.supervisor.specs.size() == 24);  // only those ended by 2024-10-02T00:00Z
  CHECK(h.supervisor.specs.back().argv[3] == "20241001T220000Z");
}

TEST_CASE("strict order stops at a failed window; it runs first the next time", "[windows]") {
  PipelineHarness h(extract());
  int calls = 0;
  h.supervisor.on_run = [&](const ProcessSpec&) { ++calls; };
  h.supervisor.script("extract", {FakeSupervisor::exited(0), FakeSupervisor::exited(0),
                                  FakeSupervisor::exited(3), FakeSupervisor::exited(0)});
  auto report = h.run();
  CHECK(calls == 3);  // the third window failed: the fourth is not started
  CHECK(report.status == RunStatus::kPartial);
  const auto rows = h.window_store.all("extract");
  CHECK(ids(rows, WindowState::kSucceeded) ==
        std::vector<std::string>{"20240930T000000Z", "20240930T020000Z"});
  CHECK(ids(rows, WindowState::kFailed) == std::vector<std::string>{"20240930T040000Z"});
  CHECK(rows[2].error == "exit 3");
  CHECK(report.windows[0].watermark);
  h.supervisor.specs.clear();
  h.run();
  REQUIRE_FALSE(h.supervisor.specs.empty());
  CHECK(h.supervisor.specs[0].argv[3] == "20240930T040000Z");
  CHECK(ids(h.window_store.all("extract"), WindowState::kFailed).empty());
}

TEST_CASE("independent order goes on after a failed window and retries it next run", "[windows]") {
  PipelineHarness h(extract("max_per_run: 12, order: independent"));
  h.supervisor.script(
      "extract", {FakeSupervisor::exited(0), FakeSupervisor::exited(3), FakeSupervisor::exited(0)});
  h.run();
  CHECK(h.supervisor.specs.size() == 12);
  CHECK(ids(h.window_store.all("extract"), WindowState::kFailed) ==
        std::vector<std::string>{"20240930T020000Z"});
  h.supervisor.specs.clear();
  h.run();
  CHECK(h.supervisor.specs[0].argv[3] == "20240930T020000Z");
  CHECK(h.supervisor.specs[1].argv[3] == "20241001T000000Z");
}

TEST_CASE("a windowed stage after another waits for the same span of it", "[windows]") {
  const std::string load = R"(  - name: load
    command: [load, "${window.id}"]
    windows: {every: 6h, start: 2024-09-30, lag: 1d, max_per_run: 10, order: ORDER}
    when: {after: [extract]}
)";
  auto loaded = [](const PipelineHarness& h) {
    std::vector<std::string> out;
    for (const auto& s : h.supervisor.specs) {
      if (s.argv[0] == "load") out.push_back(s.argv[1]);
    }
    return out;
  };
  // The fifth extract window (08:00-10:00) fails: load's 06:00-12:00 window waits for it.
  const std::vector<ProcessResult> fifth_fails = {
      FakeSupervisor::exited(0), FakeSupervisor::exited(0), FakeSupervisor::exited(0),
      FakeSupervisor::exited(0), FakeSupervisor::exited(5), FakeSupervisor::exited(0)};
  SECTION("independent: the windows it does not wait for run") {
    std::string text = load;
    text.replace(text.find("ORDER"), 5, "independent");
    PipelineHarness h(extract("max_per_run: 12, order: independent") + text);
    h.supervisor.script("extract", fifth_fails);
    h.run();
    // Extract did the 30th but 08:00: load runs 00:00, 12:00, 18:00; not 06:00, and not the
    // 1st, which extract has not reached.
    CHECK(loaded(h) ==
          std::vector<std::string>{"20240930T000000Z", "20240930T120000Z", "20240930T180000Z"});
    CHECK(runs_of(h, "extract") == 12);
    h.supervisor.specs.clear();
    h.run();  // extract's 08:00 succeeds now, and load's 06:00 follows in the same run
    CHECK(h.supervisor.specs[0].argv[3] == "20240930T080000Z");
    CHECK(loaded(h).at(0) == "20240930T060000Z");
  }
  SECTION("strict: it stops at the window that waits, and says why") {
    std::string text = load;
    text.replace(text.find("ORDER"), 5, "strict");
    PipelineHarness h(extract("max_per_run: 12, order: independent") + text);
    h.supervisor.script("extract", fifth_fails);
    auto report = h.run();
    CHECK(loaded(h) == std::vector<std::string>{"20240930T000000Z"});
    h.supervisor.specs.clear();
    h.run();
    // Extract did 08:00 and the 1st up to 22:00, which load's 18:00-24:00 still waits for.
    CHECK(loaded(h) == std::vector<std::string>{"20240930T060000Z", "20240930T120000Z",
                                                "20240930T180000Z", "20241001T000000Z",
                                                "20241001T060000Z", "20241001T120000Z"});
  }
  SECTION("nothing of the other stage done: one skipped record that says what it waits for") {
    std::string text = load;
    text.replace(text.find("ORDER"), 5, "strict");
    PipelineHarness h(extract("max_per_run: 12") + text);
    h.supervisor.script("extract", {FakeSupervisor::exited(9)});
    auto report = h.run();
    CHECK(loaded(h).empty());
    CHECK_THAT(report.stages.back().decision.reason,
               Catch::Contains("waits for extract to succeed over 2024-09-30 00:00 UTC"));
  }
}

TEST_CASE("counts are recorded; a mismatch fails the attempt and is retried only on count",
          "[windows][counts]") {
  const std::string counted = R"(stages:
  - name: load
    command: [load]
    retries: 2
    backoff: {initial: 1s}
    counts: {source: "^source rows: (\\d+)$", target: "^loaded rows: (\\d+)$", tolerance: 1%)";
  ProcessResult short_load = FakeSupervisor::exited(0);
  short_load.counts = {{"source", 1000}, {"target", 980}};
  ProcessResult full_load = FakeSupervisor::exited(0);
  full_load.counts = {{"source", 1000}, {"target", 995}};

  SECTION("not retried without retry_on: count") {
    PipelineHarness h(counted + "}\n");
    h.supervisor.script("load", {short_load, full_load});
    auto report = h.run();
    CHECK(h.supervisor.specs.size() == 1);
    const auto& a = report.stages[0].attempts.at(0);
    CHECK(a.count_error == "count mismatch: source 1000, target 980 (2%)");
    CHECK(report.stages[0].status == StageStatus::kFailed);
    CHECK(report.stages[0].counts.at("target") == 980);
    CHECK_THAT(describe_attempt(a), Catch::Contains("count mismatch"));
    // The spec carries the patterns to the supervisor.
    CHECK(h.supervisor.specs[0].counts.size() == 2);
  }
  SECTION("retried with it, and within tolerance it succeeds") {
    PipelineHarness h(counted + "}\n    retry_on: [count]\n");
    h.supervisor.script("load", {short_load, full_load});
    auto report = h.run();
    CHECK(h.supervisor.specs.size() == 2);
    CHECK(report.stages[0].status == StageStatus::kSucceeded);
    CHECK(report.stages[0].counts.at("target") == 995);
    bool retry_said = false;
    for (const auto& e : h.events()) {
      if (e["event"] == "load.retry") {
        retry_said = std::string(e["msg"]).find("count mismatch") != std::string::npos;
      }
    }
    CHECK(retry_said);
  }
  SECTION("a count that never printed fails the comparison") {
    PipelineHarness h(counted + "}\n");
    ProcessResult silent = FakeSupervisor::exited(0);
    silent.counts = {{"source", 10}};
    h.supervisor.script("load", {silent});
    auto report = h.run();
    CHECK_THAT(report.stages[0].attempts[0].count_error, Catch::Contains("no line matched target"));
  }
  SECTION("a zero source with a zero target holds; with rows it does not") {
    PipelineHarness h(counted + "}\n");
    ProcessResult zero = FakeSupervisor::exited(0);
    zero.counts = {{"source", 0}, {"target", 0}};
    ProcessResult phantom = FakeSupervisor::exited(0);
    phantom.counts = {{"source", 0}, {"target", 3}};
    h.supervisor.script("load", {zero, phantom});
    CHECK(h.run().stages[0].status == StageStatus::kSucceeded);
    CHECK_THAT(h.run().stages[0].attempts[0].count_error, Catch::Contains("source is 0"));
  }
}

TEST_CASE("a window store that cannot be written runs no window", "[windows]") {
  PipelineHarness h(extract());
  h.window_store.fail_writes = true;
  auto report = h.run();
  CHECK(h.supervisor.specs.empty());
  REQUIRE_FALSE(report.errors.empty());
  CHECK_THAT(report.errors[0], Catch::Contains("database or disk is full"));

  PipelineHarness none(extract());
  none.no_window_store = true;
  auto r2 = none.run();
  CHECK(none.supervisor.specs.empty());
  CHECK_THAT(r2.stages[0].decision.reason, Catch::Contains("state store"));
}

TEST_CASE("a stop during a window leaves it pending, to run again", "[windows]") {
  PipelineHarness h(extract());
  ProcessResult stopped = FakeSupervisor::killed(15);
  stopped.aborted = true;
  h.supervisor.script("extract", {FakeSupervisor::exited(0), stopped});
  auto report = h.run();
  CHECK(h.supervisor.specs.size() == 2);
  const auto rows = h.window_store.all("extract");
  CHECK(rows[0].state == WindowState::kSucceeded);
  CHECK(rows[1].state == WindowState::kPending);
  CHECK(rows[1].error == "the run was stopped during it");
  CHECK(rows[1].runs == 1);
}
