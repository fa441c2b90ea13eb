#include "app/schedule_command.hpp"

#include <algorithm>
#include <ostream>

#include "app/schedule_entries.hpp"
#include "records/record_layout.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"
#include "util/utf8.hpp"

namespace pipeline {
namespace {

struct Context {
  Machine& m;
  const Config& cfg;
  Scheduler scheduler;
  ScheduleTarget target;
  std::string name;
  RecordLayout layout;
};

ScheduleTarget target_of(const Machine& m, const Config& cfg) {
  ScheduleTarget t;
  t.pipeline = cfg.pipeline;
  t.every = cfg.schedule->every;
  t.runner = path_text(m.executable);
  t.config = path_text(cfg.file);
  t.user = m.user;
  // The runner's stop ladder for its slowest stage (terminate, grace, kill, drain) and a
  // minute to write the report, before systemd kills what is left.
  Millis grace{0};
  for (const auto& s : cfg.stages) grace = std::max(grace, s.grace);
  t.stop_timeout = 2 * grace + std::chrono::minutes(1);
  return t;
}

bool live_system(const ScheduleRequest& r) {
  return r.root == fs::path("/");
}

// A program the OS scheduler comes with (systemctl, schtasks), run to the end; its output is
// kept in logs/schedule/ and its error output quoted when it fails.
void run_tool(Context& c, const std::vector<std::string>& argv, bool must_succeed = true) {
  const fs::path dir = c.layout.schedule_dir();
  c.m.files.create_directories(dir);
  ProcessSpec spec;
  spec.argv = argv;
  spec.cwd = dir;
  spec.env = c.m.environment;
  // From cron's empty environment: systemctl is in one of these.
  if (!spec.env.count("PATH") && c.scheduler != Scheduler::kWindows) {
    spec.env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  }
  const std::string tool = path_text(path_from_text(argv.at(0)).stem());
  spec.stdout_log = dir / path_from_text(tool + ".stdout.log");
  spec.stderr_log = dir / path_from_text(tool + ".stderr.log");
  spec.timeout = std::chrono::minutes(2);
  spec.grace = std::chrono::seconds(5);
  ProcessResult r = c.m.supervisor.run(spec);
  std::string command;
  for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
  std::string why;
  if (!r.started) {
    why = "could not start: " + r.start_error;
  } else if (r.timed_out) {
    why = "did not finish within 2 minutes";
  } else if (!r.exit_code || *r.exit_code != 0) {
    why = r.exit_code ? "exit " + std::to_string(*r.exit_code)
                      : "killed by signal " + std::to_string(r.signal.value_or(0));
    std::string said;
    for (const auto& line : r.stderr_tail) said += (said.empty() ? "" : " / ") + line;
    for (const auto& line : r.stdout_tail) said += (said.empty() ? "" : " / ") + line;
    if (!said.empty()) why += ": " + said;
  }
  if (why.empty()) return;
  if (must_succeed) throw Error(exit_code::kInternal, "`" + command + "` failed (" + why + ")");
  c.m.err << "pipeline_runner: warning: `" << command << "` failed (" << why << ")\n";
}

// Our file for this config, absent, or refused: another config's entry, or not one of ours.
bool existing_is_ours(Context& c, const fs::path& path) {
  if (!c.m.files.stat(path)) return false;
  const auto owner = schedule_owner(c.m.files.read_file(path, 1 << 20));
  if (!owner) {
    throw UsageError(path_text(path) +
                     " was not written by `pipeline_runner schedule install`; it is left as it "
                     "is (move it away to install this schedule)");
  }
  if (*owner != c.target.config) {
    throw UsageError(path_text(path) + " holds the schedule of config " + *owner +
                     "; remove that one first (`pipeline_runner schedule remove -c " + *owner +
                     "`)");
  }
  return true;
}

int show(Context& c, const ScheduleRequest& r) {
  if (c.scheduler == Scheduler::kWindows) {
    c.m.out << task_scheduler_xml(c.target, "UTF-8");
    return exit_code::kSuccess;
  }
  bool first = true;
  for (const auto& f : schedule_files(c.scheduler, c.target)) {
    if (!first) c.m.out << "\n";
    first = false;
    c.m.out << "# " << path_text(r.root / path_from_text(f.path)) << "\n" << f.text;
  }
  return exit_code::kSuccess;
}

int install(Context& c, const ScheduleRequest& r) {
  if (c.scheduler == Scheduler::kWindows) {
    const fs::path xml = c.layout.schedule_dir() / path_from_text(c.name + ".xml");
    c.m.files.create_directories(xml.parent_path());
    c.m.files.write_atomic(xml, utf16le_with_bom(task_scheduler_xml(c.target, "UTF-16")));
    // /F replaces the task of the same name: a second install updates it.
    run_tool(c, {"schtasks", "/Create", "/TN", c.name, "/XML", path_text(xml), "/F"});
    c.m.out << "installed Task Scheduler task \\" << c.name << " from " << path_text(xml)
            << ": every " << format_duration(c.target.every) << "\n";
    return exit_code::kSuccess;
  }
  const auto files = schedule_files(c.scheduler, c.target);
  for (const auto& f : files) existing_is_ours(c, r.root / path_from_text(f.path));
  for (const auto& f : files) {
    const fs::path path = r.root / path_from_text(f.path);
    try {
      c.m.files.create_directories(path.parent_path());
      c.m.files.write_atomic(path, f.text);
    } catch (const FileError& e) {
      throw Error(exit_code::kInternal,
                  std::string(e.what()) +
                      (live_system(r) ? " (the system's folders need root; --root DIR writes "
                                        "the files elsewhere)"
                                      : ""));
    }
    c.m.out << "wrote " << path_text(path) << "\n";
  }
  if (c.scheduler == Scheduler::kSystemd) {
    const std::string timer = c.name + ".timer";
    if (live_system(r)) {
      run_tool(c, {"systemctl", "daemon-reload"});
      run_tool(c, {"systemctl", "enable", "--now", timer});
      c.m.out << "enabled and started " << timer << " (`systemctl list-timers " << timer
              << "` shows the next start)\n";
    } else {
      c.m.out << "not the live system (--root): enable it there with `systemctl enable --now "
              << timer << "`\n";
    }
  }
  c.m.out << "pipeline " << c.cfg.pipeline << " starts every " << format_duration(c.target.every)
          << "\n";
  return exit_code::kSuccess;
}

int remove(Context& c, const ScheduleRequest& r) {
  if (c.scheduler == Scheduler::kWindows) {
    run_tool(c, {"schtasks", "/Delete", "/TN", c.name, "/F"});
    const fs::path xml = c.layout.schedule_dir() / path_from_text(c.name + ".xml");
    if (c.m.files.stat(xml)) c.m.files.remove(xml);
    c.m.out << "removed Task Scheduler task \\" << c.name << "\n";
    return exit_code::kSuccess;
  }
  std::vector<fs::path> ours;
  for (const auto& f : schedule_files(c.scheduler, c.target)) {
    if (const fs::path p = r.root / path_from_text(f.path); existing_is_ours(c, p)) {
      ours.push_back(p);
    }
  }
  if (ours.empty()) {
    c.m.out << "no " << to_string(c.scheduler) << " schedule of pipeline " << c.cfg.pipeline
            << " is installed under " << path_text(r.root) << "\n";
    return exit_code::kSuccess;
  }
  const bool systemd_live = c.scheduler == Scheduler::kSystemd && live_system(r);
  // Stopped before its files go: a timer whose unit file is gone cannot be disabled.
  if (systemd_live) run_tool(c, {"systemctl", "disable", "--now", c.name + ".timer"}, false);
  for (const auto& path : ours) {
    c.m.files.remove(path);
    c.m.out << "removed " << path_text(path) << "\n";
  }
  if (systemd_live) run_tool(c, {"systemctl", "daemon-reload"});
  return exit_code::kSuccess;
}

}  // namespace

int schedule_command(Machine& machine, const Config& config, const ScheduleRequest& request) {
  if (!config.schedule) {
    throw UsageError(path_text(config.file) +
                     " has no 'schedule' section; add one, e.g. `schedule: {every: 15m}`");
  }
  const std::string wanted = request.scheduler.empty() ? machine.scheduler : request.scheduler;
  const auto scheduler = scheduler_from_string(wanted);
  if (!scheduler) throw UsageError("--for " + wanted + ": use cron, systemd or windows");
  if (request.action != "show") {
    const bool windows_machine = machine.scheduler == "windows";
    if (*scheduler == Scheduler::kWindows && !windows_machine) {
      throw UsageError("schedule " + request.action +
                       " --for windows needs Windows (schtasks); `schedule show --for windows` "
                       "prints the task's XML here");
    }
    if (*scheduler != Scheduler::kWindows && windows_machine && live_system(request)) {
      throw UsageError("this is Windows: use --for windows, or --root DIR to write the " + wanted +
                       " files into a folder");
    }
  }
  if (*scheduler == Scheduler::kWindows && !live_system(request)) {
    throw UsageError(
        "--root is for cron and systemd files; a Task Scheduler task is registered "
        "with schtasks");
  }
  Context c{machine,
            config,
            *scheduler,
            target_of(machine, config),
            schedule_name(*scheduler, config.pipeline),
            RecordLayout(config)};
  if (request.action == "install") return install(c, request);
  if (request.action == "remove") return remove(c, request);
  return show(c, request);
}

}  // namespace pipeline
