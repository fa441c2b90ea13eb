// The SQLite history on a real (temporary) file: recording, queries, damage and rebuild.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>

#include "app/dashboard.hpp"
#include "records/sqlite_history.hpp"
#include "records/sqlite_state.hpp"
#include "support/temp_dir.hpp"
#include "util/paths.hpp"
#include "util/run_id.hpp"

using namespace pipeline;
using pipeline::testing::TempDir;

namespace {

RunReport report(const std::string& id, RunStatus status, int minutes_ago,
                 StageStatus merger = StageStatus::kSucceeded) {
  RunReport r;
  r.run_id = id;
  r.pipeline = "p";
  r.status = status;
  r.exit_code = exit_code_for(status);
  r.started_at = std::chrono::system_clock::now() - std::chrono::minutes(minutes_ago);
  r.finished_at = r.started_at + std::chrono::milliseconds(12);
  r.stages.resize(2);
  r.stages[0].name = "translator";
  r.stages[0].status = StageStatus::kSucceeded;
  r.stages[1].name = "merger";
  r.stages[1].status = merger;
  r.stages[1].batch = "b1";
  r.stages[1].attempts.resize(1);
  r.stages[1].attempts[0].exit_code = 2;
  r.batches.push_back({"b1", "FAILED", "error/b1", "b1_MANIFEST.json", "", false});
  return r;
}

std::vector<std::string> ids(const std::vector<RunSummary>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.run_id);
  return out;
}

}  // namespace

TEST_CASE("history records runs and answers audit list queries", "[history]") {
  TempDir dir;
  fs::path db = dir / "pipeline.db";
  CHECK_THROWS_AS(open_sqlite_history(db, false), HistoryUnusable);
  auto h = rebuild_sqlite_history(db, {});
  h->record(report("r1", RunStatus::kSuccess, 60 * 24 * 10), "/reports/r1.json");
  const RunReport r2 = report("r2", RunStatus::kFailure, 60, StageStatus::kFailed);
  h->record(r2, "/reports/r2.json");
  h->record(report("r3", RunStatus::kFailure, 30, StageStatus::kSkipped), "/reports/r3.json");
  h->record(report("r3", RunStatus::kFailure, 30, StageStatus::kSkipped),
            "/reports/r3.json");  // recorded twice
  CHECK(h->count() == 3);

  CHECK(ids(h->list({})) == std::vector<std::string>{"r3", "r2", "r1"});
  CHECK(ids(h->list({1, "", std::nullopt, ""})) == std::vector<std::string>{"r3"});
  CHECK(ids(h->list({20, "failure", std::nullopt, ""})) == std::vector<std::string>{"r3", "r2"});
  TimePoint week = std::chrono::system_clock::now() - std::chrono::hours(24 * 7);
  CHECK(ids(h->list({20, "", week, ""})) == std::vector<std::string>{"r3", "r2"});
  // --stage merger: runs in which merger ran (in r3 it was skipped)
  CHECK(ids(h->list({20, "failure", week, "merger"})) == std::vector<std::string>{"r2"});
  RunSummary row = h->list({20, "failure", week, "merger"}).at(0);
  CHECK(row.report == "/reports/r2.json");
  CHECK(row.exit_code == 2);
  CHECK(row.duration_ms == 12);
  REQUIRE(row.stages.size() == 2);
  CHECK(row.stages[1].batch == "b1");
  CHECK(row.stages[1].status == "failed");
  // The same answer as the summary made from the report itself (audit list without the db).
  CHECK(summary_to_json(row) == summary_to_json(summary_of(r2, "/reports/r2.json")));

  CHECK(h->find("r", 5).size() == 3);
  CHECK(h->find("r2", 5) ==
        std::vector<std::pair<std::string, std::string>>{{"r2", "/reports/r2.json"}});
  CHECK(h->find("", 1).at(0).first == "r3");
  h->forget({"r2", "r1"});
  CHECK(ids(h->list({})) == std::vector<std::string>{"r3"});
}

TEST_CASE("a damaged history is refused and a rebuild replaces it from the reports", "[history]") {
  TempDir dir;
  fs::path db = dir / "pipeline.db";
  { std::ofstream(db) << "not a database at all, just text that is long enough to be a header"; }
  CHECK_THROWS_AS(open_sqlite_history(db, false), HistoryUnusable);
  auto h = rebuild_sqlite_history(db, {{report("a", RunStatus::kSuccess, 5), "/a.json"},
                                       {RunReport{}, "/bad.json"},
                                       {report("b", RunStatus::kPartial, 1), "/b.json"}});
  CHECK(h->count() == 2);
  CHECK(fs::exists(dir / "pipeline.db.previous"));
  h.reset();
  auto reopened = open_sqlite_history(db, true);
  CHECK(ids(reopened->list({})) == std::vector<std::string>{"b", "a"});
}

