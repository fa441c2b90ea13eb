#include "app/run_command.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ostream>
#include <sstream>

#include "app/dashboard.hpp"
#include "app/metrics_textfile.hpp"
#include "app/pipeline_status.hpp"
#include "app/state_repair.hpp"
#include "app/windows_command.hpp"
#include "batches/batch_hotfolder.hpp"
#include "core/data_lifecycle.hpp"
#include "core/orchestrator.hpp"
#include "notify/notifier.hpp"
#include "records/audit_reporter.hpp"
#include "records/audit_store.hpp"
#include "records/event_fanout.hpp"
#include "records/event_logger.hpp"
#include "records/file_mover.hpp"
#include "records/lock_record.hpp"
#include "records/record_layout.hpp"
#include "records/report_json.hpp"
#include "records/retention.hpp"
#include "records/run_log.hpp"
#include "records/run_records.hpp"
#include "records/sqlite_state.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"
#include "util/run_id.hpp"

namespace pipeline {
namespace {

using nlohmann::json;

// Adds the run's human log file to the default logger; a log that cannot be opened is a
// warning, never a reason not to run.
void open_run_log(const fs::path& path) {
  try {
    // The OS's own spelling of the name (wide on Windows, where spdlog opens it with the
    // wide call): a UTF-8 name would be read in the ANSI code page there.
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.native(), true);
    sink->set_level(spdlog::level::debug);
    sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %-5l %v");
    spdlog::default_logger()->sinks().push_back(std::move(sink));
    spdlog::default_logger()->set_level(spdlog::level::debug);
  } catch (const spdlog::spdlog_ex& e) {
    spdlog::warn("the run log is not written: {}", e.what());
  }
}

// The human run log's lines go to the default logger: stderr, and the run's log file.
void write_log_line(LogLevel level, const std::string& text) {
  constexpr spdlog::level::level_enum kLevels[] = {spdlog::level::debug, spdlog::level::info,
                                                   spdlog::level::warn, spdlog::level::err};
  spdlog::log(kLevels[static_cast<int>(level)], "{}", text);
}

void close_run_log() {
  auto& sinks = spdlog::default_logger()->sinks();
  if (sinks.size() > 1) sinks.resize(1);
}

/// Keeps the lock file's record of the stage processes in flight up to date, so that the next
/// run can find what a dead runner left behind.
class LockRecordingSupervisor final : public ProcessSupervisor {
 public:
  LockRecordingSupervisor(ProcessSupervisor& inner, RunLock& lock, LockOwner owner)
      : inner_(inner), lock_(lock), owner_(std::move(owner)) {}

  void start(ProcessSpec spec, Done done) override {
    // Which identity is this process's: set as it starts, dropped from the record at its end.
    auto recorded = std::make_shared<std::optional<std::string>>();
    auto on_started = std::move(spec.on_started);
    spec.on_started = [this, recorded, on_started](const std::string& identity) {
      *recorded = identity;
      owner_.stage_processes.push_back(identity);
      record();
      if (on_started) on_started(identity);
    };
    inner_.start(std::move(spec), [this, recorded, done = std::move(done)](ProcessResult r) {
      if (*recorded) {
        auto& ids = owner_.stage_processes;
        if (auto it = std::find(ids.begin(), ids.end(), **recorded); it != ids.end()) {
          ids.erase(it);
          record();
        }
      }
      done(std::move(r));
    });
  }

  bool wait(std::optional<Millis> at_most) override { return inner_.wait(at_most); }

 private:
  void record() { lock_.update(lock_owner_to_text(owner_)); }

  ProcessSupervisor& inner_;
  RunLock& lock_;
  LockOwner owner_;
};

}  // namespace

std::unique_ptr<RunLock> lock_like_a_run(Machine& machine, const Config& config,
                                         const std::string& command) {
  const RecordLayout layout(config);
  machine.files.create_directories(config.state);
  auto lock = machine.make_lock(layout.lock_file());
  LockOwner owner;
  owner.pid = machine.pid;
  owner.host = machine.host;
  owner.command = command;
  if (!lock->acquire(config.lock_wait, machine.clock, lock_owner_to_text(owner))) {
    machine.err << "pipeline_runner: a run holds " << path_text(layout.lock_file())
                << "; try again when it has finished\n";
    return nullptr;
  }
  // A run that died holding the lock left its record there: end what it left running now,
  // before this command's own record replaces it.
  if (auto dead = recover_dead_run_of(machine, config, *lock)) {
    machine.err << "pipeline_runner: run " << dead->run_id << " died holding the lock; "
                << dead->killed.size() << " of its stage processes killed\n";
  }
  return lock;
}

