// SPEC 12's `parallel` against the built binary and real processes: ten stages in flight at
// once, every one of them in the lock record, all stopped by one signal with nothing left
// behind; a runner SIGKILLed with five in flight, whose next run kills them all; and a stage
// started the moment its `after` stage ends, beside a long one.
#include <functional>

#include "records/lock_record.hpp"
#include "support/e2e_posix.hpp"

using namespace pipeline;
using namespace pipeline::testing;

namespace {

// Polls (bounded) until every pidfile lists `count` pids.
bool wait_for_pids(const std::vector<std::string>& pidfiles, std::size_t count) {
  for (int i = 0; i < 3000; ++i) {
    if (std::all_of(pidfiles.begin(), pidfiles.end(),
                    [&](const std::string& f) { return read_pids(f).size() >= count; })) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// `parallel: n` and stages s0..s(n-1), each running misbehave with a pidfile of its own, a
// grandchild and a minute's sleep; extra(i) comes before those for stage i, `when` after.
// Writes the config; returns the pidfiles.
std::vector<std::string> stages_in_flight(Project& p, int n,
                                          const std::function<std::string(int)>& extra,
                                          const std::string& when = "") {
  std::string yaml = "parallel: " + std::to_string(n) + "\nstages:\n";
  std::vector<std::string> pidfiles;
  for (int i = 0; i < n; ++i) {
    const std::string pids = (p.dir / ("pids" + std::to_string(i))).string();
    pidfiles.push_back(pids);
    yaml += "  - name: s" + std::to_string(i) + "\n    command: " +
            misbehave("\"--pidfile\", \"" + pids + "\", " + extra(i) +
                      "\"--fork-grandchild\", \"60000\", \"--sleep\", \"60000\"") +
            "\n" + when;
  }
  p.config(yaml);
  return pidfiles;
}

}  // namespace

TEST_CASE("parallel: a stop with 10 stages in flight ends them all - nothing is left",
          "[e2e][parallel][stop]") {
  Project p;
  // Every one forks a grandchild; every other one refuses SIGTERM and must be killed.
  const auto pidfiles =
      stages_in_flight(p, 10, [](int i) { return i % 2 ? "\"--ignore-term\", " : ""; });
  Background runner(p);
  REQUIRE(wait_for_pids(pidfiles, 2));  // all ten, and their grandchildren, at once

  // The lock names every stage in flight, so a runner killed now leaves nothing unfound.
  auto owner = lock_owner_from_text(slurp(p.dir / "state" / "runner.lock"));
  REQUIRE(owner);
  CHECK(owner->stage_processes.size() == 10);

  ::kill(runner.pid, SIGTERM);
  auto [status, rss] = runner.wait();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  for (const auto& f : pidfiles) {
    for (long pid : read_pids(f)) {
      INFO(f << ": pid " << pid);
      CHECK(process_gone(pid));
    }
  }
  json report = p.latest_report();
  CHECK(report["status"] == "aborted");
  REQUIRE(report["stages"].size() == 10);
  for (const auto& s : report["stages"]) {
    INFO(s["name"]);
    CHECK(s["attempts"][0]["terminated"] == true);
  }
  // The refusers needed the kill: their events show both steps, each with its reason.
  int kills = 0;
  for (const auto& e : p.events_of(report["run_id"])) {
    if (std::string(e["event"]).ends_with(".kill")) ++kills;
  }
  CHECK(kills >= 5);
  CHECK(slurp(p.dir / "state" / "runner.lock").empty());  // released cleanly
}

TEST_CASE("parallel: a runner SIGKILLed with 5 stages in flight - the next run kills them all",
          "[e2e][parallel][hostile]") {
  Project p;
  // One of them also has a child that left its session (setsid).
  const auto pidfiles = stages_in_flight(
      p, 5, [](int i) { return i == 2 ? "\"--setsid-grandchild\", \"60000\", " : ""; },
      "    when: {missing: \"done.flag\"}\n");
  {
    Background doomed(p);
    REQUIRE(wait_for_pids(pidfiles, 2));
    REQUIRE(wait_for_pids({pidfiles[2]}, 3));
    ::kill(doomed.pid, SIGKILL);
    doomed.wait();
  }
  std::vector<long> all;
  for (const auto& f : pidfiles) {
    for (long pid : read_pids(f)) all.push_back(pid);
  }
  REQUIRE(all.size() == 11);  // five stages, five grandchildren and one that left its session
  for (long pid : all) REQUIRE_FALSE(process_gone(pid));  // orphans, still running

  write_file(p.dir / "done.flag", "");  // the next run has nothing to do but clean up
  auto next = p.run("--run-once -q");
  INFO(next.err);
  CHECK(next.exit_code == 0);
  for (long pid : all) {
    INFO("pid " << pid);
    CHECK(process_gone(pid));
  }
  json report = p.latest_report();
  REQUIRE(report["recovered"].is_object());
  CHECK(report["recovered"]["killed"].size() == 11);
}

TEST_CASE("parallel: a stage starts as soon as its after stage ends, beside a long one",
          "[e2e][parallel]") {
  Project p;
  p.config(
      "parallel: 2\nstages:\n"
      "  - name: long\n    command: " +
      misbehave("\"--sleep\", \"1500\"") +
      "\n  - name: first\n    command: " + misbehave("\"--print\", \"one\"") +
      "\n  - name: second\n    command: " + misbehave("\"--print\", \"two\"") +
      "\n    when: {after: [first]}\n");
  auto r = p.run("--run-once -q");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  json report = p.latest_report();
  std::map<std::string, long> seq_of;
  long last = 0;
  for (const auto& e : p.events_of(report["run_id"])) {
    CHECK(e["seq"].get<long>() > last);  // one order for every event of the run
    last = e["seq"];
    seq_of[e["event"]] = last;
  }
  // second ran and ended while long still ran.
  CHECK(seq_of.at("second.start") > seq_of.at("first.success"));
  CHECK(seq_of.at("second.success") < seq_of.at("long.success"));
  CHECK(stage(report, "second")["status"] == "succeeded");
}
