// The state of time windows (SPEC 11) on real SQLite, and the in-memory store the unit tests
// use held to the same rules; the counts a run records in the history.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>

#include "fakes/fake_window_store.hpp"
#include "records/sqlite_history.hpp"
#include "records/sqlite_state.hpp"
#include "support/temp_dir.hpp"
#include "util/paths.hpp"

using namespace pipeline;
using pipeline::testing::FakeWindowStore;
using pipeline::testing::TempDir;

namespace {

const WindowKey kKey{"extract", "7200s@0@UTC"};
constexpr std::int64_t kFar = std::int64_t{1} << 40;  // every window is due by then

std::vector<std::pair<std::int64_t, std::int64_t>> hours(std::int64_t from, int n) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (int i = 0; i < n; ++i) out.emplace_back(from + i * 3600, from + (i + 1) * 3600);
  return out;
}

WindowRow done(WindowRow r, WindowState state, int attempts) {
  r.state = state;
  r.attempts = attempts;
  r.runs += 1;
  r.run_id = "run-1";
  r.updated_ms = 1234;
  r.counts = {{"source", 10}, {"target", 9}};
  r.error = state == WindowState::kFailed ? "exit 3" : "";
  return r;
}

// The rules every WindowStore keeps.
void store_rules(WindowStore& s) {
  CHECK_FALSE(s.known_until(kKey));
  CHECK(s.open(kKey, 10).empty());
  s.add(kKey, hours(0, 6), 6 * 3600);
  CHECK(s.known_until(kKey) == 6 * 3600);
  CHECK(s.open_count(kKey, kFar) == 6);
  CHECK(s.open_count(kKey, 3 * 3600) == 3);  // those that end by then
  // Adding what is there keeps it as it is.
  s.put(kKey, done(s.open(kKey, 1)[0], WindowState::kSucceeded, 2));
  s.add(kKey, hours(0, 8), 8 * 3600);
  CHECK(s.known_until(kKey) == 8 * 3600);
  CHECK(s.open_count(kKey, kFar) == 7);
  auto open = s.open(kKey, 3);
  REQUIRE(open.size() == 3);
  CHECK(open[0].start == 3600);  // oldest first, the succeeded one left out
  s.put(kKey, done(open[0], WindowState::kFailed, 3));
  auto rows = s.overlapping(kKey, 0, 2 * 3600);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].state == WindowState::kSucceeded);
  CHECK(rows[0].attempts == 2);
  CHECK(rows[0].counts == std::map<std::string, std::int64_t>{{"source", 10}, {"target", 9}});
  CHECK(rows[1].state == WindowState::kFailed);
  CHECK(rows[1].error == "exit 3");
  CHECK(rows[1].run_id == "run-1");
  // Another grid of the same stage is another set of windows.
  const WindowKey other{"extract", "3600s@0@Europe/Berlin"};
  CHECK_FALSE(s.known_until(other));
  CHECK(s.open(other, 10).empty());
  // A reset marks the windows that overlap a range pending, and says what they were.
  auto before = s.reset(kKey, 1800, 2 * 3600, "reset at noon", 99);
  REQUIRE(before.size() == 2);
  CHECK(before[0].state == WindowState::kSucceeded);
  CHECK(before[1].state == WindowState::kFailed);
  auto after = s.overlapping(kKey, 0, 2 * 3600);
  CHECK(after[0].state == WindowState::kPending);
  CHECK(after[0].attempts == 2);  // the history of the window stays
  CHECK(after[0].run_id == "reset at noon");
  CHECK(after[1].error.empty());
  CHECK(s.open_count(kKey, kFar) == 8);
}

}  // namespace

TEST_CASE("the SQLite window store keeps the rules", "[windows][state]") {
  TempDir dir;
  auto store = open_sqlite_window_store(dir / "state.db");
  store_rules(*store);
}

TEST_CASE("the in-memory window store keeps the same rules", "[windows][state]") {
  FakeWindowStore store;
  store_rules(store);
}

TEST_CASE("a window marked running when the runner died is open again, never done",
          "[windows][state]") {
  TempDir dir;
  {
    auto store = open_sqlite_window_store(dir / "state.db");
    store->add(kKey, hours(0, 3), 3 * 3600);
    WindowRow first = store->open(kKey, 1)[0];
    store->put(kKey, done(first, WindowState::kSucceeded, 1));
    WindowRow second = store->open(kKey, 1)[0];
    second.state = WindowState::kRunning;  // the stage ran; the runner died before its record
    second.runs = 1;
    store->put(kKey, second);
  }
  auto reopened = open_sqlite_window_store(dir / "state.db");
  auto open = reopened->open(kKey, 10);
  REQUIRE(open.size() == 2);
  CHECK(open[0].start == 3600);
  CHECK(open[0].state == WindowState::kRunning);
  CHECK(open[0].runs == 1);
  // The outbox and the counters share the file.
  CHECK(open_sqlite_outbox(dir / "state.db")->pending().empty());
}

TEST_CASE("a state store of another schema is refused for windows too", "[windows][state]") {
  TempDir dir;
  {
    SQLite::Database db(path_text(dir / "state.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = 7");
  }
  CHECK_THROWS_WITH(open_sqlite_window_store(dir / "state.db"), Catch::Contains("schema 7, not 1"));
}

TEST_CASE("the history keeps each record's counts with its window", "[windows][history]") {
  TempDir dir;
  auto h = rebuild_sqlite_history(dir / "pipeline.db", {});
  RunReport r;
  r.run_id = "r1";
  r.pipeline = "p";
  r.status = RunStatus::kSuccess;
  r.started_at = std::chrono::system_clock::now();
  r.finished_at = r.started_at;
  r.stages.resize(2);
  r.stages[0].name = "load";
  r.stages[0].status = StageStatus::kSucceeded;
  r.stages[0].window = WindowRef{"20260101T050000Z", r.started_at, r.started_at};
  r.stages[0].counts = {{"source", 3}, {"target", 3}};
  r.stages[1].name = "load";
  r.stages[1].status = StageStatus::kSucceeded;
  r.stages[1].counts = {{"source", 4}};
  h->record(r, "/reports/r1.json");
  h.reset();
  SQLite::Database db(path_text(dir / "pipeline.db"), SQLite::OPEN_READONLY);
  SQLite::Statement q(db,
                      "SELECT seq, coalesce(window, '-'), name, value FROM stage_counts "
                      "ORDER BY seq, name");
  std::vector<std::string> rows;
  while (q.executeStep()) {
    rows.push_back(std::to_string(q.getColumn(0).getInt()) + " " + q.getColumn(1).getString() +
                   " " + q.getColumn(2).getString() + "=" +
                   std::to_string(q.getColumn(3).getInt64()));
  }
  CHECK(rows == std::vector<std::string>{"1 20260101T050000Z source=3",
                                         "1 20260101T050000Z target=3", "2 - source=4"});
}
