// `schedule show|install|remove` (SPEC 13): the config's schedule.every rules, the text of
// each scheduler's entry to the byte, and the command on the fake machine: the files under a
// root, the refusals, and the systemctl and schtasks calls it makes.
#include <catch2/catch.hpp>

#include "app/schedule_entries.hpp"
#include "config/config.hpp"
#include "fakes/fake_machine.hpp"
#include "support/abs_path.hpp"
#include "util/error.hpp"
#include "util/utf8.hpp"

using namespace pipeline;
using namespace pipeline::testing;

namespace {

const std::string kScheduledConfig = kFakeConfig + "schedule: {every: 15m}\n";

Config parse_with_schedule(const std::string& schedule_yaml) {
  return parse_config(kFakeConfig + schedule_yaml, "/p/config/pipeline.yaml"_abs,
                      [](const std::string&) { return std::nullopt; });
}

ScheduleTarget target(const std::string& every = "15m") {
  ScheduleTarget t;
  t.pipeline = "market-data";
  t.every = *parse_duration(every);
  t.runner = "/opt/pr/bin/pipeline_runner";
  t.config = "/srv/etl/config/pipeline.yaml";
  t.user = "etl";
  t.stop_timeout = std::chrono::seconds(80);
  return t;
}

std::string line_starting(const std::string& text, const std::string& prefix) {
  std::size_t at = text.find("\n" + prefix);
  if (at == std::string::npos) return "";
  std::size_t end = text.find('\n', at + 1);
  return text.substr(at + 1, end - at - 1);
}

}  // namespace

TEST_CASE("schedule.every: intervals every scheduler keeps at the same wall-clock times",
          "[app][schedule]") {
  for (const char* every : {"1m", "2m", "5m", "10m", "15m", "20m", "30m", "1h", "60m", "2h", "3h",
                            "4h", "6h", "8h", "12h", "1d", "24h"}) {
    INFO(every);
    Config cfg = parse_with_schedule(std::string("schedule: {every: ") + every + "}\n");
    REQUIRE(cfg.schedule);
    CHECK(cfg.schedule->every == *parse_duration(every));
  }
  CHECK_FALSE(parse_with_schedule("").schedule);
  for (const char* every : {"7m", "45m", "90m", "5h", "2d", "30s", "1m30s", "0s", "500ms"}) {
    INFO(every);
    CHECK_THROWS_WITH(parse_with_schedule(std::string("schedule: {every: ") + every + "}\n"),
                      Catch::Contains("pipeline.yaml:8:19: schedule.every '" + std::string(every) +
                                      "' cannot start runs at the same times"));
  }
  CHECK_THROWS_WITH(parse_with_schedule("schedule: {every: soon}\n"),
                    Catch::Contains("schedule.every 'soon' is not a duration"));
  CHECK_THROWS_WITH(parse_with_schedule("schedule: {}\n"),
                    Catch::Contains("schedule needs 'every'"));
  CHECK_THROWS_WITH(parse_with_schedule("schedule: {evry: 15m}\n"),
                    Catch::Contains("unknown key 'evry' in schedule; did you mean 'every'?"));
  CHECK_THROWS_WITH(parse_with_schedule("schedule: 15m\n"),
                    Catch::Contains("schedule must be a mapping"));
}

TEST_CASE("the cron entry: one file for /etc/cron.d, exactly", "[app][schedule]") {
  auto files = schedule_files(Scheduler::kCron, target());
  REQUIRE(files.size() == 1);
  CHECK(files[0].path == "etc/cron.d/pipeline_runner-market-data");
  CHECK(files[0].text ==
        "# pipeline_runner schedule of config: /srv/etl/config/pipeline.yaml\n"
        "# Starts pipeline market-data every 15m. Written by `pipeline_runner schedule install`;\n"
        "# `pipeline_runner schedule remove` deletes it. Output (warnings and errors only) is "
        "mailed by cron.\n"
        "SHELL=/bin/sh\n"
        "*/15 * * * * etl '/opt/pr/bin/pipeline_runner' --run-once -q -c "
        "'/srv/etl/config/pipeline.yaml'\n");
}

