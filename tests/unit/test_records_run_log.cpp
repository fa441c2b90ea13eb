#include <catch2/catch.hpp>

#include "records/event_fanout.hpp"
#include "records/run_log.hpp"
#include "support/abs_path.hpp"

using namespace pipeline;
using nlohmann::json;

namespace {

// Each line as "<level> <text>", so that a difference reads plainly.
struct Lines {
  std::vector<std::string> all;
  RunLog::Writer writer() {
    return [this](LogLevel level, const std::string& line) {
      const char* names[] = {"debug", "info", "warn", "error"};
      all.push_back(std::string(names[static_cast<int>(level)]) + " " + line);
    };
  }
};

// Keeps what it is given, to see what a fanout hands on.
struct Recorder final : EventSink {
  std::vector<std::string> seen;
  std::string batch;
  void emit(const std::string& source, const std::string& name, const std::string&,
            json data) override {
    seen.push_back(source + "." + name + " " + data.dump());
  }
  void set_batch(std::string id) override { batch = std::move(id); }
};

}  // namespace

TEST_CASE("the run log says when a run starts and how it ended", "[run_log]") {
  Lines lines;
  RunLog log("018b-run", lines.writer());
  log.emit(event_source::kPipeline, event::kStart, "run started",
           {{"pipeline", "fx"}, {"config", "/etc/p.yaml"_abs}});
  log.emit(event_source::kPipeline, "partial", "run partial",
           {{"exit_code", 1}, {"duration_ms", 1234}, {"report", "/l/r.json"_abs}});
  log.emit(event_source::kPipeline, "error", "run error",
           {{"exit_code", 3}, {"duration_ms", 5}, {"report", nullptr}});
  REQUIRE(lines.all.size() == 3);
  CHECK(lines.all[0] == "info run 018b-run of fx started (config " + "/etc/p.yaml"_abs + ")");
  CHECK(lines.all[1] ==
        "info run 018b-run finished: partial (exit 1, 1234 ms); report " + "/l/r.json"_abs);
  CHECK(lines.all[2] == "info run 018b-run finished: error (exit 3, 5 ms)");
}

TEST_CASE("the run log names the batch and keeps each event at its level", "[run_log]") {
  Lines lines;
  RunLog log("r", lines.writer());
  log.set_batch("b1");
  log.emit(
      "load", event::kDecision, "1 new file in in/*.csv",
      {{"run", true}, {"reason", "1 new file in in/*.csv"}, {"warnings", {"in/x: unreadable"}}});
  log.emit("load", event::kProgress, "EUR done (1 so far)", {{"item", "EUR"}});
  log.emit("load", event::kTerminate, "asked to end: timeout 1s", {{"reason", "timeout 1s"}});
  log.emit("load", event::kTimeout, "timed out after 1s", {{"attempt", 1}, {"duration_ms", 1000}});
  log.set_batch("");
  log.emit(event_source::kBatch, event::kError, "batch b1 failed: load timed_out", {});
  log.emit(event_source::kLifecycle, event::kAction, "delete in/a.csv: failed (EACCES)",
           {{"error", "EACCES"}});
  log.emit(event_source::kRetention, event::kSkipped, "the clock moved", {});
  log.emit(event_source::kHistory, event::kRebuilt, "rebuilt it from the reports: 3 runs", {});
  std::vector<std::string> expected = {
      "info batch b1: load: runs (1 new file in in/*.csv)",
      "warn batch b1: load: in/x: unreadable",
      "info batch b1: load: asked to end: timeout 1s",
      "error batch b1: load: timed out after 1s (attempt 1, 1000 ms)",
      "error batch b1 failed: load timed_out",
      "warn lifecycle: delete in/a.csv: failed (EACCES)",
      "warn retention: the clock moved",
      "warn rebuilt it from the reports: 3 runs"};
  CHECK(lines.all == expected);  // progress stays in the event log
}

TEST_CASE("a fanout hands every event and batch to each subscriber in order", "[run_log]") {
  Recorder first;
  Recorder second;
  EventFanout fanout({&first, &second});
  fanout.set_batch("b");
  fanout.emit("s", event::kStart, "attempt 1 of 1", {{"attempt", 1}});
  fanout.emit("s", event::kSuccess, "exit code 0", {{"attempt", 1}});
  CHECK(first.seen ==
        std::vector<std::string>{"s.start {\"attempt\":1}", "s.success {\"attempt\":1}"});
  CHECK(second.seen == first.seen);  // the last one was not given a moved-from copy
  CHECK(first.batch == "b");
  CHECK(second.batch == "b");
}
