#include <catch2/catch.hpp>

#include "notify/alert_policy.hpp"

using namespace pipeline;

namespace {

// A history kept the way the runner keeps it: each run is judged against the runs before
// it, then recorded.
struct Timeline {
  std::vector<RunSummary> newest_first;
  NotifyConfig::On on;
  std::optional<Millis> every = std::chrono::minutes(15);
  int minute = 0;

  std::vector<std::string> run(const std::string& status, int minutes_later = 15) {
    minute += minutes_later;
    RunSummary r;
    r.run_id = "run" + std::to_string(100 + newest_first.size());
    r.status = status;
    char at[32];
    std::snprintf(at, sizeof at, "2026-11-01T%02d:%02d:00Z", minute / 60, minute % 60);
    r.started_at = at;
    std::vector<std::string> events;
    for (const Alert& a : alerts_for(on, health_of(newest_first), r, every)) {
      events.push_back(a.event + "/" + std::to_string(a.streak.failed_runs) + "/" +
                       a.streak.since_run_id);
    }
    newest_first.insert(newest_first.begin(), r);
    return events;
  }
  using List = std::vector<std::string>;
};

}  // namespace

TEST_CASE("one alert per failure streak and one recovery: fail fail fail succeed fail",
          "[notify]") {
  Timeline t;
  CHECK(t.run("success") == Timeline::List{});
  CHECK(t.run("failure") == Timeline::List{"failure/1/run101"});
  CHECK(t.run("failure") == Timeline::List{});
  CHECK(t.run("partial") == Timeline::List{});
  CHECK(t.run("success") == Timeline::List{"recovery/3/run101"});
  CHECK(t.run("failure") == Timeline::List{"failure/1/run105"});
}

TEST_CASE("the very first run that fails raises the alert", "[notify]") {
  Timeline t;
  CHECK(t.run("error") == Timeline::List{"failure/1/run100"});
  CHECK(t.run("aborted") == Timeline::List{});
}

TEST_CASE("idle runs neither end a streak nor start one", "[notify]") {
  Timeline t;
  CHECK(t.run("idle") == Timeline::List{});
  CHECK(t.run("failure") == Timeline::List{"failure/1/run101"});
  CHECK(t.run("idle") == Timeline::List{});
  CHECK(t.run("failure") == Timeline::List{});
  CHECK(t.run("idle") == Timeline::List{});
  CHECK(t.run("success") == Timeline::List{"recovery/2/run101"});
  CHECK(t.run("idle") == Timeline::List{});
}

TEST_CASE("every_failure tells each failing run, with the streak so far", "[notify]") {
  Timeline t;
  t.on.every_failure = true;
  CHECK(t.run("failure") == Timeline::List{"failure/1/run100"});
  CHECK(t.run("failure") == Timeline::List{"failure/2/run100"});
  CHECK(t.run("success") == Timeline::List{"recovery/2/run100"});
}

TEST_CASE("success is told on request, and a recovery is not told twice", "[notify]") {
  Timeline t;
  t.on.success = true;
  CHECK(t.run("success") == Timeline::List{"success/0/"});
  CHECK(t.run("failure") == Timeline::List{"failure/1/run101"});
  CHECK(t.run("success") == Timeline::List{"recovery/1/run101"});
  t.on = {false, false, false, false, false};
  CHECK(t.run("failure") == Timeline::List{});
  CHECK(t.run("success") == Timeline::List{});
}

TEST_CASE("stale: the previous run started more than three intervals ago", "[notify]") {
  Timeline t;
  t.on.stale = true;
  CHECK(t.run("success") == Timeline::List{});  // the first run: nothing to compare with
  CHECK(t.run("success", 45) == Timeline::List{});
  CHECK(t.run("success", 46) == Timeline::List{"stale/0/"});
  CHECK(t.run("failure", 120) == Timeline::List{"stale/0/", "failure/1/run103"});
  t.on.stale = false;
  CHECK(t.run("failure", 120) == Timeline::List{});
  t.every.reset();
  t.on.stale = true;
  CHECK(t.run("failure", 500) == Timeline::List{});  // no schedule: nothing is due
}

TEST_CASE("health_of finds the streak and counts by status", "[notify]") {
  Timeline t;
  for (const char* s : {"success", "failure", "idle", "partial", "idle"}) t.run(s);
  RunHealth h = health_of(t.newest_first);
  REQUIRE(h.last);
  CHECK(h.last->status == "idle");
  CHECK(h.previous->status == "partial");
  CHECK(h.last_success->run_id == "run100");
  CHECK(h.streak_failed == 2);
  CHECK(h.streak_first->run_id == "run101");
  CHECK(h.runs_by_status == std::map<std::string, std::size_t>{
                                {"success", 1}, {"failure", 1}, {"idle", 2}, {"partial", 1}});
  RunHealth without = health_of(t.newest_first, "run104");
  CHECK(without.last->run_id == "run103");
  CHECK(without.runs_by_status["idle"] == 1);
}
