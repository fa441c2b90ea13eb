#include "core/orchestrator.hpp"

#include <algorithm>
#include <cmath>

#include "core/retry_policy.hpp"
#include "records/record_layout.hpp"
#include "records/report_json.hpp"
#include "util/error.hpp"

namespace pipeline {
namespace {

constexpr std::size_t kReportedInputs = 1000;

const char* event_for(StageStatus s) {
  switch (s) {
    case StageStatus::kSucceeded:
      return event::kSuccess;
    case StageStatus::kTimedOut:
      return event::kTimeout;
    case StageStatus::kHung:
      return event::kHang;
    default:
      return event::kFailure;
  }
}

// The start event shows the command, but not 100,000 input paths: those are in .inputs.
std::vector<std::string> shown_argv(const std::vector<std::string>& argv) {
  constexpr std::size_t kShown = 64;
  if (argv.size() <= kShown) return argv;
  std::vector<std::string> out(argv.begin(), argv.begin() + kShown);
  out.push_back("... (" + std::to_string(argv.size() - kShown) + " more)");
  return out;
}

nlohmann::json optional_json(const std::optional<int>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// Only a stage that names ${inputs_file} gets the file: the others would pay for nothing.
bool uses_inputs_file(const StageConfig& stage) {
  for (const auto& t : stage.command) {
    if (t.mentions("inputs_file")) return true;
  }
  if (stage.cwd && stage.cwd->mentions("inputs_file")) return true;
  for (const auto& [key, value] : stage.env) {
    if (value.mentions("inputs_file")) return true;
  }
  return false;
}

// The run's values and a batch's: ${batch.id}, ${batch.manifest}, ${batch.files.NAME} and
// ${batch.raw_data} (kept in `raw`, which must outlive the values).
PlaceholderValues with_batch(PlaceholderValues v, const ManifestContent& m,
                             const fs::path& manifest, std::vector<std::string>& raw) {
  v.scalars["batch.id"] = m.id;
  v.scalars["batch.manifest"] = manifest.string();
  for (const auto& [name, path] : m.files) v.scalars["batch.files." + name] = path.string();
  raw.clear();
  for (const auto& p : m.raw_data) raw.push_back(p.string());
  v.batch_raw_data = &raw;
  return v;
}

}  // namespace

void check_stage_selection(const Config& config, const std::vector<std::string>& names) {
  std::vector<std::string> known;
  for (const auto& s : config.stages) known.push_back(s.name);
  for (const auto& n : names) {
    if (config.find_stage(n)) continue;
    std::string message = "--stage " + n + ": no such stage in " + config.file.string();
    if (auto near = nearest_word(n, known)) message += "; did you mean '" + *near + "'?";
    throw UsageError(message);
  }
}

fs::path Orchestrator::write_inputs_file(const StageConfig& stage, const fs::path& stage_logs,
                                         const std::string& run_id,
                                         const std::vector<std::string>& inputs) const {
  std::string listing;
  for (const auto& f : inputs) listing.append(f).push_back('\n');
  fs::path in_logs = RecordLayout::inputs_file(stage_logs, stage.name);
  try {
    s_.files.write_file(in_logs, listing);
    return in_logs;
  } catch (const FileError& e) {
    // The list is the stage's input, not a record: where the logs cannot take it (a full or
    // read-only logs folder) it goes under state, beside the lock.
    fs::path in_state = RecordLayout(s_.config).inputs_fallback(run_id, stage.name);
    const std::string why =
        std::string(e.what()) + "; its inputs file is " + in_state.string() + " instead";
    s_.events.emit(stage.name, event::kWarning, why, {{"warning", why}});
    s_.files.create_directories(in_state.parent_path());
    s_.files.write_file(in_state, listing);
    return in_state;
  }
}

bool Orchestrator::lifecycle_names(const std::string& stage) const {
  return std::any_of(s_.config.lifecycle.begin(), s_.config.lifecycle.end(),
                     [&](const LifecycleRule& r) { return r.stage == stage; });
}

bool Orchestrator::selected(const RunOptions& options, const std::string& name) const {
  return options.only_stages.empty() ||
         std::find(options.only_stages.begin(), options.only_stages.end(), name) !=
             options.only_stages.end();
}

PlaceholderValues Orchestrator::run_values(const std::string& run_id, TimePoint started_at) const {
  const Config& c = s_.config;
  PlaceholderValues v;
  v.scalars["root"] = c.root.string();
  for (const auto& [name, path] : c.paths) v.scalars["paths." + name] = path.string();
  v.scalars["logs"] = c.logs.string();
  v.scalars["state"] = c.state.string();
  v.scalars["run_id"] = run_id;
  v.run_start = started_at;
  const auto& env = s_.environment;
  v.env = [&env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return v;
}

std::vector<StageRecord> Orchestrator::plan(const RunOptions& options, const std::string& run_id,
                                            TimePoint now, const BatchPreview* batch) {
  PlaceholderValues values = run_values(run_id, now);
  std::vector<std::string> raw;
  if (batch && batch->content) values = with_batch(values, *batch->content, batch->claimed_as, raw);
  std::vector<StageRecord> records;
  std::map<std::string, bool> planned;
  for (const auto& stage : s_.config.stages) {
    StageRecord rec;
    rec.name = stage.name;
    if (!selected(options, stage.name)) {
      rec.decision = {false, "not selected (--stage)", {}};
    } else {
      DecisionInputs in{s_.files, values, s_.config.root, now, [&](const std::string& n) {
                          auto it = planned.find(n);
                          if (it == planned.end()) return EarlierStage::kNotRun;
                          return it->second ? EarlierStage::kPlanned : EarlierStage::kNotRun;
                        }};
      in.stat_inputs = false;  // a plan changes nothing, so it needs no snapshot
      DecisionResult d = decide_stage(stage, in);
      rec.decision = d.decision;
      rec.inputs_count = d.inputs.files.size();
      for (std::size_t i = 0; i < d.inputs.files.size() && i < kReportedInputs; ++i) {
        rec.inputs.push_back(display_path(d.inputs.files[i], s_.config.root));
      }
    }
    planned[stage.name] = rec.decision.run;
    rec.status = StageStatus::kSkipped;
    records.push_back(std::move(rec));
  }
  return records;
}

void Orchestrator::run(const RunOptions& options, RunReport& report) {
  PlaceholderValues values = run_values(report.run_id, report.started_at);
  std::optional<int> aborted = s_.stop.exit_code();
  if (s_.config.batches && s_.batches) {
    run_batches(options, values, report, aborted);
  } else {
    run_pass(options, values, "", report, aborted);
    report.status = status_from_stages(report.stages);
  }
  // A stop that came during the lifecycle or the batch moves ends the run as aborted too.
  if (!aborted) aborted = s_.stop.exit_code();
  if (aborted) report.status = RunStatus::kAborted;
  report.exit_code = exit_code_for(report.status, aborted.value_or(130));
}

std::map<std::string, StageStatus> Orchestrator::run_pass(const RunOptions& options,
                                                          const PlaceholderValues& values,
                                                          const std::string& batch,
                                                          RunReport& report,
                                                          std::optional<int>& aborted) {
  const Config& cfg = s_.config;
  const fs::path stage_logs = RecordLayout(cfg).stage_logs(report.run_id, batch);
  std::map<std::string, StageStatus> outcomes;
  std::map<std::string, InputSnapshot> snapshots;

  for (const auto& stage : cfg.stages) {
    StageRecord rec;
    rec.name = stage.name;
    if (!aborted) aborted = s_.stop.exit_code();
    if (aborted) {
      rec.decision = {false, "the run was stopped before this stage", {}};
      rec.status = StageStatus::kNotStarted;
    } else if (!selected(options, stage.name)) {
      rec.decision = {false, "not selected (--stage)", {}};
      rec.status = StageStatus::kSkipped;
    } else {
      DecisionInputs in{s_.files, values, cfg.root, s_.clock.now(), [&](const std::string& n) {
                          auto it = outcomes.find(n);
                          if (it == outcomes.end()) return EarlierStage::kNotRun;
                          return it->second == StageStatus::kSucceeded
                                     ? EarlierStage::kSucceeded
                                     : (it->second == StageStatus::kSkipped
                                            ? EarlierStage::kNotRun
                                            : EarlierStage::kDidNotSucceed);
                        }};
      in.stat_inputs = lifecycle_names(stage.name);
      DecisionResult d = decide_stage(stage, in);
      nlohmann::json data = decision_to_json(d.decision);
      data["inputs_count"] = d.inputs.files.size();
      s_.events.emit(stage.name, event::kDecision, d.decision.reason, std::move(data));
      if (d.decision.run) {
        rec = run_stage(stage, d.inputs, values, stage_logs, aborted);
        rec.decision = d.decision;
        snapshots[stage.name] = std::move(d.inputs);
      } else {
        rec.decision = d.decision;
        rec.status = StageStatus::kSkipped;
        s_.events.emit(stage.name, event::kSkipped, d.decision.reason,
                       {{"reason", d.decision.reason}});
      }
    }
    rec.batch = batch;
    outcomes[stage.name] = rec.status;
    report.stages.push_back(std::move(rec));
  }
  DataLifecycle::Guards guards;
  guards.stop = s_.stop;
  if (s_.checkpoint) {
    guards.can_record = [&] {
      // The record as it stands, so a run that dies from here on leaves the truth so far.
      report.status = batch.empty() ? status_from_stages(report.stages) : RunStatus::kPartial;
      report.finished_at = s_.clock.now();
      report.exit_code = exit_code_for(report.status);
      return s_.checkpoint(report);
    };
  }
  for (auto& l : s_.lifecycle.apply(outcomes, snapshots, values, guards)) {
    report.lifecycle.push_back(std::move(l));
  }
  return outcomes;
}

namespace {

// Why a batch failed, from its stages' records: "merger failed (exit code 2)".
std::string batch_failure(const std::vector<StageRecord>& stages, std::size_t first) {
  std::string out;
  bool any_ran = false;
  for (std::size_t i = first; i < stages.size(); ++i) {
    const StageRecord& r = stages[i];
    if (r.status == StageStatus::kSkipped || r.status == StageStatus::kNotStarted) continue;
    any_ran = true;
    if (r.status == StageStatus::kSucceeded) continue;
    std::string what = std::string(to_string(r.status));
    if (!r.attempts.empty()) {
      const AttemptRecord& a = r.attempts.back();
      if (!a.start_error.empty()) {
        what += " (" + a.start_error + ")";
      } else if (a.exit_code) {
        what += " (exit code " + std::to_string(*a.exit_code) + ")";
      } else if (a.signal) {
        what += " (signal " + std::to_string(*a.signal) + ")";
      }
    }
    out += (out.empty() ? "" : "; ") + r.name + " " + what;
  }
  if (!any_ran) return "no stage ran for this batch (no stage's condition held)";
  return out;
}

}  // namespace

void Orchestrator::run_batches(const RunOptions& options, const PlaceholderValues& values,
                               RunReport& report, std::optional<int>& aborted) {
  BatchHotfolder& hotfolder = *s_.batches;
  const BatchConfig& cfg = *s_.config.batches;
  int claimed = 0;
  while (claimed < cfg.max_per_run) {
    if (!aborted) aborted = s_.stop.exit_code();
    if (aborted) break;
    std::optional<BatchHotfolder::Claim> claim = hotfolder.next(report.run_id, s_.clock.now());
    if (claimed == 0) {
      for (const auto& w : hotfolder.warnings()) {
        s_.events.emit(event_source::kBatch, event::kWarning, w, {{"warning", w}});
      }
    }
    if (!claim) break;
    if (!claim->batch) {
      const BatchRecord& r = claim->rejected;
      s_.events.emit(event_source::kBatch, event::kError, "batch " + r.id + " rejected: " + r.error,
                     {{"id", r.id},
                      {"manifest", r.manifest},
                      {"status", r.status},
                      {"moved_to", r.moved_to},
                      {"error", r.error}});
      report.batches.push_back(r);
      continue;
    }
    ++claimed;
    ClaimedBatch& batch = *claim->batch;
    const ManifestContent& m = batch.content;
    s_.events.emit(
        event_source::kBatch, event::kClaimed,
        "batch " + m.id + (batch.reclaimed ? " claimed again after a run died" : " claimed"),
        {{"id", m.id},
         {"manifest", display_path(batch.manifest, s_.config.root)},
         {"reclaimed", batch.reclaimed},
         {"files", m.all_files().size()},
         {"finishing_only", batch.decided.has_value()}});

    std::string error;
    bool succeeded = false;
    if (!batch.decided) {
      std::vector<std::string> raw;
      PlaceholderValues bv = with_batch(values, m, batch.manifest, raw);
      s_.events.set_batch(m.id);
      std::size_t first = report.stages.size();
      run_pass(options, bv, m.id, report, aborted);
      s_.events.set_batch("");
      if (aborted) {
        hotfolder.release(batch);
        BatchRecord r{m.id,
                      "INTERRUPTED",
                      "",
                      batch.manifest.filename().string(),
                      "the run was stopped; the next run claims it again",
                      batch.reclaimed};
        s_.events.emit(event_source::kBatch, event::kInterrupted, "batch " + m.id + ": " + r.error,
                       {{"id", m.id}, {"manifest", display_path(batch.manifest, s_.config.root)}});
        report.batches.push_back(std::move(r));
        break;
      }
      error = batch_failure(report.stages, first);
      succeeded = error.empty();
    }
    BatchRecord r;
    try {
      r = hotfolder.finish(batch, succeeded, error, report.run_id, s_.clock.now());
    } catch (const std::exception& e) {
      hotfolder.release(batch);
      r = {m.id,
           "FAILED",
           "",
           batch.manifest.filename().string(),
           std::string("cannot finish the batch (the next run tries again): ") + e.what(),
           batch.reclaimed};
      report.errors.push_back("batch " + m.id + ": " + r.error);
    }
    bool archived = r.status == "COMPLETED" && !r.moved_to.empty();
    s_.events.emit(
        event_source::kBatch, archived ? event::kArchived : event::kError,
        "batch " + m.id + (archived ? " archived in " + r.moved_to : " failed: " + r.error),
        {{"id", r.id},
         {"status", r.status},
         {"moved_to", r.moved_to},
         {"error", r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error)},
         {"reclaimed", r.reclaimed}});
    report.batches.push_back(std::move(r));
  }
  report.status = status_from_batches(report.batches);
}

// What a stage's processes are started with, from its config and this run's values: argv,
// cwd, environment, limits, and the callbacks that turn ladder steps and progress into
// events. A setup that fails (a placeholder, an unwritable inputs file) leaves setup_error.
ProcessSpec Orchestrator::stage_spec(const StageConfig& stage, const StageInputs& in,
                                     const fs::path& stage_logs, std::string& setup_error) {
  const Config& cfg = s_.config;
  const std::string& run_id = in.values.scalars.at("run_id");
  PlaceholderValues values = in.values;
  values.scalars["stage"] = stage.name;
  values.scalars["inputs_file"] = RecordLayout::inputs_file(stage_logs, stage.name).string();
  values.scalars["inputs_count"] = std::to_string(in.paths.size());
  values.inputs = &in.paths;

  ProcessSpec spec;
  try {
    try {
      s_.files.create_directories(stage_logs);
    } catch (const FileError& e) {
      // Its logs are records: the stage runs without them (the supervisor keeps the tails).
      const std::string why = std::string(e.what()) + "; the stage runs without its log files";
      s_.events.emit(stage.name, event::kWarning, why, {{"warning", why}});
    }
    if (uses_inputs_file(stage)) {
      values.scalars["inputs_file"] =
          write_inputs_file(stage, stage_logs, run_id, in.paths).string();
    }
    for (const auto& t : stage.command) expand_into_argv(t, values, spec.argv);
    spec.cwd = stage.cwd ? resolve_path(cfg.root, expand(*stage.cwd, values)) : cfg.root;
    spec.env = s_.environment;
    for (const auto& [key, value] : stage.env) spec.env[key] = expand(value, values);
  } catch (const std::exception& e) {
    setup_error = e.what();
  }
  spec.env["PIPELINE_RUN_ID"] = run_id;
  spec.env["PIPELINE_STAGE"] = stage.name;
  spec.env["PIPELINE_ROOT"] = cfg.root.string();
  spec.timeout = stage.timeout;
  spec.hang_timeout = stage.hang_timeout;
  spec.grace = stage.grace;
  spec.completion = stage.completion;
  spec.progress = stage.progress;
  spec.on_stop_step = [this, name = stage.name](StopStep step, const std::string& reason) {
    s_.events.emit(
        name, step == StopStep::kTerminate ? event::kTerminate : event::kKill,
        std::string(step == StopStep::kTerminate ? "asked to end: " : "killed: ") + reason,
        {{"reason", reason}});
  };
  spec.on_progress = [this, name = stage.name](const std::string& item, std::size_t done) {
    s_.events.emit(name, event::kProgress, item + " done (" + std::to_string(done) + " so far)",
                   {{"item", item}, {"items_done", done}, {"items", nullptr}});
  };
  return spec;
}

// One attempt: started (or not, after a failed setup), recorded, announced.
AttemptRecord Orchestrator::run_attempt(const StageConfig& stage, ProcessSpec& spec,
                                        const fs::path& stage_logs, int attempt,
                                        const std::string& setup_error, StageRecord& rec,
                                        ProcessResult& r) {
  const int max_attempts = 1 + stage.retries;
  spec.stdout_log = RecordLayout::stage_output(stage_logs, stage.name, attempt, "stdout");
  spec.stderr_log = RecordLayout::stage_output(stage_logs, stage.name, attempt, "stderr");
  spec.env["PIPELINE_ATTEMPT"] = std::to_string(attempt);

  AttemptRecord a;
  a.attempt = attempt;
  a.started_at = s_.clock.now();
  a.stdout_log = display_path(spec.stdout_log, s_.config.root);
  a.stderr_log = display_path(spec.stderr_log, s_.config.root);
  s_.events.emit(stage.name, event::kStart,
                 "attempt " + std::to_string(attempt) + " of " + std::to_string(max_attempts),
                 {{"attempt", attempt},
                  {"argv", shown_argv(spec.argv)},
                  {"argc", spec.argv.size()},
                  {"cwd", spec.cwd.string()},
                  {"inputs_count", rec.inputs_count}});
  if (!setup_error.empty()) {
    r.start_error = setup_error;
  } else {
    r = s_.supervisor.run(spec);
  }
  a.finished_at = s_.clock.now();
  a.duration =
      r.started ? r.duration : std::chrono::duration_cast<Millis>(a.finished_at - a.started_at);
  a.exit_code = r.exit_code;
  a.signal = r.signal;
  a.timed_out = r.timed_out;
  a.hung = r.hung;
  a.terminated = r.terminated;
  a.left_processes = r.left_processes;
  a.start_error = r.start_error;
  a.error = r.error;
  a.stdout_tail = std::move(r.stdout_tail);
  a.stderr_tail = std::move(r.stderr_tail);
  const StageStatus status = outcome_of(r);
  if (status == StageStatus::kSucceeded)
    a.completed_by = r.completed_by_pattern ? "pattern" : "exit";
  rec.items_done = r.items_done;
  rec.stdout_bytes += r.stdout_bytes;
  rec.stderr_bytes += r.stderr_bytes;
  rec.status = status;
  for (const auto& w : r.warnings) s_.events.emit(stage.name, event::kWarning, w, {{"warning", w}});

  const std::string what = describe(r, stage);
  s_.events.emit(stage.name, event_for(status), what,
                 {{"attempt", attempt},
                  {"status", to_string(status)},
                  {"exit_code", optional_json(r.exit_code)},
                  {"signal", optional_json(r.signal)},
                  {"duration_ms", a.duration.count()},
                  {"terminated", r.terminated},
                  {"left_processes", r.left_processes}});
  return a;
}

// One stage: its spec, then attempts until one succeeds, the retries are spent, retry_on
// says no, or a stop is requested (also while waiting out the backoff).
StageRecord Orchestrator::run_stage(const StageConfig& stage, const InputSnapshot& inputs,
                                    const PlaceholderValues& run_values, const fs::path& stage_logs,
                                    std::optional<int>& aborted) {
  StageRecord rec;
  rec.name = stage.name;
  rec.inputs_count = inputs.files.size();
  StageInputs in{run_values, {}};
  in.paths.reserve(inputs.files.size());
  for (const auto& f : inputs.files) in.paths.push_back(f.string());
  for (std::size_t i = 0; i < inputs.files.size() && i < kReportedInputs; ++i) {
    rec.inputs.push_back(display_path(inputs.files[i], s_.config.root));
  }
  std::string setup_error;
  ProcessSpec spec = stage_spec(stage, in, stage_logs, setup_error);

  const int max_attempts = 1 + stage.retries;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    ProcessResult r;
    rec.attempts.push_back(run_attempt(stage, spec, stage_logs, attempt, setup_error, rec, r));
    if (r.aborted) aborted = s_.stop.exit_code().value_or(130);
    if (rec.status == StageStatus::kSucceeded || aborted || attempt == max_attempts ||
        !should_retry(stage, r)) {
      break;
    }
    const Millis delay = backoff_delay(stage.backoff, attempt);
    const std::string what = describe(r, stage);
    s_.events.emit(stage.name, event::kRetry,
                   "retrying in " + format_duration(delay) + " (attempt " +
                       std::to_string(attempt + 1) + " of " + std::to_string(max_attempts) +
                       ") after: " + what,
                   {{"attempt", attempt},
                    {"next_attempt", attempt + 1},
                    {"delay_ms", delay.count()},
                    {"reason", what}});
    if (!s_.clock.sleep_for(delay)) {
      aborted = s_.stop.exit_code().value_or(130);
      break;
    }
  }
  s_.events.emit(stage.name, event::kMetric, "stage metrics",
                 {{"items_done", rec.items_done},
                  {"items", rec.items ? nlohmann::json(*rec.items) : nlohmann::json(nullptr)},
                  {"stdout_bytes", rec.stdout_bytes},
                  {"stderr_bytes", rec.stderr_bytes},
                  {"attempts", rec.attempts.size()}});
  return rec;
}

}  // namespace pipeline
