#pragma once
/// One pass over the stages (SPEC 12): decides each stage when it may start and runs its
/// processes through the supervisor, up to `parallel` at once, each with its own attempts and
/// backoff.
///
/// - At parallel 1 a stage is decided once every stage before it has finished: config order,
///   one process at a time.
/// - Above 1 a stage is decided once the stages its when.after names have finished; stages
///   are taken up in config order as slots free up (a later one never jumps a waiting one).
/// - A stage runs one process, one per input (`foreach: input`, up to its `workers` at once),
///   or one per due window (WindowLoop, on its own: what is in flight finishes first).
///
/// Every record has its place in the report from the moment its stage is decided, so the
/// report lists the stages in the order they were decided and items in input order; the
/// events (seq) show the interleaving. A stop starts nothing more: what runs is stopped by
/// the supervisor, a backoff is cut short, and what never started stays `not_started`.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/item_loop.hpp"
#include "core/run_context.hpp"
#include "core/stage_decision.hpp"

namespace pipeline {

class StageRunner;

/// How far one pass over the stages has come.
struct StagePass {
  const PlaceholderValues& values;
  std::string batch;                               ///< the batch it runs for; "" for none
  std::map<std::string, StageStatus> outcomes;     ///< of the finished stages, for `after`
  std::map<std::string, InputSnapshot> snapshots;  ///< what the lifecycle may act on
};

class StageScheduler {
 public:
  StageScheduler(RunContext& run, StagePass& pass);
  ~StageScheduler();
  StageScheduler(const StageScheduler&) = delete;
  StageScheduler& operator=(const StageScheduler&) = delete;

  /// Runs the pass to its end, appending every record to the report.
  void run();

 private:
  /// One process's attempts: a stage's, or one item's.
  struct Job;
  enum class Phase { kWaiting, kRunning, kFinished };
  struct StageState {
    Phase phase = Phase::kWaiting;
    DecisionResult decided;
    std::size_t jobs_left = 0;
    int running = 0;  ///< its processes in flight
    std::size_t failed = 0;
    InputSnapshot succeeded;       ///< the inputs whose item succeeded
    std::size_t first_record = 0;  ///< where its records start in report.stages
  };

  /// Starts every attempt whose turn it is and decides every stage that may start; a stop
  /// ends what has not started.
  void launch();
  bool start_jobs();
  bool decide_stages();
  bool may_start(std::size_t stage) const;
  /// Decides a stage and records it (not run; a windowed stage, run through), or lays out its
  /// jobs.
  void decide(std::size_t index);
  /// How a stage named in `after` (or a windowed one) stands for the decision of `stage`.
  EarlierStage earlier(const StageConfig& stage, const std::string& name) const;
  /// One job per input of a `foreach: input` stage that runs, each with its record.
  void lay_out_items(std::size_t index);
  void start_attempt(Job& job);
  void attempt_ended(Job& job, ProcessResult r);
  void job_ended(Job& job);
  /// A job is done (`status`: its record's): the last of its stage ends the stage.
  void job_counted(Job& job, StageStatus status);
  void stage_ended(std::size_t index, StageStatus outcome);
  /// A job a stop met before its next attempt: what it has is its record.
  void stop_job(Job& job);
  std::optional<TimePoint> next_backoff_end() const;
  std::size_t add_record(StageRecord rec);
  bool selected(const std::string& name) const;
  int free_slots() const;

  RunContext& run_;
  const OrchestratorServices& s_;
  StagePass& pass_;
  ItemLoop items_;
  fs::path stage_logs_;
  std::vector<StageState> stages_;
  std::vector<std::unique_ptr<Job>> jobs_;  ///< in the order they were laid out
  int in_flight_ = 0;
  bool leaving_ = false;  ///< destroyed early: what ends in flight is only counted
};

}  // namespace pipeline