TEST_CASE("the systemd entry: a oneshot service and a persistent timer, exactly",
          "[app][schedule]") {
  auto files = schedule_files(Scheduler::kSystemd, target());
  REQUIRE(files.size() == 2);
  CHECK(files[0].path == "etc/systemd/system/pipeline_runner-market-data.service");
  CHECK(files[0].text ==
        "# pipeline_runner schedule of config: /srv/etl/config/pipeline.yaml\n"
        "# Written by `pipeline_runner schedule install`; started by "
        "pipeline_runner-market-data.timer.\n"
        "[Unit]\n"
        "Description=pipeline_runner: one run of pipeline market-data\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "ExecStart=\"/opt/pr/bin/pipeline_runner\" --run-once -q -c "
        "\"/srv/etl/config/pipeline.yaml\"\n"
        "User=etl\n"
        "KillMode=mixed\n"
        "TimeoutStopSec=80\n"
        "SuccessExitStatus=5\n");
  CHECK(files[1].path == "etc/systemd/system/pipeline_runner-market-data.timer");
  CHECK(files[1].text ==
        "# pipeline_runner schedule of config: /srv/etl/config/pipeline.yaml\n"
        "# Written by `pipeline_runner schedule install`.\n"
        "[Unit]\n"
        "Description=Start pipeline market-data every 15m\n"
        "\n"
        "[Timer]\n"
        "OnCalendar=*-*-* *:00/15:00\n"
        "Persistent=true\n"
        "AccuracySec=1s\n"
        "Unit=pipeline_runner-market-data.service\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n");
  ScheduleTarget as_root = target();
  as_root.user = "root";  // a system unit runs as root without being told
  CHECK(line_starting(schedule_files(Scheduler::kSystemd, as_root)[0].text, "User=").empty());
}

TEST_CASE("each interval as cron, systemd and Task Scheduler write it", "[app][schedule]") {
  struct Row {
    const char* every;
    const char* cron;
    const char* calendar;
    const char* interval;  ///< empty: no repetition (daily)
  };
  for (const Row& row : {Row{"1m", "* * * * *", "*-*-* *:*:00", "PT1M"},
                         Row{"5m", "*/5 * * * *", "*-*-* *:00/5:00", "PT5M"},
                         Row{"30m", "*/30 * * * *", "*-*-* *:00/30:00", "PT30M"},
                         Row{"1h", "0 * * * *", "*-*-* *:00:00", "PT1H"},
                         Row{"6h", "0 */6 * * *", "*-*-* 00/6:00:00", "PT6H"},
                         Row{"1d", "0 0 * * *", "*-*-* 00:00:00", ""}}) {
    INFO(row.every);
    const std::string cron = schedule_files(Scheduler::kCron, target(row.every))[0].text;
    CHECK_THAT(cron, Catch::Contains("\n" + std::string(row.cron) + " etl '"));
    const std::string timer = schedule_files(Scheduler::kSystemd, target(row.every))[1].text;
    CHECK(line_starting(timer, "OnCalendar=") == "OnCalendar=" + std::string(row.calendar));
    const std::string xml = task_scheduler_xml(target(row.every), "UTF-8");
    if (*row.interval) {
      CHECK_THAT(xml, Catch::Contains("<Interval>" + std::string(row.interval) + "</Interval>"));
      CHECK_THAT(xml, Catch::Contains("<Duration>P1D</Duration>"));
    } else {
      CHECK_THAT(xml, !Catch::Contains("<Repetition>"));
    }
  }
}