TEST_CASE("a history deleted by hand leaves its WAL behind: the rebuild never replays it",
          "[history]") {
  TempDir dir;
  fs::path db = dir / "pipeline.db";
  rebuild_sqlite_history(db, {}).reset();
  {
    auto h = open_sqlite_history(db, false);  // as a run opens it: the WAL stays between runs
    for (int i = 0; i < 30; ++i) {
      h->record(report("old" + std::to_string(i), RunStatus::kSuccess, 100 + i), "/old.json");
    }
  }
  REQUIRE(fs::exists(dir / "pipeline.db-wal"));
  fs::remove(db);  // someone deletes the database, not its WAL
  auto h = rebuild_sqlite_history(db, {{report("new", RunStatus::kSuccess, 1), "/new.json"}});
  CHECK(h->count() == 1);
  h.reset();
  auto reopened = open_sqlite_history(db, true);  // quick_check
  CHECK(ids(reopened->list({})) == std::vector<std::string>{"new"});
}

TEST_CASE("runs that close without a checkpoint are all kept, and the WAL stays bounded",
          "[history]") {
  TempDir dir;
  fs::path db = dir / "pipeline.db";
  rebuild_sqlite_history(db, {}).reset();
  const auto base_size = fs::file_size(db);
  std::uintmax_t largest_wal = 0;
  constexpr int kRuns = 300;  // enough for several automatic checkpoints
  for (int i = 0; i < kRuns; ++i) {
    {
      auto h = open_sqlite_history(db, false);  // one open and close per run, as a run does
      h->record(report("run" + std::to_string(1000 + i), RunStatus::kSuccess, kRuns - i),
                "/r.json");
    }
    largest_wal = std::max(largest_wal, fs::file_size(dir / "pipeline.db-wal"));
  }
  // The commits reached the database file through checkpoints made by commits, not closes.
  CHECK(fs::file_size(db) > base_size);
  // Bounded by the checkpoint at 128 pages (of 4 KiB and a frame header) plus one commit.
  CHECK(largest_wal < 160 * 4120);
  auto h = open_sqlite_history(db, true);  // quick_check over the database and its WAL
  CHECK(h->count() == kRuns);
  CHECK(h->list({1, "", std::nullopt, ""}).front().run_id == "run" + std::to_string(999 + kRuns));
}

namespace {

// Two healths agree: the same runs, streak and counts.
void check_same(const RunHealth& a, const RunHealth& b) {
  auto id = [](const std::optional<RunSummary>& r) { return r ? r->run_id : std::string("-"); };
  CHECK(id(a.last) == id(b.last));
  CHECK(id(a.previous) == id(b.previous));
  CHECK(id(a.last_success) == id(b.last_success));
  CHECK(id(a.streak_first) == id(b.streak_first));
  CHECK(a.streak_failed == b.streak_failed);
  CHECK(a.runs_by_status == b.runs_by_status);
}

}  // namespace

TEST_CASE("the history's health is the rule's over every sequence of statuses", "[history]") {
  // Every sequence of 5 runs over success, failure, idle and partial: 1024 histories, each
  // asked with and without its newest run, in SQLite and by health_of().
  const RunStatus statuses[] = {RunStatus::kSuccess, RunStatus::kFailure, RunStatus::kIdle,
                                RunStatus::kPartial};
  TempDir dir;
  std::vector<ReportOnRecord> none;
  auto h = rebuild_sqlite_history(dir / "pipeline.db", none);
  for (int code = 0; code < 1024; ++code) {
    std::vector<std::string> recorded;
    std::vector<RunSummary> newest_first;
    int c = code;
    for (int i = 0; i < 5; ++i, c /= 4) {
      std::string id = "r" + std::to_string(code) + "-" + std::to_string(i);
      RunReport r = report(id, statuses[c % 4], 10 - i);
      h->record(r, id + ".json");
      recorded.push_back(id);
      newest_first.insert(newest_first.begin(), summary_of(r, id + ".json"));
    }
    INFO("statuses " << code);
    check_same(h->health(""), health_of(newest_first));
    check_same(h->health(recorded.back()), health_of(newest_first, recorded.back()));
    h->forget(recorded);
  }
  RunHealth empty = h->health("");
  CHECK_FALSE(empty.last);
  CHECK(empty.streak_failed == 0);
}

