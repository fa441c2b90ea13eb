#include "core/stage_scheduler.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/stage_runner.hpp"
#include "core/window_loop.hpp"
#include "records/report_json.hpp"
#include "util/paths.hpp"

namespace pipeline {

struct StageScheduler::Job {
  std::size_t stage = 0;   ///< index into config.stages
  std::size_t record = 0;  ///< index of its record in report.stages
  std::optional<ItemRef> item;
  std::string path;                     ///< the item's input as decided
  PlaceholderValues values;             ///< with ${input} for an item
  InputSnapshot inputs;                 ///< the stage's, or the item's one
  std::unique_ptr<StageRunner> runner;  ///< once its first attempt was opened
  std::optional<TimePoint> due;         ///< while it waits out a backoff
  bool running = false;
  bool done = false;
};

StageScheduler::StageScheduler(RunContext& run, StagePass& pass)
    : run_(run),
      s_(run.s),
      pass_(pass),
      items_(run),
      stage_logs_(run.layout.stage_logs(run.report.run_id, pass.batch)),
      stages_(run.s.config.stages.size()) {}

StageScheduler::~StageScheduler() {
  // Left by an exception with processes in flight: they are seen to their ends (their
  // records are gone with the run), so that no callback outlives the jobs it names.
  leaving_ = true;
  while (in_flight_ > 0 && s_.supervisor.wait()) {
  }
}

bool StageScheduler::selected(const std::string& name) const {
  const auto& only = run_.options.only_stages;
  return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
}

int StageScheduler::free_slots() const {
  return s_.config.parallel - in_flight_;
}

std::size_t StageScheduler::add_record(StageRecord rec) {
  rec.batch = pass_.batch;
  run_.report.stages.push_back(std::move(rec));
  return run_.report.stages.size() - 1;
}

void StageScheduler::run() {
  for (;;) {
    launch();
    const std::optional<TimePoint> backoff = next_backoff_end();
    std::optional<Millis> at_most;
    if (backoff) {
      at_most = std::max(Millis(0), std::chrono::duration_cast<Millis>(*backoff - s_.clock.now()));
    }
    if (in_flight_ > 0) {
      if (!s_.supervisor.wait(at_most)) {
        throw std::logic_error("the supervisor has none of the processes the run started");
      }
    } else if (at_most) {
      // Nothing runs: the backoff is all there is to wait for, and a stop cuts it short.
      if (!s_.clock.sleep_for(*at_most)) run_.abort();
    } else {
      break;  // every stage has finished
    }
  }
}

std::optional<TimePoint> StageScheduler::next_backoff_end() const {
  // Only a backoff whose attempt could start when it ends: with every slot taken, the next
  // thing to wait for is a process's end.
  if (free_slots() <= 0) return std::nullopt;
  std::optional<TimePoint> next;
  for (const auto& job : jobs_) {
    if (job->done || !job->due) continue;
    if (stages_[job->stage].running >= s_.config.stages[job->stage].workers) continue;
    if (!next || *job->due < *next) next = job->due;
  }
  return next;
}

void StageScheduler::launch() {
  // A stage decided or ended can free the way for more: go on until nothing moves.
  for (bool moved = true; moved;) {
    moved = start_jobs();
    moved = decide_stages() || moved;
  }
}

bool StageScheduler::start_jobs() {
  bool moved = false;
  const bool stopped = run_.stopped();
  for (auto& owned : jobs_) {
    Job& job = *owned;
    if (job.done || job.running) continue;
    if (stopped) {
      stop_job(job);
      moved = true;
      continue;
    }
    const StageConfig& stage = s_.config.stages[job.stage];
    if (free_slots() <= 0) break;
    if (stages_[job.stage].running >= stage.workers) continue;
    if (job.due && *job.due > s_.clock.now()) continue;
    start_attempt(job);
    moved = true;
  }
  return moved;
}

bool StageScheduler::may_start(std::size_t index) const {
  const auto& stages = s_.config.stages;
  if (s_.config.parallel == 1) {
    for (std::size_t i = 0; i < index; ++i) {
      if (stages_[i].phase != Phase::kFinished) return false;
    }
    return true;
  }
  const StageConfig& stage = stages[index];
  if (!stage.when) return true;
  return std::all_of(stage.when->after.begin(), stage.when->after.end(),
                     [&](const auto& name) { return pass_.outcomes.count(name) > 0; });
}

bool StageScheduler::decide_stages() {
  bool moved = false;
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    if (stages_[i].phase != Phase::kWaiting || !may_start(i)) continue;
    const StageConfig& stage = s_.config.stages[i];
    // Its decision is made when it can start at once: a slot is free (a windowed stage runs
    // on its own, once what is in flight has finished). Later stages wait their turn.
    if (free_slots() <= 0 || (stage.windows && in_flight_ > 0)) break;
    decide(i);
    moved = true;
  }
  return moved;
}

