// The windowed example (config/events.yaml, SPEC 11) run by the built binary as cron runs it,
// at the times libfaketime gives it: a week of downtime caught up in bounded runs with every
// window processed exactly once (counted by the stage programs' own ledger), a backfill that
// re-runs exactly the asked range, a lossy load caught by its counts, and a runner killed at
// every fsync that never skips a window.
#include <csignal>
#include <map>
#include <set>

#include "support/e2e_posix.hpp"
#include "util/time_zone.hpp"

using namespace pipeline;
using namespace pipeline::testing;

namespace {

// The example as the README runs it, in a project folder of its own.
void events_example(Project& p, const std::string& edit_from = "",
                    const std::string& edit_to = "") {
  std::string text = slurp(fs::path(SOURCE_DIR) / "config" / "events.yaml");
  auto replace = [&](const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  };
  for (std::size_t at; (at = text.find("${root}/build/stages/")) != std::string::npos;) {
    text.replace(at, 21, stages_dir() + "/");
  }
  replace("logs: logs/events", "logs: logs");
  replace("state: state/events", "state: state");
  replace("initial: 10s", "initial: 10ms");
  if (!edit_from.empty()) replace(edit_from, edit_to);
  write_file(p.config_path(), text);
  write_file(p.home() / "sample_data" / "events" / "events.csv",
             slurp(fs::path(SOURCE_DIR) / "sample_data" / "events" / "events.csv"));
}

// The runner at a wall-clock time (its processes too); steady time runs as it does.
void at_time(Project& p, const std::string& when) {
  fake_time(p, "@" + when);
}

// How often each window id is in the ledger, per program.
std::map<std::string, std::map<std::string, int>> ledger(const Project& p) {
  std::map<std::string, std::map<std::string, int>> out;
  std::istringstream lines(slurp(p.home() / "data" / "events" / "ledger.txt"));
  for (std::string program, id; lines >> program >> id;) ++out[program][id];
  return out;
}

std::int64_t instant(const std::string& text) {
  auto t = parse_civil_time(text);
  REQUIRE(t);
  return t->local_seconds - t->offset.value_or(0);
}

// Distinct events of the sample with event_time in [from, to).
std::size_t events_between(std::int64_t from, std::int64_t to) {
  std::istringstream lines(slurp(fs::path(SOURCE_DIR) / "sample_data" / "events" / "events.csv"));
  std::string line;
  std::getline(lines, line);
  std::set<std::string> ids;
  while (std::getline(lines, line)) {
    const std::string id = line.substr(0, line.find(','));
    const std::int64_t at = instant(line.substr(id.size() + 1, 20));
    if (at >= from && at < to) ids.insert(id);
  }
  return ids.size();
}

std::size_t rows_in(const fs::path& folder) {
  std::size_t rows = 0;
  for (const auto& e : fs::directory_iterator(folder)) {
    std::istringstream lines(slurp(e.path()));
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) rows += line.empty() ? 0 : 1;
  }
  return rows;
}

}  // namespace

