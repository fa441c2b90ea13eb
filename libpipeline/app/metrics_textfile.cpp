#include "app/metrics_textfile.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <sstream>

namespace pipeline {
namespace {

constexpr std::array kStageStatuses = {StageStatus::kSucceeded, StageStatus::kFailed,
                                       StageStatus::kTimedOut,  StageStatus::kHung,
                                       StageStatus::kSkipped,   StageStatus::kNotStarted};
constexpr std::array kRunStatuses = {RunStatus::kSuccess, RunStatus::kPartial, RunStatus::kFailure,
                                     RunStatus::kIdle,    RunStatus::kAborted, RunStatus::kError};

// Seconds as Prometheus reads them: a float, to the millisecond.
std::string seconds(std::int64_t ms) {
  char out[32];
  std::snprintf(out, sizeof out, "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return out;
}

class Exposition {
 public:
  explicit Exposition(const std::string& pipeline)
      : pipeline_("pipeline=\"" + prometheus_label(pipeline) + "\"") {}

  void family(const char* name, const char* type, const char* help) {
    out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  }
  void sample(const char* name, const std::string& value, const std::string& labels = "") {
    out_ << name << "{" << pipeline_ << labels << "} " << value << "\n";
  }
  static std::string label(const char* name, const std::string& value) {
    return std::string(",") + name + "=\"" + prometheus_label(value) + "\"";
  }
  std::string text() const { return out_.str(); }

 private:
  std::string pipeline_;
  std::ostringstream out_;
};

int rank(StageStatus s) {
  switch (s) {
    case StageStatus::kNotStarted:
      return 0;
    case StageStatus::kSkipped:
      return 1;
    case StageStatus::kSucceeded:
      return 2;
    default:
      return 3;
  }
}

std::int64_t finished_ms(const RunSummary& r) {
  auto started = parse_rfc3339(r.started_at);
  return (started ? unix_ms(*started) : 0) + r.duration_ms;
}

}  // namespace

std::string prometheus_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// The `foreach: input` stages of the last run (SPEC 12): their items by outcome, and the
// inputs quarantined. Only for a config that has such a stage.
void per_input_metrics(Exposition& e, const RunReport& last, const Config& config) {
  if (std::none_of(config.stages.begin(), config.stages.end(),
                   [](const StageConfig& st) { return st.per_input; })) {
    return;
  }
  e.family("pipeline_runner_stage_items", "gauge",
           "Items of each `foreach: input` stage in the last run, by outcome (failed: any "
           "other than succeeded).");
  for (const auto& stage : config.stages) {
    if (!stage.per_input) continue;
    std::size_t ok = 0;
    std::size_t not_ok = 0;
    for (const auto& st : last.stages) {
      if (st.name != stage.name || !st.item) continue;
      (st.status == StageStatus::kSucceeded ? ok : not_ok) += 1;
    }
    e.sample("pipeline_runner_stage_items", std::to_string(ok),
             Exposition::label("stage", stage.name) + Exposition::label("outcome", "succeeded"));
    e.sample("pipeline_runner_stage_items", std::to_string(not_ok),
             Exposition::label("stage", stage.name) + Exposition::label("outcome", "failed"));
  }
  e.family("pipeline_runner_inputs_quarantined", "gauge",
           "Inputs each stage with quarantine moved out of the way in the last run.");
  for (const auto& stage : config.stages) {
    if (!stage.quarantine) continue;
    const auto n = std::count_if(last.quarantined.begin(), last.quarantined.end(),
                                 [&](const QuarantineRecord& q) {
                                   return q.stage == stage.name && q.result == "quarantined";
                                 });
    e.sample("pipeline_runner_inputs_quarantined", std::to_string(n),
             Exposition::label("stage", stage.name));
  }
}

std::string metrics_text(const PipelineStatus& s, const Config& config,
                         const std::map<std::string, std::uint64_t>& runs_total) {
  Exposition e(s.pipeline);
  const RunHealth& h = s.health;
  if (h.last) {
    e.family("pipeline_runner_last_run_timestamp_seconds", "gauge",
             "When the last run finished (Unix time).");
    e.sample("pipeline_runner_last_run_timestamp_seconds", seconds(finished_ms(*h.last)));
    e.family("pipeline_runner_run_duration_seconds", "gauge", "How long the last run took.");
    e.sample("pipeline_runner_run_duration_seconds", seconds(h.last->duration_ms));
  }
  if (h.last_success) {
    e.family("pipeline_runner_last_success_timestamp_seconds", "gauge",
             "When the last successful run finished (Unix time).");
    e.sample("pipeline_runner_last_success_timestamp_seconds",
             seconds(finished_ms(*h.last_success)));
  }
  e.family("pipeline_runner_runs_total", "counter", "Runs by status, since the state store began.");
  for (RunStatus st : kRunStatuses) {
    auto it = runs_total.find(std::string(to_string(st)));
    e.sample("pipeline_runner_runs_total", std::to_string(it == runs_total.end() ? 0 : it->second),
             Exposition::label("status", std::string(to_string(st))));
  }
  e.family("pipeline_runner_failure_streak_runs", "gauge",
           "Failing runs since the last success (0: not failing).");
  e.sample("pipeline_runner_failure_streak_runs", std::to_string(h.streak_failed));
  e.family("pipeline_runner_healthy", "gauge",
           "1 when `pipeline_runner status` says healthy (neither failing nor stale).");
  e.sample("pipeline_runner_healthy", s.verdict == Verdict::kHealthy ? "1" : "0");

  if (s.last_report) {
    // The last run's record of each configured stage (a batch run's: summed over its batches).
    struct Stage {
      std::int64_t duration_ms = 0;
      std::size_t items_done = 0;
      std::optional<StageStatus> status;
    };
    std::map<std::string, Stage> stages;
    for (const auto& st : s.last_report->stages) {
      Stage& agg = stages[st.name];
      for (const auto& a : st.attempts) agg.duration_ms += a.duration.count();
      agg.items_done += st.items_done;
      // Over a batch run's records: a failure anywhere wins, then a success, then skipped.
      if (!agg.status || rank(st.status) > rank(*agg.status)) agg.status = st.status;
    }
    e.family("pipeline_runner_stage_duration_seconds", "gauge",
             "How long each stage ran in the last run (every attempt).");
    for (const auto& stage : config.stages) {
      auto it = stages.find(stage.name);
      if (it == stages.end()) continue;
      e.sample("pipeline_runner_stage_duration_seconds", seconds(it->second.duration_ms),
               Exposition::label("stage", stage.name));
    }
    e.family("pipeline_runner_stage_status", "gauge",
             "Each stage's status in the last run: 1 for the status it had.");
    for (const auto& stage : config.stages) {
      auto it = stages.find(stage.name);
      StageStatus now =
          it == stages.end() || !it->second.status ? StageStatus::kNotStarted : *it->second.status;
      for (StageStatus st : kStageStatuses) {
        e.sample("pipeline_runner_stage_status", now == st ? "1" : "0",
                 Exposition::label("stage", stage.name) +
                     Exposition::label("status", std::string(to_string(st))));
      }
    }
    e.family("pipeline_runner_stage_items_done", "gauge",
             "Items each stage reported done (progress) in the last run.");
    for (const auto& stage : config.stages) {
      auto it = stages.find(stage.name);
      e.sample("pipeline_runner_stage_items_done",
               std::to_string(it == stages.end() ? 0 : it->second.items_done),
               Exposition::label("stage", stage.name));
    }
  }
  // Each count keeps its last value through runs in which its stage did not run: a series
  // that comes and goes is a gap in every graph. The last run's counts win; the history has
  // the rest.
  std::map<std::string, std::map<std::string, std::int64_t>> counts = s.last_counts;
  if (s.last_report) {
    for (const auto& st : s.last_report->stages) {
      for (const auto& [name, n] : st.counts) counts[st.name][name] = n;
    }
  }
  if (!counts.empty()) {
    e.family("pipeline_runner_stage_metric", "gauge",
             "Each count a stage printed (its `counts` patterns), as its newest record counted "
             "it: a windowed stage's newest window, the last run that ran the stage.");
    for (const auto& stage : config.stages) {
      auto it = counts.find(stage.name);
      if (it == counts.end()) continue;
      for (const auto& [name, n] : it->second) {
        e.sample("pipeline_runner_stage_metric", std::to_string(n),
                 Exposition::label("stage", stage.name) + Exposition::label("name", name));
      }
    }
  }
  if (s.last_report) per_input_metrics(e, *s.last_report, config);
  if (!s.windows.empty()) {
    e.family("pipeline_runner_windows_pending", "gauge",
             "Time windows due and not succeeded yet, per windowed stage.");
    for (const auto& w : s.windows) {
      e.sample("pipeline_runner_windows_pending", std::to_string(w.open),
               Exposition::label("stage", w.stage));
    }
    e.family("pipeline_runner_window_watermark_timestamp_seconds", "gauge",
             "The end of each windowed stage's last contiguous succeeded window (Unix time).");
    for (const auto& w : s.windows) {
      if (!w.watermark) continue;
      e.sample("pipeline_runner_window_watermark_timestamp_seconds", seconds(unix_ms(*w.watermark)),
               Exposition::label("stage", w.stage));
    }
  }
  if (s.batches) {
    e.family("pipeline_runner_batches", "gauge",
             "Batches by state: ready and processing in the hot folder, failed in error/, "
             "archived.");
    for (const auto& [state, n] : *s.batches) {
      e.sample("pipeline_runner_batches", std::to_string(n), Exposition::label("state", state));
    }
  }
  return e.text();
}

}  // namespace pipeline
