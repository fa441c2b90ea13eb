// The built binary under what only POSIX has: stop signals sent to it, SIGKILL in the middle
// of a stage or a batch (the next run cleans up), two runners racing (forked), and its peak
// memory (rusage). The portable end-to-end tests are in test_e2e_pipeline.cpp.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/e2e_posix.hpp"
#include "support/process_probe.hpp"
#include "support/temp_dir.hpp"

using namespace pipeline;
using namespace pipeline::testing;
namespace fs = std::filesystem;
using nlohmann::json;

TEST_CASE("e2e: a stop signal ends the stage and the run as aborted with 128+N", "[e2e]") {
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    INFO("signal " << sig);
    Project p;
    p.config("stages:\n  - name: long\n    command: " + misbehave("\"--sleep\", \"60000\"") +
             "\n  - name: after\n    command: " + misbehave("\"--print\", \"x\"") + "\n");
    Background runner(p);
    REQUIRE(wait_for_event(p, "long.start"));
    ::kill(runner.pid, sig);
    auto [status, rss] = runner.wait();
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + sig);
    json report = p.latest_report();
    CHECK(report["status"] == "aborted");
    CHECK(report["exit_code"] == 128 + sig);
    CHECK(stage(report, "long")["attempts"][0]["terminated"] == true);
    CHECK(stage(report, "after")["status"] == "not_started");
    CHECK(p.events_of(report["run_id"]).back()["event"] == "pipeline.aborted");
    CHECK(slurp(p.dir / "state" / "runner.lock").empty());  // released cleanly
  }
}

TEST_CASE("e2e: after a runner is SIGKILLed the next run kills what it left and says so", "[e2e]") {
  Project p;
  std::string pids = (p.dir / "pids").string();
  p.config("stages:\n  - name: long\n    command: " +
           misbehave("\"--pidfile\", \"" + pids +
                     "\", \"--setsid-grandchild\", \"60000\", \"--fork-grandchild\", "
                     "\"60000\", \"--sleep\", \"60000\"") +
           "\n    when: {missing: \"done.flag\"}\n");
  kill_runner_mid_stage(p, "long", pids, 3);
  auto dead_events = p.files_in("logs/events");
  REQUIRE(dead_events.size() == 1);
  std::string dead_log = slurp(dead_events[0]);

  write_file(p.dir / "done.flag", "");  // the next run has nothing to do but clean up
  auto next = p.run("--run-once -q");
  CHECK(next.exit_code == 0);
  for (long pid : read_pids(pids)) CHECK(process_gone(pid));
  json report = p.latest_report();
  CHECK(report["status"] == "idle");
  REQUIRE(report["recovered"].is_object());
  CHECK(report["recovered"]["killed"].size() == 3);
  CHECK(report["recovered"]["report_missing"] == true);
  bool recovered_event = false;
  for (const auto& e : p.events_of(report["run_id"])) {
    recovered_event = recovered_event || e["event"] == "pipeline.recovered";
  }
  CHECK(recovered_event);
  CHECK(slurp(dead_events[0]) == dead_log);  // the dead run's events gained nothing
}

TEST_CASE("e2e: the runner's memory stays bounded while a stage streams 256 MiB", "[e2e]") {
  Project p;
  p.config("stages:\n  - name: flood\n    command: " +
           misbehave("\"--lines\", \"2684355\", \"--huge-line\", \"33554432\"") + "\n");
  Background runner(p);
  auto [status, peak_kib] = runner.wait();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
#ifdef PIPELINE_SANITIZED
  WARN("peak RSS " << peak_kib
                   << " KiB under ASan (shadow memory): the 32 MiB bound is "
                      "checked by the release build");
#else
  CHECK(peak_kib < 32 * 1024);
#endif
  json report = p.latest_report();
  CHECK(stage(report, "flood")["metrics"]["stdout_bytes"] == 268435500LL + 33554432LL);
  CHECK(fs::file_size(p.dir /
                      stage(report, "flood")["attempts"][0]["stdout_log"].get<std::string>()) ==
        268435500ULL + 33554432ULL);
}

