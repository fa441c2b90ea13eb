#include "core/orchestrator.hpp"

#include <algorithm>

#include "core/batch_loop.hpp"
#include "core/stage_runner.hpp"
#include "records/record_layout.hpp"
#include "records/report_json.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"

namespace pipeline {

void check_stage_selection(const Config& config, const std::vector<std::string>& names) {
  std::vector<std::string> known;
  for (const auto& s : config.stages) known.push_back(s.name);
  for (const auto& n : names) {
    if (config.find_stage(n)) continue;
    std::string message = "--stage " + n + ": no such stage in " + path_text(config.file);
    if (auto near = nearest_word(n, known)) message += "; did you mean '" + *near + "'?";
    throw UsageError(message);
  }
}

bool Orchestrator::selected(const RunOptions& options, const std::string& name) const {
  return options.only_stages.empty() ||
         std::find(options.only_stages.begin(), options.only_stages.end(), name) !=
             options.only_stages.end();
}

PlaceholderValues Orchestrator::run_values(const std::string& run_id, TimePoint started_at) const {
  const Config& c = s_.config;
  PlaceholderValues v;
  v.scalars["root"] = path_text(c.root);
  for (const auto& [name, path] : c.paths) v.scalars["paths." + name] = path_text(path);
  v.scalars["logs"] = path_text(c.logs);
  v.scalars["state"] = path_text(c.state);
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
      rec.inputs = reported_inputs(d.inputs, s_.config.root);
    }
    planned[stage.name] = rec.decision.run;
    rec.status = StageStatus::kSkipped;
    records.push_back(std::move(rec));
  }
  return records;
}

void Orchestrator::run(const RunOptions& options, RunReport& report) {
  RunContext run(s_, options, report);
  PlaceholderValues values = run_values(report.run_id, report.started_at);
  run.stopped();
  if (s_.config.batches && s_.batches) {
    BatchLoop loop(run, *s_.batches, [&](const PlaceholderValues& v, const std::string& batch) {
      run_pass(run, v, batch);
    });
    loop.run(values);
  } else {
    run_pass(run, values, "");
    report.status = status_from_stages(report.stages);
  }
  // A stop that came during the lifecycle or the batch moves ends the run as aborted too.
  if (run.stopped()) report.status = RunStatus::kAborted;
  report.exit_code = exit_code_for(report.status, run.aborted.value_or(130));
}

void Orchestrator::run_pass(RunContext& run, const PlaceholderValues& values,
                            const std::string& batch) {
  StagePass pass{values, batch, {}, {}};
  StageScheduler(run, pass).run();
  apply_lifecycle(run, pass);
}

void Orchestrator::apply_lifecycle(RunContext& run, const StagePass& pass) {
  DataLifecycle::Guards guards;
  guards.stop = s_.stop;
  if (s_.checkpoint) {
    RunReport& report = run.report;
    const bool batch = !pass.batch.empty();
    guards.can_record = [this, &report, batch] {
      // The record as it stands, so a run that dies from here on leaves the truth so far.
      report.status = batch ? RunStatus::kPartial : status_from_stages(report.stages);
      report.finished_at = s_.clock.now();
      report.exit_code = exit_code_for(report.status);
      return s_.checkpoint(report);
    };
  }
  guards.list = RecordLayout(s_.config).lifecycle_list(run.report.run_id);
  for (auto& l : s_.lifecycle.apply(pass.outcomes, pass.snapshots, pass.values, guards)) {
    run.report.lifecycle.push_back(std::move(l));
  }
  run.report.lifecycle_summary = s_.lifecycle.summary();
}

}  // namespace pipeline