EarlierStage StageScheduler::earlier(const StageConfig& stage, const std::string& name) const {
  // Two windowed stages: the later waits per window (WindowLoop).
  const StageConfig* dep = s_.config.find_stage(name);
  if (stage.windows && dep && dep->windows) return EarlierStage::kSucceeded;
  auto it = pass_.outcomes.find(name);
  if (it == pass_.outcomes.end() || it->second == StageStatus::kSkipped) {
    return EarlierStage::kNotRun;
  }
  return it->second == StageStatus::kSucceeded ? EarlierStage::kSucceeded
                                               : EarlierStage::kDidNotSucceed;
}

void StageScheduler::decide(std::size_t index) {
  const StageConfig& stage = s_.config.stages[index];
  StageState& state = stages_[index];
  state.phase = Phase::kRunning;
  StageRecord rec;
  rec.name = stage.name;
  state.first_record = run_.report.stages.size();
  if (run_.stopped()) {
    rec.decision = {false, "the run was stopped before this stage", {}};
    rec.status = StageStatus::kNotStarted;
    add_record(std::move(rec));
    return stage_ended(index, StageStatus::kNotStarted);
  }
  if (!selected(stage.name)) {
    rec.decision = {false, "not selected (--stage)", {}};
    rec.status = StageStatus::kSkipped;
    add_record(std::move(rec));
    return stage_ended(index, StageStatus::kSkipped);
  }
  DecisionInputs in{s_.files, pass_.values, s_.config.root, s_.clock.now(),
                    [&](const std::string& n) { return earlier(stage, n); }};
  // Quarantine keeps failures per input as it is (size, mtime), and moves only an unchanged one.
  const auto& rules = s_.config.lifecycle;
  in.stat_inputs = stage.quarantine.has_value() ||
                   std::any_of(rules.begin(), rules.end(),
                               [&](const LifecycleRule& r) { return r.stage == stage.name; });
  state.decided = decide_stage(stage, in);
  DecisionResult& d = state.decided;
  if (d.decision.run && stage.windows) {
    const StageStatus status =
        WindowLoop(run_, s_.windows).run(stage, d, pass_.values, stage_logs_);
    if (status == StageStatus::kSucceeded) pass_.snapshots[stage.name] = d.inputs;
    return stage_ended(index, status);
  }
  if (d.decision.run && stage.per_input) return lay_out_items(index);
  nlohmann::json data = decision_to_json(d.decision);
  data["inputs_count"] = d.inputs.files.size();
  s_.events.emit(stage.name, event::kDecision, d.decision.reason, std::move(data));
  if (!d.decision.run) {
    s_.events.emit(stage.name, event::kSkipped, d.decision.reason, {{"reason", d.decision.reason}});
    rec.status = StageStatus::kSkipped;
    rec.decision = d.decision;
    add_record(std::move(rec));
    return stage_ended(index, StageStatus::kSkipped);
  }
  auto job = std::make_unique<Job>();
  job->stage = index;
  job->values = pass_.values;
  job->inputs = d.inputs;
  rec.status = StageStatus::kNotStarted;
  rec.decision = {false, "the run was stopped before this stage", {}};
  job->record = add_record(std::move(rec));
  jobs_.push_back(std::move(job));
  state.jobs_left = 1;
}

