#pragma once
/// Every path and file name a run leaves behind (SPEC 5-8), in one place, and the run id read
/// back out of a record's name. Nothing else spells out "reports", "events" or a file name.
///
///   logs/pipeline_<stamp>_<run_id>.log                 the human run log
///   logs/events/pipeline_<run_id>.jsonl                the event log
///   logs/reports/pipeline_report_<stamp>_<run_id>.json the audit report
///   logs/stages/<run_id>[/<batch>]/<stage>[.attemptN].{stdout,stderr}.log, <stage>.inputs
///   logs/stages/<run_id>/lifecycle.jsonl                every lifecycle record of the run
///   state/runner.lock  state/pipeline.db  state/state.db  state/moves/
///   state/inputs/<run_id>/<stage>.inputs

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/time_format.hpp"

namespace pipeline {

namespace fs = std::filesystem;

struct Config;

class RecordLayout {
 public:
  RecordLayout(fs::path logs, fs::path state) : logs_(std::move(logs)), state_(std::move(state)) {}
  explicit RecordLayout(const Config& config);

  fs::path run_log(const std::string& run_id, TimePoint started_at) const;

  fs::path events_dir() const { return logs_ / "events"; }
  fs::path event_log(const std::string& run_id) const;

  fs::path reports_dir() const { return logs_ / "reports"; }
  fs::path report(const std::string& run_id, TimePoint started_at) const;

  fs::path stage_logs_root() const { return logs_ / "stages"; }
  /// The folder of a run's stage logs; a batch run's stages get a sub-folder per batch.
  fs::path stage_logs(const std::string& run_id, const std::string& batch = "") const;
  /// <stage>[.attemptN].stdout.log / .stderr.log in a stage log folder.
  static fs::path stage_output(const fs::path& stage_logs, const std::string& stage, int attempt,
                               std::string_view stream);
  static fs::path inputs_file(const fs::path& stage_logs, const std::string& stage);
  /// Every lifecycle record of a run, one JSON object per line (logs/stages/<run_id>/).
  fs::path lifecycle_list(const std::string& run_id) const;
  /// Where ${inputs_file} goes when the logs cannot take it.
  fs::path inputs_fallback(const std::string& run_id, const std::string& stage) const;
  fs::path inputs_fallback_root() const { return state_ / "inputs"; }

  /// What `schedule install|remove` handed the OS scheduler, and what its tools answered.
  fs::path schedule_dir() const { return logs_ / "schedule"; }

  fs::path lock_file() const { return state_ / "runner.lock"; }
  fs::path history_db() const { return state_ / "pipeline.db"; }
  /// What only the runner knows and no report can rebuild: alerts not delivered yet.
  fs::path state_db() const { return state_ / "state.db"; }
  fs::path moves_dir() const { return state_ / "moves"; }

  /// The run id in a report's file name (pipeline_report_<stamp>_<run_id>.json).
  static std::optional<std::string> run_id_of_report(std::string_view name);
  /// The run id in the name of any record file we write ("<prefix>_<run_id><ext>").
  static std::optional<std::string> run_id_in_name(std::string_view name, std::string_view ext);

 private:
  fs::path logs_;
  fs::path state_;
};

}  // namespace pipeline
