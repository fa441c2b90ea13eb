// `schedule install` by the built binary, its entries then checked by the tools that read
// them: the cron line's command is run the way cron runs it (its '%' rule, /bin/sh, an empty
// environment, cwd /) and must complete a run; the systemd units pass `systemd-analyze
// verify` without a word and their calendar names the expected times; the Task Scheduler XML,
// as install hands it to schtasks, passes xmllint against the schema's rules
// (tests/schemas/task_scheduler_subset.xsd), which reject a broken definition. POSIX: sh, cron,
// systemd and xmllint are Linux tools.
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <regex>
#include <sstream>

#include "app/schedule_entries.hpp"
#include "support/e2e_posix.hpp"
#include "support/temp_dir.hpp"
#include "util/utf8.hpp"

using namespace pipeline;
using namespace pipeline::testing;
namespace fs = std::filesystem;

namespace {

// A project in a folder whose name sh and cron would both misread unquoted.
struct ScheduledProject {
  TempDir dir;
  // A backslash before a '%' too: cron has no escape for it (issue 28, item 16).
  fs::path project = dir / "it's 100% cron's \\%d";
  fs::path config = project / "config" / "pipeline.yaml";
  fs::path root = dir / "root";

  ScheduledProject() {
    write_file(config,
               "version: 1\npipeline: nightly.e2e\nroot: ..\n"
               "schedule: {every: 15m}\n"
               "stages:\n"
               "  - name: touch\n"
               "    command: [\"" MISBEHAVE_PATH "\", --print, done]\n");
  }

  std::string wrapper;  ///< a command the runner is started under (setpriv, ...)
  std::string program = PIPELINE_RUNNER_PATH;  ///< the runner, where it is installed

  Result runner(const std::string& args) const {
    fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
    std::string cmd = "cd / && " + wrapper + " env -i " + quote(program) + " " + args + " -c " +
                      quote(config.string()) + " >" + quote(out.string()) + " 2>" +
                      quote(err.string());
    return shell(cmd, out, err);
  }

  static Result shell(const std::string& cmd, const fs::path& out, const fs::path& err) {
    int status = std::system(cmd.c_str());
    REQUIRE(WIFEXITED(status));
    return {WEXITSTATUS(status), slurp(out), slurp(err)};
  }
};

std::string user_of_this_process() {
  std::string name = std::to_string(::geteuid());
  if (auto* pw = ::getpwuid(::geteuid())) name = pw->pw_name;
  return name;
}

// Cron's own reading of a command (Debian's cron, do_command.c): a backslash escapes the
// character after it, and only a '%' loses it ("\%" is '%'); an unescaped '%' ends the
// command (the rest is stdin). There is no escape for the backslash itself.
std::string as_cron_reads(const std::string& command) {
  std::string out;
  bool escaped = false;
  for (char c : command) {
    if (escaped) {
      if (c == '%') {
        out.back() = '%';
      } else {
        out += c;
      }
      escaped = false;
      continue;
    }
    if (c == '%') break;
    out += c;
    escaped = c == '\\';
  }
  return out;
}

// systemd's reading of an ExecStart= line: words, double-quoted with C escapes; "%%" is '%',
// and "$$" is '$' in the arguments (the program's path is taken as it is).
std::vector<std::string> as_systemd_reads(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool quoted = false, in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
    } else if (c == ' ' && !quoted) {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  for (std::size_t w = 0; w < words.size(); ++w) {
    words[w] = std::regex_replace(words[w], std::regex("%%"), "%");
    if (w > 0) words[w] = std::regex_replace(words[w], std::regex("\\$\\$"), "$$");
  }
  return words;
}

Result run_tool(const TempDir& dir, const std::string& cmd) {
  fs::path out = dir / "tool.out";
  int status = std::system((cmd + " >" + quote(out.string()) + " 2>&1").c_str());
  REQUIRE(WIFEXITED(status));
  return {WEXITSTATUS(status), slurp(out), ""};
}

bool tool_exists(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

TEST_CASE("e2e: the installed cron entry's command completes a run from cron's environment",
          "[e2e][schedule]") {
  ScheduledProject p;
  auto installed = p.runner("schedule install --for cron --root " + quote(p.root.string()));
  INFO(installed.err);
  REQUIRE(installed.exit_code == 0);
  const fs::path file = p.root / "etc" / "cron.d" / "pipeline_runner-nightly_e2e";
  REQUIRE(fs::is_regular_file(file));
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & (S_IWGRP | S_IWOTH)) == 0);  // cron skips a file others may write