std::optional<RecoveryRecord> recover_dead_run_of(Machine& machine, const Config& config,
                                                  const RunLock& lock) {
  if (lock.previous_owner().empty() || !machine.run_processes.find) return std::nullopt;
  AuditStore reports(machine.files, RecordLayout(config).reports_dir());
  return recover_dead_run(lock.previous_owner(), machine.host, reports, machine.run_processes);
}

std::vector<std::string> sweep_temp_files(Machine& machine, const Config& config) {
  // Another process may be writing one right now (`batch submit` takes no lock): only
  // leftovers older than this go.
  constexpr auto kStale = std::chrono::hours(1);
  // (The reports folder is swept when the run records itself: record_run.)
  std::vector<fs::path> folders = {config.state};
  if (config.batches) folders.push_back(config.batches->hotfolder);
  const std::int64_t cutoff = unix_ns(machine.clock.now() - kStale);
  std::vector<std::string> removed;
  for (const auto& dir : folders) {
    for (auto& line : remove_unfinished_writes(machine.files, dir, cutoff)) {
      removed.push_back(std::move(line));
    }
  }
  return removed;
}

namespace {

json plan_stages_json(const std::vector<StageRecord>& records) {
  json stages = json::array();
  for (const auto& r : records) {
    stages.push_back({{"name", r.name},
                      {"run", r.decision.run},
                      {"reason", r.decision.reason},
                      {"inputs_count", r.inputs_count},
                      {"inputs", r.inputs}});
  }
  return stages;
}

void print_plan_stages(std::ostream& out, const std::vector<StageRecord>& records,
                       const std::string& indent) {
  std::size_t width = 0;
  for (const auto& r : records) width = std::max(width, r.name.size());
  for (const auto& r : records) {
    out << indent << r.name << std::string(width - r.name.size(), ' ')
        << (r.decision.run ? "  run   " : "  skip  ") << r.decision.reason << "\n";
  }
}

// What the run does with a previewed batch other than running its stages, or "".
std::string batch_fate(const BatchPreview& b) {
  if (!b.rejected.empty()) return "rejected (moved to the error folder): " + b.rejected;
  if (b.decided) {
    return "a run that died decided " + *b.decided + "; only its moves remain";
  }
  return {};
}

}  // namespace