void StageScheduler::lay_out_items(std::size_t index) {
  const StageConfig& stage = s_.config.stages[index];
  StageState& state = stages_[index];
  const DecisionResult& d = state.decided;
  items_.announce(stage, d);
  for (std::size_t i = 0; i < d.inputs.files.size(); ++i) {
    auto job = std::make_unique<Job>();
    job->stage = index;
    job->path = d.inputs.files[i];
    job->item = ItemRef{i + 1, display_path(path_from_text(job->path), s_.config.root)};
    job->values = pass_.values;
    job->values.scalars["input"] = job->path;
    job->inputs.files = {job->path};
    if (i < d.inputs.stats.size()) job->inputs.stats = {d.inputs.stats[i]};
    job->record = add_record(items_.unstarted(stage, *job->item));
    jobs_.push_back(std::move(job));
  }
  state.jobs_left = d.inputs.files.size();
  if (state.jobs_left == 0) stage_ended(index, StageStatus::kSucceeded);
}

void StageScheduler::start_attempt(Job& job) {
  const StageConfig& stage = s_.config.stages[job.stage];
  if (!job.runner) {
    job.runner = std::make_unique<StageRunner>(run_, nullptr, job.item ? &*job.item : nullptr);
    const fs::path logs = job.item ? stage_logs_ / path_from_text(stage.name) : stage_logs_;
    job.runner->begin(stage, job.inputs, job.values, logs);
  }
  job.due.reset();
  const ProcessSpec* spec = job.runner->next_attempt();
  if (!spec) return attempt_ended(job, job.runner->setup_failure());
  job.running = true;
  ++in_flight_;
  ++stages_[job.stage].running;
  s_.supervisor.start(*spec, [this, &job](ProcessResult r) {
    --in_flight_;
    if (leaving_) return;
    job.running = false;
    --stages_[job.stage].running;
    attempt_ended(job, std::move(r));
  });
}

void StageScheduler::attempt_ended(Job& job, ProcessResult r) {
  const std::optional<Millis> backoff = job.runner->attempt_ended(std::move(r));
  if (backoff) {
    job.due = s_.clock.now() + *backoff;
  } else {
    job_ended(job);
  }
}

void StageScheduler::stop_job(Job& job) {
  if (job.runner) {  // waiting out a backoff: the stop ends it with the attempts it had
    run_.abort();
    return job_ended(job);
  }
  job_counted(job, StageStatus::kNotStarted);  // never started: its record stays so
}

void StageScheduler::job_ended(Job& job) {
  job.due.reset();
  const StageConfig& stage = s_.config.stages[job.stage];
  StageState& state = stages_[job.stage];
  StageRecord rec = job.runner->finish();
  job.runner.reset();
  rec.batch = pass_.batch;
  if (job.item) {
    const FileStat* stat = job.inputs.stats.empty() ? nullptr : &job.inputs.stats.front();
    items_.ended(stage, state.decided, *job.item, job.path, stat, pass_.values, rec);
    if (rec.status == StageStatus::kSucceeded) {
      state.succeeded.files.push_back(job.path);
      if (stat) state.succeeded.stats.push_back(*stat);
    }
  } else {
    rec.decision = state.decided.decision;
  }
  const StageStatus status = rec.status;
  run_.report.stages[job.record] = std::move(rec);
  job_counted(job, status);
}

void StageScheduler::job_counted(Job& job, StageStatus status) {
  job.done = true;
  StageState& state = stages_[job.stage];
  if (status != StageStatus::kSucceeded) ++state.failed;
  if (--state.jobs_left > 0) return;
  const StageConfig& stage = s_.config.stages[job.stage];
  if (stage.per_input) {
    items_.summarize(stage, state.first_record);
    status = state.failed == 0 ? StageStatus::kSucceeded : StageStatus::kFailed;
  }
  stage_ended(job.stage, status);
}

void StageScheduler::stage_ended(std::size_t index, StageStatus outcome) {
  const StageConfig& stage = s_.config.stages[index];
  StageState& state = stages_[index];
  state.phase = Phase::kFinished;
  pass_.outcomes[stage.name] = outcome;
  if (stage.windows || !state.decided.decision.run) return;
  // The lifecycle acts on what the stage ran on: for items, on the inputs whose item
  // succeeded (DataLifecycle::apply).
  if (stage.per_input) {
    pass_.snapshots[stage.name] = std::move(state.succeeded);
  } else {
    pass_.snapshots[stage.name] = std::move(state.decided.inputs);
  }
}

}  // namespace pipeline
