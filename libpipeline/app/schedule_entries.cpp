#include "app/schedule_entries.hpp"

#include <algorithm>
#include <chrono>

#include "util/command_line.hpp"
#include "util/error.hpp"
#include "util/markup.hpp"

namespace pipeline {
namespace {

constexpr std::string_view kOwnerPrefix = "# pipeline_runner schedule of config: ";

// The interval as the schedulers count it: minutes below an hour, else hours, else a day.
struct Interval {
  long long minutes = 0;
  long long hours = 0;  ///< when minutes == 0
  bool daily = false;
};

Interval interval_of(Millis every) {
  const auto m = std::chrono::duration_cast<std::chrono::minutes>(every).count();
  if (m >= 1440) return {0, 0, true};
  if (m >= 60) return {0, m / 60, false};
  return {m, 0, false};
}

void require_plain(const std::string& what, const std::string& text) {
  const bool control = std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == '\x7f';
  });
  if (control || text.empty()) {
    throw UsageError("the " + what + " path '" + text +
                     "' cannot be written into a scheduler entry: it is empty or holds a line "
                     "break or another control character");
  }
}

// For cron: /bin/sh reads the command, so each word goes in single quotes; cron itself turns
// an unescaped '%' into a line break, so each '%' gets its backslash. Cron knows no escape for
// a backslash: one right before a '%' would make "\\%", which cron cuts at the '%'; that
// backslash leaves the single quotes as "\\" (sh reads one backslash), so the '%' that
// follows is escaped on its own.
std::string cron_word(const std::string& s) {
  std::string out = "'";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\'') {
      out += "'\\''";
    } else if (c == '%') {
      out += "\\%";
    } else if (c == '\\' && i + 1 < s.size() && s[i + 1] == '%') {
      out += "'\"\\\\\"'";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// For systemd's ExecStart=: a double-quoted word with C escapes, '%' doubled (a specifier
// otherwise) and, in an argument, '$' doubled (an environment variable otherwise; systemd
// expands none in the program's own path, where "$$" would stay two).
std::string systemd_word(const std::string& s, bool program = false) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '%' || (c == '$' && !program)) {
      out += c;
      out += c;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The program and its arguments for ExecStart=. systemd refuses a program path that holds a
// quote or a backslash ("Executable name contains special characters"): such a runner is
// started by /bin/sh, which takes the path as an argument, where every character is allowed.
std::string systemd_command(const std::string& program, const std::string& args) {
  if (program.find_first_of("'\"\\") == std::string::npos) {
    return systemd_word(program, true) + " " + args;
  }
  return "/bin/sh -c " + systemd_word("exec \"$0\" \"$@\"") + " " + systemd_word(program) + " " +
         args;
}

std::string every_text(Millis every) {
  return format_duration(every);
}

std::string cron_file(const ScheduleTarget& t) {
  const Interval iv = interval_of(t.every);
  std::string when;
  if (iv.daily) {
    when = "0 0 * * *";
  } else if (iv.hours > 0) {
    when = iv.hours == 1 ? "0 * * * *" : "0 */" + std::to_string(iv.hours) + " * * *";
  } else {
    when = iv.minutes == 1 ? "* * * * *" : "*/" + std::to_string(iv.minutes) + " * * * *";
  }
  return schedule_owner_line(t.config) +
         "\n"
         "# Starts pipeline " +
         t.pipeline + " every " + every_text(t.every) +
         ". Written by `pipeline_runner schedule install`;\n"
         "# `pipeline_runner schedule remove` deletes it. Output (warnings and errors only) is "
         "mailed by cron.\n"
         "SHELL=/bin/sh\n" +
         when + " " + t.user + " " + cron_word(t.runner) + " --run-once -q -c " +
         cron_word(t.config) + "\n";
}

std::string on_calendar(Millis every) {
  const Interval iv = interval_of(every);
  if (iv.daily) return "*-*-* 00:00:00";
  if (iv.hours > 0) {
    return iv.hours == 1 ? "*-*-* *:00:00" : "*-*-* 00/" + std::to_string(iv.hours) + ":00:00";
  }
  return iv.minutes == 1 ? "*-*-* *:*:00" : "*-*-* *:00/" + std::to_string(iv.minutes) + ":00";
}

std::string systemd_service(const ScheduleTarget& t) {
  const auto stop_seconds = std::chrono::duration_cast<std::chrono::seconds>(t.stop_timeout);
  std::string text = schedule_owner_line(t.config) +
                     "\n"
                     "# Written by `pipeline_runner schedule install`; started by " +
                     schedule_name(Scheduler::kSystemd, t.pipeline) +
                     ".timer.\n"
                     "[Unit]\n"
                     "Description=pipeline_runner: one run of pipeline " +
                     t.pipeline +
                     "\n"
                     "\n"
                     "[Service]\n"
                     // One run at a time: the timer does not start the service while it runs.
                     "Type=oneshot\n"
                     "ExecStart=" +
                     systemd_command(t.runner, "--run-once -q -c " + systemd_word(t.config)) + "\n";
  if (!t.user.empty() && t.user != "root") text += "User=" + t.user + "\n";
  // The runner stops its stages itself (its stop ladder, then the report as `aborted`):
  // SIGTERM goes to it alone, and whatever is left when it has ended is killed.
  text +=
      "KillMode=mixed\n"
      "TimeoutStopSec=" +
      std::to_string(stop_seconds.count()) +
      "\n"
      // Exit 5: another run held the lock, this one skipped; not a failure of the unit.
      "SuccessExitStatus=5\n";
  return text;
}

std::string systemd_timer(const ScheduleTarget& t) {
  const std::string name = schedule_name(Scheduler::kSystemd, t.pipeline);
  return schedule_owner_line(t.config) +
         "\n"
         "# Written by `pipeline_runner schedule install`.\n"
         "[Unit]\n"
         "Description=Start pipeline " +
         t.pipeline + " every " + every_text(t.every) +
         "\n"
         "\n"
         "[Timer]\n"
         "OnCalendar=" +
         on_calendar(t.every) +
         "\n"
         // A start missed while the machine was off or asleep is made up once at boot.
         "Persistent=true\n"
         "AccuracySec=1s\n"
         "Unit=" +
         name +
         ".service\n"
         "\n"
         "[Install]\n"
         "WantedBy=timers.target\n";
}

std::string windows_path(std::string p) {
  std::replace(p.begin(), p.end(), '/', '\\');
  return p;
}

}  // namespace