int print_plan(Machine& machine, const Config& config, const std::vector<std::string>& stages,
               bool as_json) {
  check_stage_selection(config, stages);
  TimePoint now = machine.clock.now();
  // The plan's services are never asked to run or record anything.
  EventLogger no_events(machine.files, machine.clock, fs::path(), "", {});
  FileMover no_mover(machine.files, fs::path());
  DataLifecycle no_lifecycle(config, machine.files, no_mover, no_events);
  Orchestrator orchestrator({config, machine.files, machine.clock, machine.supervisor, no_events,
                             no_lifecycle, machine.environment, machine.stop, nullptr, nullptr,
                             nullptr, nullptr});
  const std::string run_id = make_run_id(now);
  json out = {{"pipeline", config.pipeline},
              {"config", path_text(config.file)},
              {"root", path_text(config.root)},
              {"stages", json::array()}};
  std::ostringstream text;
  text << "pipeline " << config.pipeline << " (" << path_text(config.file) << ")\n";

  if (!config.batches) {
    auto records = orchestrator.plan({stages}, run_id, now);
    out["stages"] = plan_stages_json(records);
    print_plan_stages(text, records, "  ");
  } else {
    // Batch mode: the stages run once per batch, so they are decided per batch, with its
    // ${batch.*} values, for the batches the next run would claim. Nothing is claimed.
    const fs::path& hot = config.batches->hotfolder;
    auto preview = preview_batches(config, machine.files,
                                   static_cast<std::size_t>(config.batches->max_per_run), now);
    out["batches"] = json::array();
    for (const auto& b : preview.batches) {
      json jb = {{"id", b.id},
                 {"manifest", display_path(b.manifest, config.root)},
                 {"claimed", b.processing},
                 {"stages", json::array()}};
      text << "  batch " << b.id << " (" << display_path(b.manifest, config.root) << ")";
      if (std::string fate = batch_fate(b); !fate.empty()) {
        jb[b.decided ? "decided" : "rejected"] = b.decided ? *b.decided : b.rejected;
        text << ": " << fate << "\n";
      } else {
        auto records = orchestrator.plan({stages}, run_id, now, &b);
        jb["stages"] = plan_stages_json(records);
        text << (b.processing ? ": left claimed by a run that died (if it is not still going)" : "")
             << "\n";
        print_plan_stages(text, records, "    ");
      }
      out["batches"].push_back(std::move(jb));
    }
    out["batches_later"] = preview.later;
    out["batches_settling"] = preview.settling;
    out["warnings"] = preview.warnings;
    if (preview.batches.empty()) {
      text << "  no batch waits in " << display_path(hot, config.root)
           << ": nothing runs (the stages run once for each batch)\n";
    }
    if (preview.settling > 0) {
      text << "  " << settling_text(preview.settling, config.batches->settle) << "\n";
    }
    if (preview.later > 0) {
      text << "  " << preview.later << " more batch" << (preview.later == 1 ? "" : "es")
           << " wait for later runs (batches.max_per_run is " << config.batches->max_per_run
           << ")\n";
    }
    for (const auto& w : preview.warnings) text << "  warning: " << w << "\n";
  }
  // Windowed stages run once per due window: how many are open, from the state store.
  std::string windows_error;
  const auto windows = read_window_summaries(machine, config, windows_error);
  if (!windows.empty()) out["windows"] = json::array();
  for (const auto& w : windows) {
    const StageConfig* stage = config.find_stage(w.stage);
    json one = window_summary_to_json(w);
    one["max_per_run"] = stage->windows->max_per_run;
    out["windows"].push_back(std::move(one));
    text << "  " << w.stage << ": " << w.open << " window" << (w.open == 1 ? "" : "s")
         << " due and not succeeded; a run takes up to " << stage->windows->max_per_run
         << ", oldest first (watermark "
         << (w.watermark ? format_rfc3339(*w.watermark) : std::string("none yet")) << ")\n";
  }
  if (!windows_error.empty())
    text << "  warning: the windows cannot be read: " << windows_error << "\n";
  if (as_json) {
    machine.out << dump_json(out, 2) << "\n";
    return exit_code::kSuccess;
  }
  machine.out << text.str()
              << "Each stage is decided again just before it starts, so it sees what earlier "
                 "stages produce.\n";
  return exit_code::kSuccess;
}

namespace {

// One run, phase by phase: lock -> recover -> run -> report -> retain -> record -> end.
class RunSession {
 public:
  RunSession(Machine& machine, const Config& config)
      : m_(machine), config_(config), layout_(config) {
    report_.started_at = m_.clock.now();
    started_monotonic_ = m_.clock.monotonic();
    report_.run_id = make_run_id(report_.started_at);
    report_.pipeline = config.pipeline;
    report_.host = m_.host;
    report_.pid = m_.pid;
    report_.config_path = path_text(config.file);
    report_.config_sha256 = config.sha256;
    for (const auto& name : config.env_names) {
      if (auto it = m_.environment.find(name); it != m_.environment.end()) {
        secrets_.add(it->second, "${env." + name + "}");
      }
    }
  }

  int run(const RunRequest& request) {
    if (auto skipped = take_lock()) return *skipped;
    reports_at_start_ = reports_mtime(config_, m_.files);
    make_path_folders();
    open_run_log(layout_.run_log(report_.run_id, report_.started_at));
    EventLogger event_log(m_.files, m_.clock, layout_.event_log(report_.run_id), report_.run_id,
                          warn);
    RunLog run_log(report_.run_id, write_log_line);
    EventFanout events({&event_log, &run_log}, &secrets_);
    events.emit(event_source::kPipeline, event::kStart, "run started",
                {{"pipeline", config_.pipeline},
                 {"config", path_text(config_.file)},
                 {"config_sha256", config_.sha256},
                 {"root", path_text(config_.root)},
                 {"host", m_.host},
                 {"pid", m_.pid},
                 {"stages", config_.stages.size()},
                 {"only_stages", request.stages}});
    FileMover mover(m_.files, layout_.moves_dir());
    recover(events, mover);
    check_state_store(events);
    orchestrate(events, mover, request);
    report_.finished_at = m_.clock.now();
    report_.duration = m_.clock.monotonic() - started_monotonic_;
    // From here on the report is what the world sees: written, recorded, sent. Cleaned of
    // secrets once, here, not at each of them.
    if (!secrets_.empty()) report_ = redacted_report(report_, secrets_);
    report_path_.clear();
    write_report(report_);
    keep_records(events);
    write_views(events);
    notify(events);
    return end(events);
  }

