#include "app/cli.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ostream>

#include "app/dashboard.hpp"
#include "app/pipeline_status.hpp"
#include "app/run_command.hpp"
#include "app/schedule_command.hpp"
#include "app/windows_command.hpp"
#include "batches/batch_hotfolder.hpp"
#include "batches/batch_listing.hpp"
#include "batches/batch_submit.hpp"
#include "config/config.hpp"
#include "records/audit_store.hpp"
#include "records/record_layout.hpp"
#include "records/report_json.hpp"
#include "records/run_records.hpp"
#include "util/error.hpp"
#include "util/json_read.hpp"
#include "util/paths.hpp"
#include "util/utf8.hpp"

namespace pipeline {
namespace {

// An error is one sentence a person reads: a value it quotes (a 120 KB argument, a line of a
// damaged file) is cut in the middle, saying how much was left out.
std::string shorten(const std::string& text) {
  return cut_middle(text, 400);
}

struct Options {
  std::string config;
  std::vector<std::string> stages;
  bool dry_run = false;
  bool quiet = false;
  bool verbose = false;
  bool json = false;
  std::string run_ref;
  std::size_t limit = 20;
  std::string status;
  std::string since;
  std::string stage;
  std::string batch_id;
  std::vector<std::string> batch_files;  ///< NAME=PATH
  std::vector<std::string> batch_raw;
  ScheduleRequest schedule;
  std::string schedule_root = "/";
  std::string out_dir;
  WindowsRequest windows;
};

fs::path discover_config(const Options& o, const Machine& p) {
  if (!o.config.empty()) return path_from_text(o.config);
  if (auto it = p.environment.find("PIPELINE_RUNNER_CONFIG");
      it != p.environment.end() && !it->second.empty()) {
    return path_from_text(it->second);
  }
  return "config/pipeline.yaml";
}

Config load(const Options& o, const Machine& p) {
  const auto& env = p.environment;
  return load_config(discover_config(o, p), [&env](const std::string& n) {
    auto it = env.find(n);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
}

void setup_console_log(const Options& o) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_pattern("pipeline_runner: %l: %v");
  auto logger = std::make_shared<spdlog::logger>("pipeline_runner", sink);
  auto level =
      o.quiet ? spdlog::level::warn : (o.verbose ? spdlog::level::debug : spdlog::level::info);
  sink->set_level(level);
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  // A log sink that fails (the run log on a full disk) is said once, as our own warning,
  // instead of spdlog's "[*** LOG ERROR ***]" on every line.
  spdlog::set_error_handler([](const std::string& message) {
    static bool said = false;
    if (said) return;
    said = true;
    std::fprintf(stderr, "pipeline_runner: warning: a log is not written: %s\n",
                 shorten(message).c_str());
  });
}

int audit_show(const Options& o, Machine& p) {
  Config cfg = load(o, p);
  AuditStore store(p.files, RecordLayout(cfg).reports_dir());
  fs::path path = find_report(cfg, p.files, o.run_ref);
  if (o.json) {  // the file as it is, even one this runner cannot read as a report
    p.out << dump_json(store.read_json({"", path}), 2) << "\n";
    return exit_code::kSuccess;
  }
  RunReport report;
  try {
    report = store.load({"", path});
  } catch (const Error& e) {
    throw Error(e.code(), std::string(e.what()) + " (`audit show --json` prints it as it is)");
  }
  p.out << render_report(report);
  return exit_code::kSuccess;
}

// --since: "7d" back from now, a date (midnight UTC) or an RFC 3339 time.
TimePoint parse_since(const std::string& text, TimePoint now) {
  if (auto d = parse_duration(text)) return now - *d;
  if (auto t = parse_rfc3339(text.size() == 10 ? text + "T00:00:00Z" : text)) return *t;
  throw UsageError("--since " + text +
                   ": give a duration back from now (7d, 12h), a date (2026-11-01) or an "
                   "RFC 3339 time");
}

int audit_list(const Options& o, Machine& p) {
  Config cfg = load(o, p);
  if (!o.status.empty() && !run_status_from_string(o.status)) {
    throw UsageError("--status " + o.status +
                     ": use success, partial, failure, idle, aborted or error");
  }
  HistoryQuery query;
  query.limit = o.limit;
  query.status = o.status;
  query.stage = o.stage;
  if (!o.since.empty()) query.since = parse_since(o.since, p.clock.now());
  if (!query.stage.empty() && !cfg.find_stage(query.stage)) {
    spdlog::warn("--stage {}: the config has no such stage (older runs may)", query.stage);
  }
  auto reports =
      query_runs(cfg, p.files, query, [](const std::string& m) { spdlog::warn("{}", m); });
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : reports) out.push_back(summary_to_json(r));
    p.out << dump_json(out, 2) << "\n";
  } else {
    p.out << render_run_list(reports);
  }
  return exit_code::kSuccess;
}

const Config& require_batches(const Config& cfg) {
  if (!cfg.batches) {
    throw UsageError(path_text(cfg.file) + " has no 'batches' section, so it has no hot folder");
  }
  return cfg;
}

int batch_submit(const Options& o, Machine& p) {
  Config cfg = load(o, p);
  require_batches(cfg);
  if (!valid_batch_id(o.batch_id)) {
    throw UsageError("--id " + o.batch_id +
                     ": a batch id is 1-64 of A-Z, a-z, 0-9, '_', '.' and '-', not starting "
                     "with '.' or '-'");
  }
  std::vector<std::pair<std::string, fs::path>> named;
  for (const auto& f : o.batch_files) {
    std::size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == f.size()) {
      throw UsageError("--file " + f + ": write NAME=PATH");
    }
    named.emplace_back(f.substr(0, eq), fs::absolute(path_from_text(f.substr(eq + 1))));
  }
  std::vector<fs::path> raw;  // paths on a command line are taken from the working directory
  for (const auto& r : o.batch_raw) raw.push_back(fs::absolute(path_from_text(r)));
  fs::path written;
  try {
    written = submit_batch(cfg, p.files, o.batch_id, named, raw, p.clock.now());
  } catch (const FileError& e) {
    throw Error(exit_code::kInternal, e.what());
  }
  p.out << "submitted batch " << o.batch_id << ": " << path_text(written) << "\n";
  return exit_code::kSuccess;
}

