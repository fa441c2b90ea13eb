// record_run on a real folder and a real SQLite file: the history follows the reports, and
// the reports folder is listed only when it changed since the history last matched it.
#include <catch2/catch.hpp>
#include <fstream>

#include "platform/real_file_system.hpp"
#include "records/audit_reporter.hpp"
#include "records/record_layout.hpp"
#include "records/run_records.hpp"
#include "support/temp_dir.hpp"
#include "util/run_id.hpp"

using namespace pipeline;
using pipeline::testing::TempDir;

namespace {

struct Records {
  Records()
      : config(parse_config("version: 1\npipeline: p\nroot: " + dir.path().string() +
                                "\nstages: [{name: a, command: [x]}]\n",
                            dir / "p.yaml", [](const std::string&) { return std::nullopt; })),
        layout(config) {
    files.create_directories(config.state);  // the run lock's folder, made before a run
  }

  // A run as RunSession does it: the folder's mtime at the start, the report, then record_run.
  RecordOutcome run(int minutes_ago) {
    auto at_start = reports_mtime(config, files);
    RunReport r;
    r.started_at = std::chrono::system_clock::now() - std::chrono::minutes(minutes_ago);
    r.finished_at = r.started_at;
    r.run_id = make_run_id(r.started_at);
    r.pipeline = "p";
    fs::path path = AuditReporter(files, layout).write(r);
    ids.push_back(r.run_id);
    return record_run(config, files, r, path.string(), {}, at_start, {});
  }

  // The folder changes as a person's hand changes it: at a time no run has stamped. (Where
  // a folder's time cannot be set, as on Windows, a file made and removed in it changes it.)
  void touched() {
    std::error_code ec;
    fs::last_write_time(layout.reports_dir(),
                        fs::last_write_time(layout.reports_dir()) + std::chrono::seconds(5), ec);
    if (!ec) return;
    const fs::path hand = layout.reports_dir() / "by-hand.txt";
    testing::write_file(hand, "x");
    fs::remove(hand);
  }

  std::size_t recorded() { return open_history(config, false)->count(); }

  TempDir dir;
  Config config;
  RecordLayout layout;
  RealFileSystem files;
  std::vector<std::string> ids;
};

}  // namespace

TEST_CASE("record_run lists the reports only when the folder changed since it last matched",
          "[history]") {
  Records rec;
  rec.run(30);
  rec.run(20);
  REQUIRE(rec.recorded() == 2);

  // A row lost while the folder stayed as it was: the next run trusts the stamp and does
  // not list the folder, so it does not notice (this is what the stamp saves).
  open_history(rec.config, false)->forget({rec.ids[0]});
  rec.run(10);
  CHECK(rec.recorded() == 2);

  // Once the folder changes behind the runs' back, the next run lists it and converges.
  rec.touched();
  rec.run(5);
  CHECK(rec.recorded() == 4);
}

TEST_CASE("an unfinished report write is removed whatever its age, and said", "[history]") {
  Records rec;
  rec.run(30);
  fs::path leftover = rec.layout.reports_dir() / ".pipeline_report_x.json.tmp123";
  { std::ofstream(leftover) << "half"; }  // a runner died writing it, just now
  auto outcome = rec.run(20);
  CHECK_FALSE(fs::exists(leftover));
  REQUIRE(outcome.temp_removed.size() == 1);
  CHECK_THAT(outcome.temp_removed[0], Catch::Contains("unfinished write of a run that died"));
  CHECK(rec.recorded() == 2);
}

TEST_CASE("a history deleted between runs is rebuilt with every report and stamped", "[history]") {
  Records rec;
  rec.run(30);
  rec.run(20);
  fs::remove(rec.layout.history_db());
  auto outcome = rec.run(10);
  REQUIRE(outcome.rebuilt.has_value());
  CHECK_THAT(*outcome.rebuilt, Catch::Contains("3 runs"));
  CHECK(open_history(rec.config, false)->reports_stamp() == reports_mtime(rec.config, rec.files));
}