 private:
  static void warn(const std::string& message) { spdlog::warn("{}", message); }

  // The lock comes first: a run that does not hold it changes nothing but its own event.
  // Returns the exit code when this run does not go ahead.
  std::optional<int> take_lock() {
    try {
      m_.files.create_directories(config_.state);
      lock_ = m_.make_lock(layout_.lock_file());
      owner_.pid = m_.pid;
      owner_.host = m_.host;
      owner_.run_id = report_.run_id;
      owner_.started_at = format_rfc3339(report_.started_at);
      if (lock_->acquire(config_.lock_wait, m_.clock, lock_owner_to_text(owner_))) {
        return std::nullopt;
      }
    } catch (const FileError& e) {
      throw Error(exit_code::kInternal, std::string("cannot take the run lock: ") + e.what());
    }
    if (auto stopped = m_.stop.exit_code()) return *stopped;  // stopped while waiting
    std::optional<LockOwner> holder = lock_owner_from_text(lock_->holder());
    m_.err << "pipeline_runner: skipped: another run holds " << path_text(layout_.lock_file())
           << " (" << describe(holder) << ")\n";
    EventLogger events(m_.files, m_.clock, layout_.event_log(report_.run_id), report_.run_id, {});
    events.emit(event_source::kPipeline, event::kSkipped, "another run holds the lock",
                {{"holder", holder ? lock_owner_to_json(*holder) : json(nullptr)}});
    return exit_code::kLocked;
  }

  // The events, report and stage logs create their own folders and warn once if they cannot.
  void make_path_folders() {
    for (const auto& [name, dir] : config_.paths) {
      try {
        m_.files.create_directories(dir);
      } catch (const FileError& e) {
        report_.errors.push_back(std::string("paths.") + name + ": " + e.what());
        warn(report_.errors.back());
      }
    }
  }

  // Before any file is touched: the processes of a run that died holding the lock go, moves
  // it left half done are finished or rolled back, and the temporary files of writes it
  // never finished go.
  void recover(EventSink& events, FileMover& mover) {
    report_.recovered = recover_dead_run_of(m_, config_, *lock_);
    if (report_.recovered) {
      const RecoveryRecord& r = *report_.recovered;
      std::string msg = "run " + r.run_id + " died holding the lock; " +
                        std::to_string(r.killed.size()) + " of its stage processes killed" +
                        (r.report_missing ? "; it wrote no report" : "");
      events.emit(event_source::kPipeline, event::kRecovered, msg,
                  {{"dead_run_id", r.run_id},
                   {"dead_pid", r.pid},
                   {"host", r.host},
                   {"killed", r.killed},
                   {"report_missing", r.report_missing}});
      if (r.report_missing) report_.errors.push_back("run " + r.run_id + " left no report");
    }
    for (const auto& line : mover.recover()) {
      events.emit(event_source::kPipeline, event::kMoveRecovered, line, {{"what", line}});
    }
    for (const auto& line : sweep_temp_files(m_, config_)) {
      events.emit(event_source::kPipeline, event::kTempRemoved, line, {{"what", line}});
    }
  }

  // Before any window is decided: a damaged state store is moved aside (the run ends as
  // `error`, which alerts), and a lost one gets its windows back from the reports.
  void check_state_store(EventSink& events) {
    const StateRepair repair = repair_state_store(m_, config_, report_.started_at);
    if (!repair.happened()) return;
    const std::string msg = repair.message();
    if (!repair.damaged.empty()) {
      report_.errors.push_back(msg);
      state_failed_ = true;
    }
    events.emit(event_source::kState, event::kRebuilt, msg, repair.to_json());
  }

  // Writes the report as it stands; false when it cannot be written. Before lifecycle
  // deletes anything, and at the end.
  bool write_report(const RunReport& r) {
    try {
      // A checkpoint during the run may still hold a secret (a stage's tail): that copy is
      // cleaned; without secrets, nothing is copied.
      std::optional<RunReport> clean;
      if (!secrets_.empty()) clean = redacted_report(r, secrets_);
      report_path_ = path_text(AuditReporter(m_.files, layout_).write(clean ? *clean : r));
      return true;
    } catch (const FileError& e) {
      warn(std::string("the audit report is not written: ") + e.what());
      return false;
    }
  }