int batch_list(const Options& o, Machine& p) {
  Config cfg = load(o, p);
  require_batches(cfg);
  auto batches = list_batches(cfg, p.files);
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& b : batches) {
      out.push_back({{"state", b.state}, {"id", b.id}, {"path", b.path}, {"detail", b.detail}});
    }
    p.out << dump_json(out, 2) << "\n";
    return exit_code::kSuccess;
  }
  if (batches.empty()) p.out << "no batches in " << path_text(cfg.batches->hotfolder) << "\n";
  std::size_t width = 2;
  for (const auto& b : batches) width = std::max(width, b.id.size());
  for (const auto& b : batches) {
    p.out << b.state << std::string(11 - b.state.size(), ' ') << b.id
          << std::string(width - b.id.size() + 2, ' ') << b.path
          << (b.detail.empty() ? "" : "  " + b.detail) << "\n";
  }
  return exit_code::kSuccess;
}

int history_rebuild(const Options& o, Machine& p) {
  Config cfg = load(o, p);
  // Under the run lock: a run finishing meanwhile would record into the file being replaced.
  auto lock = lock_like_a_run(p, cfg, "history rebuild");
  if (!lock) return exit_code::kLocked;
  const RecordLayout layout(cfg);
  std::size_t runs = 0;  // the lock goes with `lock`, on every path
  try {
    runs = rebuild_history_from_reports(cfg, p.files, [](const std::string& m) {
             spdlog::warn("{}", m);
           })->count();
  } catch (const std::exception& e) {
    throw Error(exit_code::kInternal, "cannot rebuild " + history_location(cfg) + ": " + e.what());
  }
  p.out << "rebuilt " << history_location(cfg) << " from " << path_text(layout.reports_dir())
        << ": " << runs << (runs == 1 ? " run" : " runs") << "\n";
  return exit_code::kSuccess;
}

int dashboard_command(const Options& o, Machine& p) {
  Config cfg = load(o, p);
  fs::path dir = o.out_dir.empty() ? default_dashboard_dir(cfg)
                                   : fs::absolute(path_from_text(o.out_dir)).lexically_normal();
  fs::path written;
  try {
    written = write_dashboard(p, cfg, dir, gather_status(p, cfg));
  } catch (const FileError& e) {
    throw Error(exit_code::kInternal, std::string("the dashboard is not written: ") + e.what());
  }
  p.out << "wrote " << path_text(written) << "\n";
  return exit_code::kSuccess;
}