TEST_CASE("the outbox keeps alerts through a reopen, in order, until removed", "[notify]") {
  TempDir dir;
  const fs::path db = dir / "state.db";
  {
    auto box = open_sqlite_outbox(db);
    CHECK(box->add({0, "webhook", "failure", "r1", "failure", R"({"a":1})", 1000, 0, ""}) == 1);
    CHECK(box->add({0, "email", "failure", "r1", "failure", R"({"a":1})", 1000, 0, ""}) == 2);
    box->failed(1, "HTTP 503", 60'000, 61'000);
    box->failed(1, "timed out", 120'000, 121'000);
  }
  auto box = open_sqlite_outbox(db);
  auto kept = box->pending();
  REQUIRE(kept.size() == 2);
  CHECK(kept[0].channel == "webhook");
  CHECK(kept[0].attempts == 2);
  CHECK(kept[0].last_error == "timed out");
  CHECK(kept[0].payload == R"({"a":1})");
  CHECK(kept[0].created_ms == 1000);
  CHECK(kept[0].tried_ms == 120'000);
  CHECK(kept[0].last_ms == 121'000);
  CHECK(kept[1].channel == "email");
  box->remove(1);
  CHECK(box->add({0, "webhook", "recovery", "r2", "success", "{}", 2000, 0, ""}) == 3);
  kept = box->pending();
  REQUIRE(kept.size() == 2);
  CHECK(kept[0].id == 2);
  CHECK(kept[1].event == "recovery");
}

TEST_CASE("an outbox that is not ours, or not a database, is refused with the reason", "[notify]") {
  TempDir dir;
  pipeline::testing::write_file(dir / "junk.db", std::string(8192, 'x'));
  CHECK_THROWS_WITH(open_sqlite_outbox(dir / "junk.db"), Catch::Contains("junk.db"));
  { auto box = open_sqlite_outbox(dir / "future.db"); }
  SQLite::Database(pipeline::path_text(dir / "future.db"), SQLite::OPEN_READWRITE)
      .exec("PRAGMA user_version = 9");
  CHECK_THROWS_WITH(open_sqlite_outbox(dir / "future.db"),
                    Catch::Contains("a state store of schema 9, not 1"));
}

TEST_CASE("a year of runs every 15 minutes draws a dashboard under 1 MiB", "[dashboard]") {
  // 35,040 runs (365 days x 96), each with three stages, one in fifty failing with stderr.
  TempDir dir;
  std::vector<ReportOnRecord> year;
  const auto start = std::chrono::system_clock::now() - std::chrono::hours(24 * 365);
  for (int i = 0; i < 365 * 96; ++i) {
    RunReport r;
    r.run_id = make_run_id(start + std::chrono::minutes(15 * i));
    r.pipeline = "sales";
    r.status = i % 50 == 0 ? RunStatus::kFailure : (i % 3 ? RunStatus::kIdle : RunStatus::kSuccess);
    r.started_at = start + std::chrono::minutes(15 * i);
    r.finished_at = r.started_at + std::chrono::seconds(40);
    for (const char* name : {"extract", "transform", "load"}) {
      StageRecord s;
      s.name = name;
      s.status = r.status == RunStatus::kIdle      ? StageStatus::kSkipped
                 : r.status == RunStatus::kFailure ? StageStatus::kFailed
                                                   : StageStatus::kSucceeded;
      AttemptRecord a;
      a.duration = std::chrono::milliseconds(1000 + (i * 37) % 9000);
      a.stderr_tail = {"warning: slow upstream", "error: the feed closed the connection"};
      s.attempts = {a};
      r.stages.push_back(s);
    }
    year.emplace_back(r, (dir / "logs" / "reports" / (r.run_id + ".json")).generic_string());
  }
  auto h = rebuild_sqlite_history(dir / "pipeline.db", year);
  DashboardData d;
  d.status.pipeline = "sales";
  d.status.health = h->health("");
  d.out_dir = dir / "logs" / "dashboard";
  d.logs = dir / "logs";
  d.stage_names = {"extract", "transform", "load"};
  fill_from_history(d, *h);
  for (std::size_t i = 0; i < kDashboardFailures; ++i) d.failures.push_back(year[i * 50].first);
  const std::string page = render_dashboard(d);
  INFO("page: " << page.size() << " bytes");
  CHECK(page.size() < std::size_t{1} << 20);
  CHECK(d.runs.size() == kDashboardTimelineRuns);
  CHECK(d.status.health.runs_by_status.at("failure") == 701);
  // Every day of the year is in the year view, and every run is counted in it.
  std::size_t counted = 0;
  std::set<std::int64_t> days;
  for (const auto& dc : d.days) {
    counted += dc.runs;
    days.insert(dc.day);
  }
  CHECK(counted == year.size());
  CHECK(days.size() >= 365);
}