TEST_CASE("the Task Scheduler definition: the settings SPEC 13 names and the exact action",
          "[app][schedule]") {
  ScheduleTarget t = target();
  t.runner = "C:/Program Files/pipeline_runner/pipeline_runner.exe";
  t.config = "C:/data/R&D <q1>/config/pipeline.yaml";
  t.user = "CORP\\etl";
  const std::string xml = task_scheduler_xml(t, "UTF-16");
  CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Task version=\"1.2\" ", 0) == 0);
  for (const char* element :
       {"<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>",
        "<StartWhenAvailable>true</StartWhenAvailable>",
        "<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>",
        "<DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>",
        "<StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>", "<UserId>CORP\\etl</UserId>",
        "<LogonType>S4U</LogonType>", "<URI>\\pipeline_runner-market-data</URI>"}) {
    CHECK_THAT(xml, Catch::Contains(element));
  }
  // Backslashed paths, XML-escaped, the config quoted for CommandLineToArgvW (it has spaces).
  CHECK_THAT(xml,
             Catch::Contains(
                 "<Command>C:\\Program Files\\pipeline_runner\\pipeline_runner.exe</Command>"));
  CHECK_THAT(xml, Catch::Contains("<Arguments>--run-once -q -c &quot;C:\\data\\R&amp;D "
                                  "&lt;q1&gt;\\config\\pipeline.yaml&quot;</Arguments>"));
  CHECK_THAT(xml, Catch::Contains("schedule of config: C:\\data\\R&amp;D &lt;q1&gt;\\config"));
}

TEST_CASE("paths that cron and systemd would read otherwise are quoted for each",
          "[app][schedule]") {
  ScheduleTarget t = target();
  t.config = "/srv/my etl/it's 100%/$HOME \"x\" \\y.yaml";
  const std::string cron = schedule_files(Scheduler::kCron, t)[0].text;
  // sh reads single quotes; cron turns a bare '%' into a line break, so it gets a backslash.
  CHECK_THAT(cron, Catch::EndsWith("-c '/srv/my etl/it'\\''s 100\\%/$HOME \"x\" \\y.yaml'\n"));
  const std::string service = schedule_files(Scheduler::kSystemd, t)[0].text;
  // systemd: C escapes inside double quotes; '%' and '$' doubled (specifier, variable).
  CHECK(line_starting(service, "ExecStart=") ==
        "ExecStart=\"/opt/pr/bin/pipeline_runner\" --run-once -q -c "
        "\"/srv/my etl/it's 100%%/$$HOME \\\"x\\\" \\\\y.yaml\"");
  // The owner line keeps the path as it is, so remove finds it.
  CHECK(schedule_owner(service) == t.config);
}

TEST_CASE("no entry carries a path with a line break or a control character", "[app][schedule]") {
  for (const std::string bad : {"/srv/a\nb.yaml", "/srv/a\rb.yaml", "/srv/a\tb.yaml", ""}) {
    ScheduleTarget t = target();
    t.config = bad;
    for (Scheduler s : {Scheduler::kCron, Scheduler::kSystemd}) {
      CHECK_THROWS_AS(schedule_files(s, t), UsageError);
    }
    CHECK_THROWS_AS(task_scheduler_xml(t, "UTF-8"), UsageError);
  }
}

TEST_CASE("entry names: cron's file name has no dot, the others keep the pipeline's name",
          "[app][schedule]") {
  CHECK(schedule_name(Scheduler::kCron, "market.data.v2") == "pipeline_runner-market_data_v2");
  CHECK(schedule_name(Scheduler::kSystemd, "market.data.v2") == "pipeline_runner-market.data.v2");
  CHECK(schedule_name(Scheduler::kWindows, "market.data.v2") == "pipeline_runner-market.data.v2");
  CHECK(scheduler_from_string("systemd") == Scheduler::kSystemd);
  CHECK_FALSE(scheduler_from_string("launchd"));
  CHECK_FALSE(schedule_owner("# some other cron file\n* * * * * root true\n"));
}

