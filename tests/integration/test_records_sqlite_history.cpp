// The SQLite history on a real (temporary) file: recording, queries, damage and rebuild.
#include <catch2/catch.hpp>
#include <fstream>

#include "records/run_history.hpp"
#include "support/temp_dir.hpp"
#include "util/run_id.hpp"

using namespace pipeline;
using nlohmann::json;
using pipeline::testing::TempDir;

namespace {

json report(const std::string& id, const std::string& status, int minutes_ago,
            const std::string& stage_status = "succeeded") {
  TimePoint start = std::chrono::system_clock::now() - std::chrono::minutes(minutes_ago);
  return {{"run_id", id},
          {"pipeline", "p"},
          {"status", status},
          {"exit_code", status == "success" ? 0 : 2},
          {"started_at", format_rfc3339(start)},
          {"duration_ms", 12},
          {"stages",
           {{{"name", "translator"}, {"status", "succeeded"}, {"attempts", json::array()}},
            {{"name", "merger"},
             {"status", stage_status},
             {"batch", "b1"},
             {"attempts", {{{"attempt", 1}, {"exit_code", 2}, {"signal", nullptr}}}}}}},
          {"batches", {{{"id", "b1"}, {"status", "FAILED"}, {"moved_to", "error/b1"}}}}};
}

std::vector<std::string> ids(const std::vector<json>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r["run_id"]);
  return out;
}

}  // namespace

TEST_CASE("history records runs and answers audit list queries", "[history]") {
  TempDir dir;
  fs::path db = dir / "pipeline.db";
  CHECK_THROWS_AS(open_history(db, false), HistoryUnusable);
  auto h = rebuild_history(db, {});
  h->record(report("r1", "success", 60 * 24 * 10), "/reports/r1.json");
  h->record(report("r2", "failure", 60, "failed"), "/reports/r2.json");
  h->record(report("r3", "failure", 30, "skipped"), "/reports/r3.json");
  h->record(report("r3", "failure", 30, "skipped"), "/reports/r3.json");  // recorded twice
  CHECK(h->count() == 3);

  CHECK(ids(h->list({})) == std::vector<std::string>{"r3", "r2", "r1"});
  CHECK(ids(h->list({1, "", std::nullopt, ""})) == std::vector<std::string>{"r3"});
  CHECK(ids(h->list({20, "failure", std::nullopt, ""})) == std::vector<std::string>{"r3", "r2"});
  TimePoint week = std::chrono::system_clock::now() - std::chrono::hours(24 * 7);
  CHECK(ids(h->list({20, "", week, ""})) == std::vector<std::string>{"r3", "r2"});
  // --stage merger: runs in which merger ran (in r3 it was skipped)
  CHECK(ids(h->list({20, "failure", week, "merger"})) == std::vector<std::string>{"r2"});
  json row = h->list({20, "failure", week, "merger"}).at(0);
  CHECK(row["report"] == "/reports/r2.json");
  CHECK(row["exit_code"] == 2);
  CHECK(row["stages"].size() == 2);
  CHECK(row["stages"][1]["batch"] == "b1");

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
  CHECK_THROWS_AS(open_history(db, false), HistoryUnusable);
  auto h = rebuild_history(db, {{report("a", "success", 5), "/a.json"},
                                {json{{"no_run_id", true}}, "/bad.json"},
                                {report("b", "partial", 1), "/b.json"}});
  CHECK(h->count() == 2);
  CHECK(fs::exists(dir / "pipeline.db.previous"));
  h.reset();
  auto reopened = open_history(db, true);
  CHECK(ids(reopened->list({})) == std::vector<std::string>{"b", "a"});
}