TEST_CASE(
    "windows: a week of downtime is caught up in bounded runs, each window exactly once, "
    "and a backfill re-runs exactly its range",
    "[e2e][windows]") {
  if (!have_faketime()) return;
  Project p;
  events_example(p);
  // 2026-01-03 12:00Z: windows that ended by 2026-01-02 12:00Z are due (lag 1d): 15 of them,
  // from 2026-01-01 00:00 New York time (05:00Z). The first run takes 12.
  at_time(p, "2026-01-03 12:00:00");
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  CHECK(p.latest_report()["windows"][0]["ran"] == 12);
  // The machine is off for a week. At 2026-01-10 12:00Z the windows that ended by
  // 2026-01-09 12:00Z are due: 99 in all, 87 of them new, 12 per run: 8 runs, then idle.
  int runs = 0;
  for (; runs < 20; ++runs) {
    // A minute apart, so that the reports sort in run order.
    at_time(p, "2026-01-10 12:" + std::string(runs < 10 ? "0" : "") + std::to_string(runs) + ":00");
    auto r = p.run("--run-once -q");
    REQUIRE(r.exit_code == 0);
    if (p.latest_report()["status"] == "idle") break;
  }
  CHECK(runs == 8);
  json idle = p.latest_report();
  CHECK_THAT(std::string(idle["stages"][0]["decision"]["reason"]),
             Catch::Contains("no window is due; the next is due at"));
  // Counted by the stage programs: every window once, by both, and none other.
  auto counted = ledger(p);
  REQUIRE(counted["extract"].size() == 99);
  CHECK(counted["load"].size() == 99);
  std::set<int> times;
  for (const auto& [id, n] : counted["extract"]) times.insert(n);
  for (const auto& [id, n] : counted["load"]) times.insert(n);
  CHECK(times == std::set<int>{1});
  CHECK(counted["extract"].begin()->first == "20260101T050000Z");
  CHECK(counted["extract"].rbegin()->first == "20260109T090000Z");
  // Nothing lost: every event of the sample in those windows reached the warehouse once.
  const std::size_t expected =
      events_between(instant("2026-01-01T05:00:00Z"), instant("2026-01-09T11:00:00Z"));
  CHECK(expected > 300);
  CHECK(rows_in(p.home() / "data" / "events" / "warehouse") == expected);
  CHECK(rows_in(p.home() / "data" / "events" / "extract") == expected);
  // The store says the same, and so do status and the watermark.
  auto listed = p.run("windows list --json");
  REQUIRE(listed.exit_code == 0);
  json all = json::parse(listed.out);
  REQUIRE(all.size() == 2);
  CHECK(all[0]["stage"] == "extract");
  CHECK(all[0]["windows"].size() == 99);
  CHECK(all[0]["open"] == 0);
  CHECK(all[0]["watermark"] != nullptr);
  CHECK(all[0]["timezone"] == "America/New_York");
  std::int64_t extracted = 0, duplicates = 0;
  for (const auto& w : all[0]["windows"]) {
    CHECK(w["state"] == "succeeded");
    extracted += w["counts"]["extracted"].get<std::int64_t>();
    duplicates += w["counts"]["duplicates"].get<std::int64_t>();
  }
  CHECK(extracted == static_cast<std::int64_t>(expected));
  CHECK(duplicates == 1);  // the sample delivers one event twice
  for (const auto& w : all[1]["windows"]) CHECK(w["counts"]["source"] == w["counts"]["target"]);
  auto status = json::parse(p.run("status --json").out);
  REQUIRE(status["windows"].size() == 2);
  CHECK(status["windows"][1]["stage"] == "load");
  CHECK(status["windows"][1]["open"] == 0);
  CHECK(status["windows"][1]["watermark"] == all[1]["watermark"]);
  CHECK_THAT(p.run("plan").out, Catch::Contains("load: 0 windows due and not succeeded"));

  // A backfill of New York's January 2nd: 12 windows, under the lock, for both stages.
  at_time(p, "2026-01-10 12:30:00");
  auto reset = p.run("windows reset --stage extract --from 2026-01-02 --to 2026-01-03");
  CHECK(reset.exit_code == 0);
  CHECK_THAT(reset.out, Catch::StartsWith("reset 12 windows of extract") &&
                            Catch::Contains("was: 12 succeeded"));
  REQUIRE(p.run("windows reset --stage load --from 2026-01-02 --to 2026-01-03 --json").exit_code ==
          0);
  auto pending = json::parse(p.run("windows list --stage extract --status pending --json").out);
  CHECK(pending[0]["windows"].size() == 12);
  CHECK(pending[0]["windows"][0]["id"] == "20260102T050000Z");
  at_time(p, "2026-01-10 12:31:00");
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  json backfill = p.latest_report();
  CHECK(backfill["status"] == "success");
  CHECK(backfill["stages"].size() == 24);
  auto again = ledger(p);
  for (const auto* program : {"extract", "load"}) {
    for (const auto& [id, n] : again[program]) {
      const bool asked = id >= "20260102T050000Z" && id < "20260103T050000Z";
      INFO(program << " " << id);
      CHECK(n == (asked ? 2 : 1));
    }
  }
  CHECK(rows_in(p.home() / "data" / "events" / "warehouse") == expected);  // replaced, not doubled
  at_time(p, "2026-01-10 12:32:00");
  CHECK(p.run("--run-once -q").exit_code == 0);
  CHECK(p.latest_report()["status"] == "idle");
}