int config_check(const Options& o, Machine& p) {
  Config cfg = load(o, p);
  p.out << path_text(cfg.file) << ": ok: pipeline " << cfg.pipeline << ", " << cfg.stages.size()
        << (cfg.stages.size() == 1 ? " stage" : " stages") << ", root " << path_text(cfg.root)
        << "\n";
  return exit_code::kSuccess;
}

// `windows list` and `windows reset`: the group and its two commands.
void add_windows_commands(CLI::App& app, WindowsRequest& w) {
  CLI::App* windows = app.add_subcommand("windows", "the time windows of the windowed stages");
  windows->require_subcommand(1);
  CLI::App* wlist = windows->add_subcommand("list", "every window and its state");
  wlist->add_option("--stage", w.stage, "only this stage");
  wlist->add_option("--status", w.status, "only pending, running, succeeded or failed");
  wlist->add_flag("--json", w.json, "print JSON");
  wlist->callback([&w] { w.action = "list"; });
  CLI::App* wreset = windows->add_subcommand(
      "reset", "mark a range of windows pending again (a backfill), under the run lock");
  wreset->add_option("--stage", w.stage, "the stage")->required();
  wreset
      ->add_option("--from", w.from,
                   "the first time: 2026-01-05, 2026-01-05T06:00 (on the stage's timezone), "
                   "with Z or an offset, or a window id")
      ->required();
  wreset->add_option("--to", w.to, "the end, exclusive (default: every later window)");
  wreset->add_flag("--json", w.json, "print JSON");
  wreset->callback([&w] { w.action = "reset"; });
  for (CLI::App* sub : {windows, wlist, wreset}) sub->fallthrough();
}

}  // namespace