std::optional<Scheduler> scheduler_from_string(std::string_view name) {
  if (name == "cron") return Scheduler::kCron;
  if (name == "systemd") return Scheduler::kSystemd;
  if (name == "windows") return Scheduler::kWindows;
  return std::nullopt;
}

std::string to_string(Scheduler s) {
  switch (s) {
    case Scheduler::kCron:
      return "cron";
    case Scheduler::kSystemd:
      return "systemd";
    case Scheduler::kWindows:
      return "windows";
  }
  return "?";
}

std::string schedule_name(Scheduler s, const std::string& pipeline) {
  std::string name = "pipeline_runner-" + pipeline;
  if (s == Scheduler::kCron) std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

std::vector<ScheduleFile> schedule_files(Scheduler s, const ScheduleTarget& t) {
  require_plain("pipeline_runner", t.runner);
  require_plain("config", t.config);
  const std::string name = schedule_name(s, t.pipeline);
  switch (s) {
    case Scheduler::kCron:
      return {{"etc/cron.d/" + name, cron_file(t)}};
    case Scheduler::kSystemd:
      return {{"etc/systemd/system/" + name + ".service", systemd_service(t)},
              {"etc/systemd/system/" + name + ".timer", systemd_timer(t)}};
    case Scheduler::kWindows:
      break;
  }
  throw UsageError("a Task Scheduler entry is not a file under a root");
}

std::string task_scheduler_xml(const ScheduleTarget& t, std::string_view encoding) {
  require_plain("pipeline_runner", t.runner);
  require_plain("config", t.config);
  const Interval iv = interval_of(t.every);
  const std::string config = windows_path(t.config);
  std::string repetition;
  if (!iv.daily) {
    // Repeated through each day from midnight, as the Task Scheduler window writes "daily,
    // repeat every 15 minutes for 1 day": the same wall-clock times as cron and systemd.
    const std::string interval = iv.hours > 0 ? "PT" + std::to_string(iv.hours) + "H"
                                              : "PT" + std::to_string(iv.minutes) + "M";
    repetition =
        "      <Repetition>\n"
        "        <Interval>" +
        interval +
        "</Interval>\n"
        "        <Duration>P1D</Duration>\n"
        "        <StopAtDurationEnd>false</StopAtDurationEnd>\n"
        "      </Repetition>\n";
  }
  const std::string user =
      t.user.empty() ? "" : "      <UserId>" + escape_markup(t.user) + "</UserId>\n";
  return "<?xml version=\"1.0\" encoding=\"" + std::string(encoding) +
         "\"?>\n"
         "<Task version=\"1.2\" "
         "xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\n"
         "  <RegistrationInfo>\n"
         "    <URI>\\" +
         escape_markup(schedule_name(Scheduler::kWindows, t.pipeline)) +
         "</URI>\n"
         "    <Description>" +
         escape_markup("Starts pipeline " + t.pipeline + " every " + every_text(t.every) + ". " +
                       std::string(kOwnerPrefix.substr(2)) + config) +
         "</Description>\n"
         "  </RegistrationInfo>\n"
         "  <Triggers>\n"
         "    <CalendarTrigger>\n"
         "      <Enabled>true</Enabled>\n"
         // Local wall-clock time (no zone): midnight of a day long past, so the first start
         // is the next multiple of the interval.
         "      <StartBoundary>2000-01-01T00:00:00</StartBoundary>\n" +
         repetition +
         "      <ScheduleByDay>\n"
         "        <DaysInterval>1</DaysInterval>\n"
         "      </ScheduleByDay>\n"
         "    </CalendarTrigger>\n"
         "  </Triggers>\n"
         "  <Principals>\n"
         "    <Principal id=\"Author\">\n" +
         user +
         // Whether or not the user is logged on, without a stored password.
         "      <LogonType>S4U</LogonType>\n"
         "      <RunLevel>LeastPrivilege</RunLevel>\n"
         "    </Principal>\n"
         "  </Principals>\n"
         "  <Settings>\n"
         // A run still going when the next is due: the next is skipped (the runner's own lock
         // would skip it too, with exit 5).
         "    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\n"
         // A start missed while the machine was off is made up as soon as it can be.
         "    <StartWhenAvailable>true</StartWhenAvailable>\n"
         "    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>\n"
         "    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>\n"
         "    <AllowHardTerminate>true</AllowHardTerminate>\n"
         // No limit of its own: each stage has its timeout, and the default 72 hours would
         // end a run without its report.
         "    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>\n"
         "    <Enabled>true</Enabled>\n"
         "  </Settings>\n"
         "  <Actions Context=\"Author\">\n"
         "    <Exec>\n"
         "      <Command>" +
         escape_markup(windows_path(t.runner)) +
         "</Command>\n"
         "      <Arguments>" +
         escape_markup(
             windows_command_line({"pipeline_runner.exe", "--run-once", "-q", "-c", config})
                 .substr(std::string_view("pipeline_runner.exe ").size())) +
         "</Arguments>\n"
         "    </Exec>\n"
         "  </Actions>\n"
         "</Task>\n";
}

std::string schedule_owner_line(const std::string& config) {
  return std::string(kOwnerPrefix) + config;
}

std::optional<std::string> schedule_owner(const std::string& file_text) {
  std::size_t at = 0;
  while (at < file_text.size()) {
    std::size_t end = file_text.find('\n', at);
    if (end == std::string::npos) end = file_text.size();
    std::string_view line(file_text.data() + at, end - at);
    if (line.substr(0, kOwnerPrefix.size()) == kOwnerPrefix) {
      return std::string(line.substr(kOwnerPrefix.size()));
    }
    at = end + 1;
  }
  return std::nullopt;
}

}  // namespace pipeline