  // A part of the state store (state/state.db), opened when a stage needs it; null (and an
  // error in the report, `what` and its consequence) when it cannot be used.
  template <typename Store>
  std::unique_ptr<Store> open_state(bool (*needs)(const StageConfig&),
                                    std::unique_ptr<Store> (*open)(const std::filesystem::path&),
                                    const char* what) {
    if (std::none_of(config_.stages.begin(), config_.stages.end(), needs)) return nullptr;
    try {
      return open(layout_.state_db());
    } catch (const std::exception& e) {
      report_.errors.push_back(std::string("the state store ") + what + ": " + e.what());
      spdlog::error("{}", secrets_(report_.errors.back()));
      state_failed_ = true;
      return nullptr;
    }
  }

  void orchestrate(EventSink& events, FileMover& mover, const RunRequest& request) {
    LockRecordingSupervisor supervisor(m_.supervisor, *lock_, owner_);
    DataLifecycle lifecycle(config_, m_.files, mover, events);
    std::optional<BatchHotfolder> hotfolder;
    if (config_.batches) hotfolder.emplace(config_, m_.files, mover, m_.clock, m_.make_lock);
    // No window runs without its store (none could be kept), and nothing is quarantined
    // without its (nothing is counted).
    auto windows =
        open_state<WindowStore>([](const StageConfig& s) { return s.windows.has_value(); },
                                open_sqlite_window_store, "of the time windows cannot be used");
    auto failures = open_state<InputFailureStore>(
        [](const StageConfig& s) { return s.quarantine.has_value(); }, open_sqlite_input_failures,
        "of quarantine cannot be used (no input is counted or quarantined)");
    Orchestrator orchestrator({config_, m_.files, m_.clock, supervisor, events, lifecycle,
                               m_.environment, m_.stop, hotfolder ? &*hotfolder : nullptr,
                               windows.get(), failures.get(),
                               [this](const RunReport& r) { return write_report(r); }});
    try {
      orchestrator.run({request.stages}, report_);
      // A state store that cannot be used leaves work undone that no stage's outcome shows:
      // the run is an error, which alerts, not a quiet `idle`.
      if (state_failed_ && report_.status != RunStatus::kAborted) {
        report_.status = RunStatus::kError;
        report_.exit_code = exit_code::kInternal;
      }
    } catch (const std::exception& e) {
      report_.status = RunStatus::kError;
      report_.exit_code = exit_code::kInternal;
      report_.errors.push_back(std::string("internal error: ") + e.what());
      spdlog::error("{}", secrets_(report_.errors.back()));
    }
  }

  // Retention, then the history in step with the reports that are left.
  void keep_records(EventSink& events) {
    RetentionResult pruned = prune_runs(config_, m_.files, m_.clock.now(), report_.run_id);
    for (const auto& e : pruned.errors) warn("retention: " + e);
    if (!pruned.age_skipped.empty()) {
      events.emit(event_source::kRetention, event::kSkipped, pruned.age_skipped,
                  {{"reason", pruned.age_skipped}});
    }
    if (!pruned.pruned.empty() || !pruned.kept_for_batches.empty()) {
      std::string msg = "pruned the records of " + std::to_string(pruned.pruned.size()) +
                        " old runs (" + std::to_string(pruned.files_removed) + " files)";
      if (!pruned.kept_for_batches.empty()) {
        msg += "; kept " + std::to_string(pruned.kept_for_batches.size()) +
               " whose batches are still in the error folder";
      }
      events.emit(event_source::kRetention, event::kPruned, msg,
                  {{"runs", pruned.pruned},
                   {"files_removed", pruned.files_removed},
                   {"kept_for_batches", pruned.kept_for_batches}});
    }
    if (report_path_.empty()) return;
    RecordOutcome recorded = record_run(config_, m_.files, report_, report_path_, pruned.pruned,
                                        reports_at_start_, warn);
    for (const auto& line : recorded.temp_removed) {
      events.emit(event_source::kPipeline, event::kTempRemoved, line, {{"what", line}});
    }
    if (recorded.rebuilt) {
      events.emit(event_source::kHistory, event::kRebuilt, *recorded.rebuilt,
                  {{"db", history_location(config_)}});
    }
  }