TEST_CASE("e2e: a runner killed in the middle of a batch - the next run finishes it",
          "[e2e][batch]") {
  Project p;
  // The stage hangs while hang.flag exists, and copies the batch's file when it does not.
  p.config(
      "stages:\n  - name: load\n    command: [sh, -c, \"test -e hang.flag && exec sleep 600; "
      "cat \\\"$$0\\\" > out.txt\", \"${batch.raw_data}\"]\n" +
      kBatchYaml);
  submit(p, "k1");
  write_file(p.dir / "hang.flag", "");
  {
    Background runner(p);
    REQUIRE(wait_for_event(p, "load.start"));
    ::kill(runner.pid, SIGKILL);
    runner.wait();
  }
  CHECK(fs::exists(p.dir / "hot" / "k1_PROCESSING.json"));
  CHECK(fs::exists(p.dir / "in" / "k1.csv"));

  fs::remove(p.dir / "hang.flag");
  auto next = p.run("--run-once -q");
  INFO(next.err);
  CHECK(next.exit_code == 0);
  json report = p.latest_report();
  CHECK(report["recovered"].is_object());  // the dead run's sleeping stage was killed
  REQUIRE(report["batches"].size() == 1);
  CHECK(report["batches"][0]["status"] == "COMPLETED");
  CHECK(report["batches"][0]["reclaimed"] == true);
  CHECK(slurp(p.dir / "out.txt") == "raw data of k1\n");
  CHECK(slurp(p.dir / "archive" / "k1" / "k1.csv") == "raw data of k1\n");
  json manifest = json::parse(slurp(p.dir / "archive" / "k1" / "k1_MANIFEST.json"));
  CHECK(manifest["status"] == "COMPLETED");
  CHECK(manifest["run_id"] == report["run_id"]);
  for (const auto& f : p.files_in("hot")) CHECK(f.extension() != ".json");
  CHECK_FALSE(fs::exists(p.dir / "in" / "k1.csv"));
}

TEST_CASE("e2e: two runners racing for one hot folder process each batch once", "[e2e][batch]") {
  // Two configs with their own state and logs (so their run locks do not serialise them)
  // share the hot, archive and error folders.
  Project a;
  std::string stages =
      "stages:\n  - name: load\n    command: [sh, -c, \"sleep 0.05; cat \\\"$$0\\\" >> "
      "processed.txt\", \"${batch.raw_data}\"]\n" +
      kBatchYaml;
  a.config(stages);
  Project b;  // its config names a's folder as root; its state and logs are state_b, logs_b
  b.config(stages);
  std::string text = slurp(b.config_path());
  text.replace(text.find("root: ..\n"), 9,
               "root: " + a.dir.path().string() + "\nstate: state_b\nlogs: logs_b\n");
  write_file(b.config_path(), text);
  for (int i = 0; i < 8; ++i) submit(a, "race" + std::to_string(i));

  Background ra(a), rb(b);
  CHECK(WEXITSTATUS(ra.wait().first) == 0);
  CHECK(WEXITSTATUS(rb.wait().first) == 0);
  auto ids_a = completed_batches(a.latest_report());
  auto reports_b = a.files_in("logs_b/reports");
  REQUIRE(reports_b.size() == 1);
  auto ids_b = completed_batches(json::parse(slurp(reports_b[0])));
  std::vector<std::string> all = ids_a;
  all.insert(all.end(), ids_b.begin(), ids_b.end());
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<std::string>{"race0", "race1", "race2", "race3", "race4", "race5",
                                        "race6", "race7"});
  // Each batch's data was processed once: eight lines, no duplicate.
  std::string processed = slurp(a.dir / "processed.txt");
  CHECK(std::count(processed.begin(), processed.end(), '\n') == 8);
  for (int i = 0; i < 8; ++i) {
    CHECK(fs::exists(a.dir / "archive" / ("race" + std::to_string(i)) /
                     ("race" + std::to_string(i) + ".csv")));
  }
}
