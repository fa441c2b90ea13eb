// The windows of a lost state store, rebuilt from the reports (SPEC 11, 14): the last
// outcome of each window a report ran, everything up to the newest watermark succeeded,
// the rest pending, and nothing of another grid.
#include <catch2/catch.hpp>

#include "core/window_restore.hpp"
#include "fakes/fake_window_store.hpp"

using namespace pipeline;
using pipeline::testing::FakeWindowStore;

namespace {

Config windowed() {
  return parse_config(
      "version: 1\npipeline: t\nroot: /r\nstages:\n  - name: s\n    command: [x]\n"
      "    windows: {every: 1h, start: \"2026-01-01T00:00:00Z\"}\n  - name: plain\n"
      "    command: [y]\n",
      "/r/p.yaml", [](const std::string&) { return std::nullopt; });
}

constexpr std::int64_t kStart = 1767225600;  // 2026-01-01T00:00:00Z

StageRecord window_record(int hour, StageStatus status, int attempts = 1, int minutes = 60) {
  StageRecord r;
  r.name = "s";
  const std::int64_t start = kStart + hour * 3600;
  r.window = WindowRef{"", from_unix_seconds(start), from_unix_seconds(start + minutes * 60)};
  r.status = status;
  for (int i = 0; i < attempts; ++i) {
    AttemptRecord a;
    a.attempt = i + 1;
    a.exit_code = status == StageStatus::kSucceeded ? 0 : 3;
    r.attempts.push_back(a);
  }
  if (status == StageStatus::kSucceeded) r.counts["rows"] = 10 + hour;
  return r;
}

ReportOnRecord report(const std::string& run_id, std::vector<StageRecord> stages,
                      std::optional<int> watermark_hour = std::nullopt) {
  RunReport r;
  r.run_id = run_id;
  r.stages = std::move(stages);
  if (watermark_hour) {
    WindowSummary w;
    w.stage = "s";
    w.watermark = from_unix_seconds(kStart + *watermark_hour * 3600);
    r.windows.push_back(w);
  }
  return {r, run_id + ".json"};
}

}  // namespace

TEST_CASE("restore: each window's last outcome, attempts added up, later ones pending",
          "[windows][restore]") {
  const Config c = windowed();
  FakeWindowStore store;
  auto done = restore_windows(c,
                              {report("r1", {window_record(0, StageStatus::kSucceeded),
                                             window_record(1, StageStatus::kFailed, 2),
                                             window_record(2, StageStatus::kSucceeded)}),
                               report("r2", {window_record(1, StageStatus::kSucceeded),
                                             window_record(4, StageStatus::kFailed)})},
                              store);
  REQUIRE(done.size() == 1);
  CHECK(done[0].stage == "s");
  CHECK(done[0].windows == 5);  // hours 0-4; hour 3 was never run and comes back pending
  CHECK(done[0].succeeded == 3);
  CHECK(done[0].from_reports == 4);
  const auto rows = store.all("s");
  REQUIRE(rows.size() == 5);
  CHECK(rows[1].state == WindowState::kSucceeded);
  CHECK(rows[1].attempts == 3);
  CHECK(rows[1].runs == 2);
  CHECK(rows[1].run_id == "r2");
  CHECK(rows[1].counts.at("rows") == 11);
  CHECK(rows[3].state == WindowState::kPending);
  CHECK(rows[4].state == WindowState::kFailed);
  CHECK(rows[4].error == "exit 3");
  CHECK(store.known_until(window_key(c.stages[0])) == kStart + 5 * 3600);
}

TEST_CASE("restore: the newest watermark stands for windows whose reports are gone",
          "[windows][restore]") {
  const Config c = windowed();
  FakeWindowStore store;
  // Retention took the reports that ran hours 0-9; the last report says all of them
  // succeeded, and a failed hour 3 from an old report does not undo that.
  restore_windows(
      c, {report("old", {window_record(3, StageStatus::kFailed)}, 2), report("idle", {}, 10)},
      store);
  const auto rows = store.all("s");
  REQUIRE(rows.size() == 10);
  for (const auto& r : rows) CHECK(r.state == WindowState::kSucceeded);
  CHECK(store.known_until(window_key(c.stages[0])) == kStart + 10 * 3600);
}

TEST_CASE("restore: windows of another grid and stages no report knows are left out",
          "[windows][restore]") {
  const Config c = windowed();
  FakeWindowStore store;
  // A 30-minute window is not of this 1h grid; nothing else is known of stage s.
  auto done =
      restore_windows(c, {report("r", {window_record(0, StageStatus::kSucceeded, 1, 30)})}, store);
  CHECK(done.empty());
  CHECK(store.all("s").empty());
  CHECK(restore_windows(c, {}, store).empty());
}