  // The metrics textfile and the dashboard, from one look at the history as it now stands.
  // A failure is a warning.
  void write_views(EventSink& events) {
    std::optional<PipelineStatus> status;
    try {
      status = gather_status(m_, config_);
    } catch (const std::exception& e) {
      events.emit(event_source::kPipeline, event::kWarning,
                  std::string("the metrics and the dashboard are not written: ") + e.what(), {});
      return;
    }
    write_metrics(events, *status);
    write_dashboard_page(events, *status);
  }

  void write_metrics(EventSink& events, const PipelineStatus& status) {
    if (!config_.metrics) return;
    const fs::path& file = config_.metrics->textfile;
    try {
      std::map<std::string, std::uint64_t> runs;
      try {
        runs = count_run(layout_.state_db(), std::string(to_string(report_.status)),
                         status.health.runs_by_status);
      } catch (const std::exception& e) {
        warn(std::string("the run counters are not kept: ") + e.what());
        for (const auto& [s, n] : status.health.runs_by_status) runs[s] = n;
      }
      m_.files.create_directories(file.parent_path());
      m_.files.write_atomic(file, metrics_text(status, config_, runs));
    } catch (const std::exception& e) {
      events.emit(event_source::kPipeline, event::kWarning,
                  "the metrics file " + path_text(file) + " is not written: " + e.what(),
                  {{"metrics", path_text(file)}});
    }
  }

  void write_dashboard_page(EventSink& events, const PipelineStatus& status) {
    try {
      write_dashboard(m_, config_, default_dashboard_dir(config_), status);
    } catch (const std::exception& e) {
      events.emit(event_source::kPipeline, event::kWarning,
                  std::string("the dashboard is not written: ") + e.what(),
                  {{"dashboard", path_text(default_dashboard_dir(config_) / "index.html")}});
    }
  }

  // After the report and the history: the alerts this run raises, and those earlier runs
  // could not deliver. Never changes the run's outcome.
  void notify(EventSink& events) {
    if (!config_.notify || !m_.make_transport) return;
    RunHealth before = query_health(config_, m_.files, report_.run_id, warn);
    std::unique_ptr<AlertOutbox> outbox;
    try {
      outbox = open_sqlite_outbox(layout_.state_db());
    } catch (const std::exception& e) {
      events.emit(event_source::kNotify, event::kWarning,
                  std::string("the state store cannot keep alerts (") + e.what() +
                      "): they are sent once and not retried",
                  {{"db", path_text(layout_.state_db())}});
    }
    auto transport = m_.make_transport(config_.notify->ca_file);
    Notifier({config_, outbox.get(), *transport, m_.supervisor, m_.environment, m_.clock, events,
              m_.stop})
        .after_run(report_, report_path_, before);
  }

  int end(EventSink& events) {
    // A stop that came while the records were written still ends the run as aborted.
    if (auto stopped = m_.stop.exit_code(); stopped && report_.status != RunStatus::kAborted) {
      report_.status = RunStatus::kAborted;
      report_.exit_code = *stopped;
      if (!report_path_.empty() && write_report(report_)) {
        record_run(config_, m_.files, report_, report_path_, {}, std::nullopt, warn);
      }
    }
    events.emit(event_source::kPipeline, std::string(to_string(report_.status)),
                "run " + std::string(to_string(report_.status)),
                {{"exit_code", report_.exit_code},
                 {"duration_ms", report_duration_ms(report_)},
                 {"report", report_path_.empty() ? json(nullptr) : json(report_path_)}});
    spdlog::default_logger()->flush();
    close_run_log();
    lock_->release();
    return report_.exit_code;
  }

  Machine& m_;
  const Config& config_;
  const RecordLayout layout_;
  RunReport report_;
  std::unique_ptr<RunLock> lock_;
  LockOwner owner_;
  std::string report_path_;  ///< where the report was last written; "" when it was not
  /// The reports folder's mtime when the lock was taken: unchanged since the history last
  /// matched it, the history is whole without a listing.
  std::optional<std::int64_t> reports_at_start_;
  bool state_failed_ = false;  ///< the state store could not be used as it was
  Redactor secrets_;           ///< what the config took from the environment (SPEC 9)
  Millis started_monotonic_{0};
};

}  // namespace

int run_pipeline(Machine& machine, const Config& config, const RunRequest& request) {
  check_stage_selection(config, request.stages);
  if (request.dry_run) return print_plan(machine, config, request.stages, false);
  return RunSession(machine, config).run(request);
}

}  // namespace pipeline