TEST_CASE("windows: a lossy load fails its count check, is retried, and holds the watermark",
          "[e2e][windows][counts]") {
  if (!have_faketime()) return;
  Project p;
  events_example(p, "\"--ledger\", \"${paths.ledger}/ledger.txt\"]\n    when",
                 "\"--ledger\", \"${paths.ledger}/ledger.txt\", \"--drop\", \"1\"]\n    when");
  at_time(p, "2026-01-03 12:00:00");
  auto r = p.run("--run-once -q");
  json report = p.latest_report();
  CHECK(report["status"] == "partial");  // extract succeeded, load did not
  CHECK(r.exit_code == report["exit_code"]);
  CHECK(r.exit_code != 0);
  json load;
  for (const auto& s : report["stages"]) {
    if (s["name"] == "load") load = s;
  }
  REQUIRE(load.is_object());
  CHECK(load["status"] == "failed");
  REQUIRE(load["attempts"].size() == 3);  // retry_on: [count]
  CHECK(load["attempts"][2]["count_error"] == "count mismatch: source 3, target 2 (33.33%)");
  CHECK(load["metrics"]["counts"]["source"] == 3);
  CHECK(load["window"]["id"] == "20260101T050000Z");
  // Strict order: load stopped at its first window; its watermark has not moved.
  auto listed = json::parse(p.run("windows list --stage load --json").out);
  CHECK(listed[0]["watermark"] == nullptr);
  CHECK(listed[0]["windows"][0]["state"] == "failed");
  CHECK_THAT(std::string(listed[0]["windows"][0]["error"]), Catch::Contains("count mismatch"));
  bool event_said = false;
  for (const auto& e : p.events_of(report["run_id"])) {
    event_said = event_said || (e["event"] == "load.failure" &&
                                std::string(e["msg"]).find("count mismatch") != std::string::npos);
  }
  CHECK(event_said);
}

TEST_CASE("windows: a runner killed at any fsync never skips a window", "[e2e][windows][crash]") {
  if (std::system("command -v strace >/dev/null 2>&1") != 0) {
    WARN("SKIPPED: strace is not installed (tools/install-deps.sh installs it)");
    return;
  }
  // Windows from four days ago on this machine's real clock, 6h long, a day's lag: 11 or 12.
  const auto now = std::chrono::system_clock::now();
  const std::string start = TimeZone().format(now - std::chrono::hours(96), "%F");
  int points = 0;
  for (int n = 1; n <= 400; ++n) {
    Project p;
    events_example(p, "every: 2h\n      start: 2026-01-01            # local midnight in New York",
                   "every: 6h\n      start: " + start);
    // Only the first stage: its own ledger shows every window it processed.
    p.wrapper =
        "strace -f -qq -o /dev/null -e trace=fsync,fdatasync -e "
        "inject=fsync,fdatasync:signal=KILL:when=" +
        std::to_string(n);
    p.env = kNoLeakCheckUnderPtrace;
    auto crashed = p.run("--run-once -q --stage extract");
    p.wrapper.clear();
    p.env.clear();
    const bool killed = crashed.exit_code == 128 + SIGKILL;
    for (int i = 0; i < 6; ++i) {
      auto r = p.run("--run-once -q --stage extract");
      INFO("killed at fsync " << n << "; run " << i << " said: " << r.err);
      REQUIRE(r.exit_code == 0);
      if (p.latest_report()["status"] == "idle") break;
    }
    auto rows = json::parse(p.run("windows list --stage extract --json").out)[0]["windows"];
    REQUIRE(rows.size() >= 8);
    auto counted = ledger(p)["extract"];
    for (const auto& w : rows) {
      INFO("killed at fsync " << n << ", window " << w["id"]);
      CHECK(w["state"] == "succeeded");
      // Never skipped; run twice at most, when the kill came between its end and its record.
      CHECK(counted[w["id"]] >= 1);
      CHECK(counted[w["id"]] <= 2);
    }
    if (!killed) break;  // fewer fsyncs than n: every point has been tried
    ++points;
  }
  CHECK(points > 5);
}