  // The one entry line: five time fields, the user, the command.
  std::istringstream lines(slurp(file));
  std::vector<std::string> entries;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != '#' && line.find('=') == std::string::npos) {
      entries.push_back(line);
    }
  }
  REQUIRE(entries.size() == 1);
  std::smatch m;
  REQUIRE(std::regex_match(entries[0], m, std::regex(R"((\S+ \S+ \S+ \S+ \S+) (\S+) (.*))")));
  CHECK(m[1] == "*/15 * * * *");
  CHECK(m[2] == user_of_this_process());
  const std::string command = as_cron_reads(m[3]);
  CHECK_THAT(command, Catch::Contains("100% cron"));  // the escaped '%' came through

  auto run = ScheduledProject::shell("cd / && env -i /bin/sh -c " + quote(command), p.dir / "o",
                                     p.dir / "e");
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.out.empty());  // -q: cron mails only what goes wrong
  std::vector<fs::path> reports;
  for (const auto& e : fs::directory_iterator(p.project / "logs" / "reports")) {
    reports.push_back(e.path());
  }
  REQUIRE(reports.size() == 1);
  CHECK_THAT(slurp(reports[0]), Catch::Contains("\"status\": \"success\""));

  auto removed = p.runner("schedule remove --for cron --root " + quote(p.root.string()));
  CHECK(removed.exit_code == 0);
  CHECK_FALSE(fs::exists(file));
}

TEST_CASE("e2e: schedule install where the user may not write: exit 3, the reason, no file",
          "[e2e][schedule]") {
  ScheduledProject p;
  fs::create_directories(p.root / "etc" / "cron.d");  // root's, 0755
  REQUIRE(std::system(("chown -R 65534:65534 " + quote(p.project.string())).c_str()) == 0);
  fs::permissions(p.dir.path(),
                  fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  p.wrapper = "setpriv --reuid=65534 --regid=65534 --clear-groups";
  auto r = p.runner("schedule install --for cron --root " + quote(p.root.string()));
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains(p.root.string() + "/etc/cron.d"));
  CHECK_THAT(r.err, Catch::Contains("ermission denied"));
  CHECK(fs::is_empty(p.root / "etc" / "cron.d"));
}