TEST_CASE("utf16le_with_bom: what schtasks reads, surrogate pairs included", "[util][schedule]") {
  CHECK(utf16le_with_bom("A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") == std::string("\xFF\xFE"
                                                                                 "A\0"
                                                                                 "\xE9\0"
                                                                                 "\xAC\x20"
                                                                                 "\x3D\xD8\x00\xDE",
                                                                                 12));
  CHECK(utf16le_with_bom("\xFF") == std::string("\xFF\xFE\xFD\xFF", 4));  // invalid: U+FFFD
}

TEST_CASE("schedule install and remove under a root: the files, and nothing else's touched",
          "[app][schedule]") {
  FakeMachine m(kScheduledConfig);
  const std::string root = "/pkgroot"_abs;
  const fs::path cron = fs::path(root) / "etc/cron.d/pipeline_runner-fake";

  CHECK(m.cli({"schedule", "install", "--for", "cron", "--root", root}) == 0);
  REQUIRE(m.files.has_file(cron));
  CHECK(schedule_owner(m.files.content(cron)) == m.config_path().generic_string());
  CHECK_THAT(m.files.content(cron),
             Catch::Contains("*/15 * * * * etl '" + "/opt/pr/bin/pipeline_runner"_abs + "'"));
  CHECK(m.supervisor.specs.empty());  // cron reads /etc/cron.d by itself
  // A second install rewrites its own entry (a changed interval takes effect).
  CHECK(m.cli({"schedule", "install", "--for", "cron", "--root", root}) == 0);

  // Another config's entry of the same name, and a file someone else wrote, stay as they are.
  FakeMachine other(kScheduledConfig);
  other.files.add_file(cron, m.files.content(cron));
  CHECK(other.cli({"schedule", "install", "--for", "cron", "--root", root}) == 4);
  CHECK_THAT(other.err.str(),
             Catch::Contains("holds the schedule of config " + m.config_path().generic_string()));
  CHECK(other.cli({"schedule", "remove", "--for", "cron", "--root", root}) == 4);
  CHECK(other.files.content(cron) == m.files.content(cron));
  FakeMachine foreign(kScheduledConfig);
  foreign.files.add_file(cron, "0 * * * * root /usr/local/bin/backup\n");
  CHECK(foreign.cli({"schedule", "install", "--for", "cron", "--root", root}) == 4);
  CHECK_THAT(foreign.err.str(), Catch::Contains("was not written by `pipeline_runner schedule"));
  CHECK(foreign.files.content(cron) == "0 * * * * root /usr/local/bin/backup\n");

  CHECK(m.cli({"schedule", "remove", "--for", "cron", "--root", root}) == 0);
  CHECK_FALSE(m.files.has_file(cron));
  m.out.str("");
  CHECK(m.cli({"schedule", "remove", "--for", "cron", "--root", root}) == 0);  // idempotent
  CHECK_THAT(m.out.str(), Catch::Contains("no cron schedule of pipeline fake is installed"));

  // Under a root, systemd files are written and systemctl is left alone.
  CHECK(m.cli({"schedule", "install", "--for", "systemd", "--root", root}) == 0);
  CHECK(m.files.has_file(fs::path(root) / "etc/systemd/system/pipeline_runner-fake.service"));
  CHECK(m.files.has_file(fs::path(root) / "etc/systemd/system/pipeline_runner-fake.timer"));
  CHECK(m.supervisor.specs.empty());
}

