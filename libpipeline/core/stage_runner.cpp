#include "core/stage_runner.hpp"

#include "core/retry_policy.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"

namespace pipeline {
namespace {

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

// What the supervisor said about an attempt, into its record.
void take_result(AttemptRecord& a, ProcessResult& r) {
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
  if (outcome_of(r) == StageStatus::kSucceeded)
    a.completed_by = r.completed_by_pattern ? "pattern" : "exit";
}

}  // namespace

std::vector<std::string> reported_inputs(const InputSnapshot& inputs, const fs::path& root) {
  std::vector<std::string> out;
  const std::size_t n = std::min(inputs.files.size(), kReportedInputs);
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(display_path(path_from_text(inputs.files[i]), root));
  return out;
}

void StageRunner::emit(const std::string& stage, const char* event, const std::string& msg,
                       nlohmann::json data) {
  if (window_) data["window"] = window_->id;
  if (item_) {
    // A progress event's own item (a line the stage printed) stays, under another name.
    if (auto it = data.find("item"); it != data.end()) data["progress_item"] = *it;
    data["item"] = item_->index;
    data["input"] = item_->input;
  }
  s_.events.emit(stage, event, msg, std::move(data));
}

std::string StageRunner::log_name(const StageConfig& stage) const {
  return item_ ? "item-" + std::to_string(item_->index) : stage.name;
}

void StageRunner::warn(const std::string& stage, const std::string& what) {
  emit(stage, event::kWarning, what, {{"warning", what}});
}

fs::path StageRunner::write_inputs_file(const StageConfig& stage, const fs::path& stage_logs,
                                        const std::vector<std::string>& inputs) {
  std::string listing;
  for (const auto& f : inputs) listing.append(f).push_back('\n');
  fs::path in_logs = RecordLayout::inputs_file(stage_logs, log_name(stage));
  try {
    s_.files.write_file(in_logs, listing);
    return in_logs;
  } catch (const FileError& e) {
    // The list is the stage's input, not a record: where the logs cannot take it (a full or
    // read-only logs folder) it goes under state, beside the lock.
    fs::path in_state = run_.layout.inputs_fallback(
        run_.report.run_id, item_ ? stage.name + "." + log_name(stage) : stage.name);
    warn(stage.name,
         std::string(e.what()) + "; its inputs file is " + path_text(in_state) + " instead");
    s_.files.create_directories(in_state.parent_path());
    s_.files.write_file(in_state, listing);
    return in_state;
  }
}

// What a stage's processes are started with, from its config and this run's values: argv,
// cwd, environment, limits, and the callbacks that turn ladder steps and progress into
// events. A setup that fails (a placeholder, an unwritable inputs file) leaves setup_error.
ProcessSpec StageRunner::spec_for(const StageConfig& stage, const StageInputs& in,
                                  const fs::path& stage_logs, std::string& setup_error) {
  const Config& cfg = s_.config;
  PlaceholderValues values = in.values;
  values.scalars["stage"] = stage.name;
  values.scalars["inputs_file"] = path_text(RecordLayout::inputs_file(stage_logs, log_name(stage)));
  values.scalars["inputs_count"] = std::to_string(in.paths.size());
  values.inputs = &in.paths;
  values.window = window_;

  ProcessSpec spec;
  try {
    try {
      s_.files.create_directories(stage_logs);
    } catch (const FileError& e) {
      // Its logs are records: the stage runs without them (the supervisor keeps the tails).
      warn(stage.name, std::string(e.what()) + "; the stage runs without its log files");
    }
    if (uses_inputs_file(stage)) {
      values.scalars["inputs_file"] = path_text(write_inputs_file(stage, stage_logs, in.paths));
    }
    for (const auto& t : stage.command) expand_into_argv(t, values, spec.argv);
    spec.cwd = stage.cwd ? resolve_path(cfg.root, expand(*stage.cwd, values)) : cfg.root;
    spec.env = s_.environment;
    for (const auto& [key, value] : stage.env) spec.env[key] = expand(value, values);
  } catch (const std::exception& e) {
    setup_error = e.what();
  }
  spec.env["PIPELINE_RUN_ID"] = run_.report.run_id;
  spec.env["PIPELINE_STAGE"] = stage.name;
  if (item_) spec.env["PIPELINE_ITEM"] = std::to_string(item_->index);
  spec.env["PIPELINE_ROOT"] = path_text(cfg.root);
  spec.timeout = stage.timeout;
  spec.hang_timeout = stage.hang_timeout;
  spec.grace = stage.grace;
  spec.completion = stage.completion;
  spec.progress = stage.progress;
  if (stage.counts) spec.counts = stage.counts->patterns;
  spec.on_stop_step = [this, name = stage.name](StopStep step, const std::string& reason) {
    const bool terminate = step == StopStep::kTerminate;
    emit(name, terminate ? event::kTerminate : event::kKill,
         std::string(terminate ? "asked to end: " : "killed: ") + reason, {{"reason", reason}});
  };
  spec.on_progress = [this, name = stage.name](const std::string& item, std::size_t done) {
    emit(name, event::kProgress, item + " done (" + std::to_string(done) + " so far)",
         {{"item", item}, {"items_done", done}, {"items", nullptr}});
  };
  return spec;
}

void StageRunner::begin(const StageConfig& stage, const InputSnapshot& inputs,
                        const PlaceholderValues& run_values, const fs::path& stage_logs) {
  stage_ = &stage;
  logs_ = stage_logs;
  rec_ = StageRecord{};
  rec_.name = stage.name;
  rec_.inputs_count = inputs.files.size();
  rec_.inputs = reported_inputs(inputs, s_.config.root);
  setup_error_.clear();
  const StageInputs in{run_values, inputs.files};
  spec_ = spec_for(stage, in, stage_logs, setup_error_);
}

// One attempt opened: its logs, its record, its start event.
const ProcessSpec* StageRunner::next_attempt() {
  const StageConfig& stage = *stage_;
  const int number = static_cast<int>(rec_.attempts.size()) + 1;
  spec_.stdout_log = RecordLayout::stage_output(logs_, log_name(stage), number, "stdout");
  spec_.stderr_log = RecordLayout::stage_output(logs_, log_name(stage), number, "stderr");
  spec_.env["PIPELINE_ATTEMPT"] = std::to_string(number);

  current_ = AttemptRecord{};
  current_.attempt = number;
  current_.started_at = s_.clock.now();
  current_.stdout_log = display_path(spec_.stdout_log, s_.config.root);
  current_.stderr_log = display_path(spec_.stderr_log, s_.config.root);
  emit(stage.name, event::kStart,
       "attempt " + std::to_string(number) + " of " + std::to_string(1 + stage.retries),
       {{"attempt", number},
        {"argv", shown_argv(spec_.argv)},
        {"argc", spec_.argv.size()},
        {"cwd", path_text(spec_.cwd)},
        {"inputs_count", rec_.inputs_count}});
  return setup_error_.empty() ? &spec_ : nullptr;
}

ProcessResult StageRunner::setup_failure() const {
  ProcessResult r;
  r.start_error = setup_error_;
  return r;
}

// The attempt closed: recorded, announced, and what comes next.
std::optional<Millis> StageRunner::attempt_ended(ProcessResult r) {
  const StageConfig& stage = *stage_;
  AttemptRecord a = std::move(current_);
  const int number = a.attempt;
  a.finished_at = s_.clock.now();
  take_result(a, r);
  rec_.items_done = r.items_done;
  rec_.stdout_bytes += r.stdout_bytes;
  rec_.stderr_bytes += r.stderr_bytes;
  rec_.counts = r.counts;
  a.counts = r.counts;
  rec_.status = outcome_of(r);
  if (rec_.status == StageStatus::kSucceeded) {
    a.count_error = count_check(stage, r.counts);
    if (!a.count_error.empty()) rec_.status = StageStatus::kFailed;
  }
  for (const auto& w : r.warnings) warn(stage.name, w);

  nlohmann::json data = {{"attempt", number},
                         {"status", to_string(rec_.status)},
                         {"exit_code", optional_json(r.exit_code)},
                         {"signal", optional_json(r.signal)},
                         {"duration_ms", a.duration.count()},
                         {"terminated", r.terminated},
                         {"left_processes", r.left_processes}};
  if (stage.counts) data["counts"] = r.counts;
  const std::string what = a.count_error.empty() ? describe(r, stage) : a.count_error;
  emit(stage.name, event_for(rec_.status), what, std::move(data));
  const bool retry = a.count_error.empty() ? should_retry(stage, r) : should_retry_count(stage);
  rec_.attempts.push_back(std::move(a));

  if (r.aborted) run_.abort();
  if (rec_.status == StageStatus::kSucceeded || run_.aborted || number == 1 + stage.retries ||
      !retry) {
    return std::nullopt;
  }
  return back_off(number, what);
}

Millis StageRunner::back_off(int attempt, const std::string& what) {
  const StageConfig& stage = *stage_;
  const Millis delay = backoff_delay(stage.backoff, attempt);
  emit(stage.name, event::kRetry,
       "retrying in " + format_duration(delay) + " (attempt " + std::to_string(attempt + 1) +
           " of " + std::to_string(1 + stage.retries) + ") after: " + what,
       {{"attempt", attempt},
        {"next_attempt", attempt + 1},
        {"delay_ms", delay.count()},
        {"reason", what}});
  return delay;
}

StageRecord StageRunner::finish() {
  const StageConfig& stage = *stage_;
  nlohmann::json metrics = {
      {"items_done", rec_.items_done},
      {"items", rec_.items ? nlohmann::json(*rec_.items) : nlohmann::json(nullptr)},
      {"stdout_bytes", rec_.stdout_bytes},
      {"stderr_bytes", rec_.stderr_bytes},
      {"attempts", rec_.attempts.size()}};
  if (stage.counts) metrics["counts"] = rec_.counts;
  emit(stage.name, event::kMetric, "stage metrics", std::move(metrics));
  return std::move(rec_);
}

StageRecord StageRunner::run(const StageConfig& stage, const InputSnapshot& inputs,
                             const PlaceholderValues& run_values, const fs::path& stage_logs) {
  begin(stage, inputs, run_values, stage_logs);
  for (;;) {
    const ProcessSpec* spec = next_attempt();
    const std::optional<Millis> backoff =
        attempt_ended(spec ? s_.supervisor.run(*spec) : setup_failure());
    if (!backoff) break;
    if (!s_.clock.sleep_for(*backoff)) {  // a stop came first
      run_.abort();
      break;
    }
  }
  return finish();
}

}  // namespace pipeline