int cli_main(int argc, const char* const* argv, Machine& machine) {
  Options o;
  CLI::App app{"pipeline_runner: runs a data pipeline's stages when the files call for it",
               "pipeline_runner"};
  app.require_subcommand(0, 1);
  app.fallthrough();
  app.set_version_flag("--version", kRunnerVersion);
  app.add_option("-c,--config", o.config,
                 "config file (default: $PIPELINE_RUNNER_CONFIG, else ./config/pipeline.yaml)");
  app.add_flag("-q,--quiet", o.quiet, "only warnings and errors on stderr");
  app.add_flag("-v,--verbose", o.verbose, "debug output on stderr");
  bool run_once = false;
  app.add_flag("--run-once", run_once, "run the pipeline once (the same as `run`)");
  auto add_run_options = [&](CLI::App* a) {
    a->add_flag("--dry-run", o.dry_run, "decide and report, run and change nothing");
    a->add_option("--stage", o.stages, "run only this stage (repeatable)");
  };
  add_run_options(&app);
  CLI::App* run = app.add_subcommand("run", "run the pipeline once");
  add_run_options(run);
  CLI::App* plan = app.add_subcommand("plan", "what would run now, and why");
  plan->add_flag("--json", o.json, "print JSON");
  CLI::App* audit = app.add_subcommand("audit", "the runs on record");
  audit->require_subcommand(1);
  CLI::App* show = audit->add_subcommand("show", "one run's report");
  show->add_option("run", o.run_ref, "run id, unique prefix, or 'latest'")->required();
  show->add_flag("--json", o.json, "print the report as JSON");
  CLI::App* list = audit->add_subcommand("list", "recent runs, newest first");
  list->add_option("--limit", o.limit, "at most this many runs (default 20)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  list->add_option("--status", o.status, "only runs with this status");
  list->add_option("--since", o.since,
                   "only runs started since: a duration back from now (7d, 12h) or a date "
                   "(2026-11-01, RFC 3339)");
  list->add_option("--stage", o.stage, "only runs in which this stage ran");
  list->add_flag("--json", o.json, "print JSON");
  CLI::App* history = app.add_subcommand("history", "the run history database");
  history->require_subcommand(1);
  CLI::App* rebuild =
      history->add_subcommand("rebuild", "rebuild state/pipeline.db from the reports");
  CLI::App* batch = app.add_subcommand("batch", "the manifest hot folder (batch mode)");
  batch->require_subcommand(1);
  CLI::App* submit = batch->add_subcommand("submit", "write a manifest into the hot folder");
  submit->add_option("--id", o.batch_id, "the batch id")->required();
  submit->add_option("--file", o.batch_files, "NAME=PATH: a named file (repeatable)");
  submit->add_option("--raw", o.batch_raw, "a raw data file (repeatable)");
  CLI::App* blist = batch->add_subcommand("list", "ready, processing, archived and failed batches");
  blist->add_flag("--json", o.json, "print JSON");
  CLI::App* status = app.add_subcommand(
      "status", "health at a glance: exit 0 healthy, 1 failing, 2 stale (no run for 3 x every)");
  status->add_flag("--json", o.json, "print JSON");
  CLI::App* dashboard = app.add_subcommand("dashboard", "write the HTML dashboard");
  dashboard->add_option("--out", o.out_dir, "the folder of index.html (default: logs/dashboard)");
  add_windows_commands(app, o.windows);
  CLI::App* config = app.add_subcommand("config", "the configuration");
  config->require_subcommand(1);
  CLI::App* check = config->add_subcommand("check", "validate the config and exit");
  CLI::App* schedule = app.add_subcommand(
      "schedule", "the OS scheduler's entry that starts a run every schedule.every");
  schedule->require_subcommand(1);
  std::vector<CLI::App*> schedule_actions;
  for (const auto& [name, what] : {std::pair<std::string, std::string>{"show", "print the entry"},
                                   {"install", "write and enable the entry"},
                                   {"remove", "disable and delete the entry"}}) {
    CLI::App* a = schedule->add_subcommand(name, what);
    a->add_option("--for", o.schedule.scheduler,
                  "cron, systemd or windows (default: this machine's scheduler)");
    a->add_option("--root", o.schedule_root,
                  "the folder that stands for / for cron and systemd files (default /)");
    schedule_actions.push_back(a);
  }
  for (CLI::App* sub : {run, plan, audit, show, list, history, rebuild, batch, submit, blist,
                        status, dashboard, config, check, schedule}) {
    sub->fallthrough();
  }
  for (CLI::App* sub : schedule_actions) sub->fallthrough();

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e, machine.out, machine.err);
  } catch (const CLI::ParseError& e) {
    machine.err << "pipeline_runner: " << shorten(e.what()) << " (see --help)\n";
    return exit_code::kUsage;
  }
  setup_console_log(o);
  try {
    if (run_once || run->parsed()) {
      return run_pipeline(machine, load(o, machine), {o.stages, o.dry_run});
    }
    if (o.dry_run || !o.stages.empty()) {
      throw UsageError("--dry-run and --stage go with --run-once or run");
    }
    if (plan->parsed()) return print_plan(machine, load(o, machine), {}, o.json);
    if (show->parsed()) return audit_show(o, machine);
    if (list->parsed()) return audit_list(o, machine);
    if (check->parsed()) return config_check(o, machine);
    if (status->parsed()) return status_command(machine, load(o, machine), o.json);
    if (dashboard->parsed()) return dashboard_command(o, machine);
    if (submit->parsed()) return batch_submit(o, machine);
    if (rebuild->parsed()) return history_rebuild(o, machine);
    if (blist->parsed()) return batch_list(o, machine);
    if (!o.windows.action.empty()) return windows_command(machine, load(o, machine), o.windows);
    for (CLI::App* sub : schedule_actions) {
      if (!sub->parsed()) continue;
      o.schedule.action = sub->get_name();
      // "/" stays "/": on Windows absolute() would make it the current drive's root.
      if (o.schedule_root != "/")
        o.schedule.root = fs::absolute(path_from_text(o.schedule_root)).lexically_normal();
      return schedule_command(machine, load(o, machine), o.schedule);
    }
    machine.err << app.help();
    return exit_code::kUsage;
  } catch (const Error& e) {
    machine.err << "pipeline_runner: " << shorten(e.what()) << "\n";
    return e.code();
  } catch (const std::exception& e) {
    machine.err << "pipeline_runner: internal error: " << shorten(e.what()) << "\n";
    return exit_code::kInternal;
  }
}

}  // namespace pipeline