TEST_CASE("schedule install on the live system enables the systemd timer; remove disables it",
          "[app][schedule]") {
  FakeMachine m(kScheduledConfig);
  m.machine.scheduler = "systemd";
  CHECK(m.cli({"schedule", "install"}) == 0);
  CHECK(m.files.has_file(fs::path("/etc/systemd/system/pipeline_runner-fake.timer")));
  REQUIRE(m.supervisor.specs.size() == 2);
  CHECK(m.supervisor.specs[0].argv == std::vector<std::string>{"systemctl", "daemon-reload"});
  CHECK(m.supervisor.specs[1].argv ==
        std::vector<std::string>{"systemctl", "enable", "--now", "pipeline_runner-fake.timer"});
  CHECK(m.supervisor.specs[1].stderr_log == m.dir / "logs" / "schedule" / "systemctl.stderr.log");

  CHECK(m.cli({"schedule", "remove"}) == 0);
  REQUIRE(m.supervisor.specs.size() == 4);
  CHECK(m.supervisor.specs[2].argv ==
        std::vector<std::string>{"systemctl", "disable", "--now", "pipeline_runner-fake.timer"});
  CHECK(m.supervisor.specs[3].argv == std::vector<std::string>{"systemctl", "daemon-reload"});
  CHECK_FALSE(m.files.has_file(fs::path("/etc/systemd/system/pipeline_runner-fake.timer")));

  // A systemctl that fails is an internal error that quotes what it said.
  ProcessResult failed = FakeSupervisor::exited(1);
  failed.stderr_tail = {"Failed to connect to bus: No such file or directory"};
  m.supervisor.script("systemctl", {failed});
  CHECK(m.cli({"schedule", "install"}) == 3);
  CHECK_THAT(m.err.str(), Catch::Contains("`systemctl daemon-reload` failed (exit 1: Failed to "
                                          "connect to bus: No such file or directory)"));
}

TEST_CASE("schedule install --for windows hands schtasks the XML it wrote, in UTF-16",
          "[app][schedule]") {
  FakeMachine m(kScheduledConfig);
  m.machine.scheduler = "windows";
  CHECK(m.cli({"schedule", "install"}) == 0);
  const fs::path xml = m.dir / "logs" / "schedule" / "pipeline_runner-fake.xml";
  REQUIRE(m.files.has_file(xml));
  REQUIRE(m.supervisor.specs.size() == 1);
  CHECK(m.supervisor.specs[0].argv == std::vector<std::string>{"schtasks", "/Create", "/TN",
                                                               "pipeline_runner-fake", "/XML",
                                                               xml.generic_string(), "/F"});
  ScheduleTarget t = target();  // every 15m, user etl, as the fake machine and its config
  t.pipeline = "fake";
  t.runner = "/opt/pr/bin/pipeline_runner"_abs;
  t.config = m.config_path().generic_string();
  CHECK(m.files.content(xml) == utf16le_with_bom(task_scheduler_xml(t, "UTF-16")));

  CHECK(m.cli({"schedule", "remove"}) == 0);
  CHECK(m.supervisor.specs.back().argv ==
        std::vector<std::string>{"schtasks", "/Delete", "/TN", "pipeline_runner-fake", "/F"});
  CHECK_FALSE(m.files.has_file(xml));
}

TEST_CASE("schedule: the refusals, each exit 4 with its reason", "[app][schedule]") {
  FakeMachine none;  // no schedule section
  CHECK(none.cli({"schedule", "show"}) == 4);
  CHECK_THAT(none.err.str(), Catch::Contains("has no 'schedule' section; add one, e.g. "
                                             "`schedule: {every: 15m}`"));
  FakeMachine m(kScheduledConfig);
  CHECK(m.cli({"schedule", "show", "--for", "launchd"}) == 4);
  CHECK_THAT(m.err.str(), Catch::Contains("--for launchd: use cron, systemd or windows"));
  CHECK(m.cli({"schedule", "install", "--for", "windows"}) == 4);  // this machine is not
  CHECK_THAT(m.err.str(), Catch::Contains("needs Windows (schtasks)"));
  CHECK(m.cli({"schedule", "show", "--for", "windows", "--root", "/x"_abs}) == 4);
  CHECK(m.cli({"schedule"}) == 4);
  CHECK(m.supervisor.specs.empty());

  // Printing is allowed for any scheduler, on any machine.
  m.out.str("");
  CHECK(m.cli({"schedule", "show", "--for", "windows"}) == 0);
  CHECK_THAT(m.out.str(), Catch::StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
}