TEST_CASE("e2e: the installed systemd units pass systemd-analyze verify, at the right times",
          "[e2e][schedule]") {
  REQUIRE(tool_exists("systemd-analyze"));  // tools/install-deps.sh installs systemd
  ScheduledProject p;
  // The runner installed where systemd refuses a program path as it is ('"\$, issue 28
  // item 17): the unit must still verify, and start that runner.
  const fs::path installed_at = p.dir / "opt's \"odd\" \\ $HOME" / "pipeline_runner";
  fs::create_directories(installed_at.parent_path());
  fs::copy_file(PIPELINE_RUNNER_PATH, installed_at);
  p.program = installed_at.string();
  auto installed = p.runner("schedule install --for systemd --root " + quote(p.root.string()));
  INFO(installed.err);
  REQUIRE(installed.exit_code == 0);
  CHECK_THAT(installed.out, Catch::Contains("not the live system (--root)"));
  const fs::path units = p.root / "etc" / "systemd" / "system";
  const fs::path service = units / "pipeline_runner-nightly.e2e.service";
  const fs::path timer = units / "pipeline_runner-nightly.e2e.timer";
  REQUIRE(fs::is_regular_file(service));
  REQUIRE(fs::is_regular_file(timer));

  // verify exits 0 for a setting it ignores: it must also say nothing at all.
  auto verified = run_tool(
      p.dir, "systemd-analyze verify " + quote(timer.string()) + " " + quote(service.string()));
  INFO(verified.out);
  CHECK(verified.exit_code == 0);
  CHECK(verified.out.empty());

  // The command systemd would start, started so (an empty environment, cwd /): a run.
  std::smatch exec;
  const std::string service_text = slurp(service);
  REQUIRE(std::regex_search(service_text, exec, std::regex("ExecStart=(.*)\n")));
  std::string command = "cd / && env -i";
  for (const auto& word : as_systemd_reads(exec[1].str())) command += " " + quote(word);
  auto run = ScheduledProject::shell(command, p.dir / "o", p.dir / "e");
  INFO(exec[1].str() << "\n" << run.err);
  CHECK(run.exit_code == 0);
  CHECK(fs::exists(p.project / "logs" / "reports"));

  // The check can fail: a unit with a setting systemd does not take.
  write_file(p.dir / "bad" / service.filename(),
             std::regex_replace(slurp(service), std::regex("KillMode=mixed"), "KillMode=mixd"));
  write_file(p.dir / "bad" / timer.filename(), slurp(timer));
  auto bad = run_tool(p.dir, "systemd-analyze verify " +
                                 quote((p.dir / "bad" / timer.filename()).string()) + " " +
                                 quote((p.dir / "bad" / service.filename()).string()));
  CHECK_THAT(bad.out, Catch::Contains("Failed to parse kill mode"));

  // The calendar means every quarter hour of the wall clock.
  std::smatch m;
  const std::string timer_text = slurp(timer);
  REQUIRE(std::regex_search(timer_text, m, std::regex("OnCalendar=(.*)\n")));
  auto calendar = run_tool(p.dir, "systemd-analyze calendar --iterations=5 " + quote(m[1].str()));
  REQUIRE(calendar.exit_code == 0);
  std::regex elapse(R"((?:Next elapse|Iter\. #\d+): \w+ \d{4}-\d\d-\d\d \d\d:(\d\d):(\d\d))");
  int times = 0;
  for (auto it = std::sregex_iterator(calendar.out.begin(), calendar.out.end(), elapse);
       it != std::sregex_iterator(); ++it, ++times) {
    CHECK(std::stoi((*it)[1].str()) % 15 == 0);
    CHECK((*it)[2].str() == "00");
  }
  CHECK(times == 5);
  CHECK_THAT(timer_text, Catch::Contains("\nPersistent=true\n"));
}

TEST_CASE("e2e: the Task Scheduler XML as install writes it passes the schema's rules",
          "[e2e][schedule]") {
  REQUIRE(tool_exists("xmllint"));  // tools/install-deps.sh installs libxml2-utils
  TempDir dir;
  const std::string xsd = std::string(SOURCE_DIR) + "/tests/schemas/task_scheduler_subset.xsd";
  auto validate = [&](const std::string& bytes) {
    write_file(dir / "task.xml", bytes);
    return run_tool(
        dir, "xmllint --noout --schema " + quote(xsd) + " " + quote((dir / "task.xml").string()));
  };
  for (const char* every : {"1m", "15m", "1h", "6h", "1d"}) {
    ScheduleTarget t;
    t.pipeline = "nightly.e2e";
    t.every = *parse_duration(every);
    t.runner = "C:/Program Files/pipeline_runner/pipeline_runner.exe";
    t.config = "C:/data/R&D <q1>/config/pipeline.yaml";
    t.user = "CORP\\etl";
    // The bytes `schedule install` writes for schtasks (test_app_schedule checks that it does).
    const std::string xml = task_scheduler_xml(t, "UTF-16");
    auto ok = validate(utf16le_with_bom(xml));
    INFO(every << ": " << ok.out);
    CHECK(ok.exit_code == 0);

    // The rules do reject a broken definition: an interval under a minute, an unknown policy,
    // a trigger's elements out of order.
    auto broken = [&](const std::string& from, const std::string& to) {
      std::string text = xml;
      text.replace(text.find(from), from.size(), to);
      return validate(utf16le_with_bom(text)).exit_code;
    };
    CHECK(broken("<MultipleInstancesPolicy>IgnoreNew<", "<MultipleInstancesPolicy>Ignore<") != 0);
    CHECK(
        broken(
            "<Enabled>true</Enabled>\n      <StartBoundary>2000-01-01T00:00:00</StartBoundary>",
            "<StartBoundary>2000-01-01T00:00:00</StartBoundary>\n      <Enabled>true</Enabled>") !=
        0);
    if (std::string(every) == "15m") {
      CHECK(broken("<Interval>PT15M</Interval>", "<Interval>PT30S</Interval>") != 0);
    }
  }
}
