// SPEC 14 against the built binary: the world attacks the runner the way it does in
// production (stray files of every type, full disks, badly timed signals, clocks that jump,
// a runner that is not root) and each run must still end cleanly, with its records. One
// TEST_CASE per finding of issue 8; the findings every platform shares are in
// test_e2e_hostile_world.cpp, the crash points in test_e2e_crash_points_posix.cpp.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <thread>
#include <tuple>

#include "support/e2e_posix.hpp"

using namespace pipeline::testing;

namespace {

// Every line of every events file is one whole JSON object.
void check_events_whole(const Project& p) {
  for (const auto& f : p.files_in("logs/events")) {
    std::istringstream lines(slurp(f));
    std::size_t n = 0;
    for (std::string line; std::getline(lines, line); ++n) {
      INFO(f << " line " << n + 1 << ": " << line);
      CHECK_NOTHROW(json::parse(line));
    }
  }
}

// A stage whose program clears its environment (`env -i`) and forks a grandchild, both
// writing their pids to `pids`, then sleep a minute; it runs until done.flag exists.
std::string cleared_stage(const std::string& pids) {
  return "stages:\n  - name: long\n    command: [\"/usr/bin/env\", \"-i\", \"" +
         std::string(MISBEHAVE_PATH) + "\", \"--pidfile\", \"" + pids +
         "\", \"--fork-grandchild\", \"60000\", \"--sleep\", \"60000\"]\n"
         "    when: {missing: \"done.flag\"}\n";
}

// A stage that keeps the list of inputs it was given (its ${inputs_file}), then succeeds.
const std::string kCopyStage =
    "    command: [/bin/cp, \"${inputs_file}\", \"${root}/given.txt\"]\n";

}  // namespace

TEST_CASE("hostile 2: dangling symlinks and loops in watched folders are warnings, not errors",
          "[e2e][hostile]") {
  Project p;
  p.config(kBatchYaml + "stages:\n  - name: load\n    command: " +
           misbehave("\"--print\", \"ok\"") + "\n    when: {files: \"in/*\"}\n");
  write_file(p.dir / "in" / "a.csv", "1\n");
  fs::create_symlink("/nonexistent/target", p.dir / "in" / ".#a.csv");  // an editor's lock
  fs::create_symlink("loop", p.dir / "in" / "loop");
  fs::create_directories(p.dir / "hot");
  fs::create_symlink("nowhere", p.dir / "hot" / "x_MANIFEST.json");
  drop_manifest(p, "b_MANIFEST.json", batch_of("b", {"in/a.csv"}));

  auto plan = p.run("plan --json");
  CHECK(plan.exit_code == 0);
  CHECK_THAT(plan.out, Catch::Contains("x_MANIFEST.json") && Catch::Contains("dangling"));
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 0);
  json report = p.latest_report();
  CHECK(batch_in(report, "b")["status"] == "COMPLETED");
  const json& load = stage(report, "load");
  CHECK(load["inputs_count"] == 1);  // a.csv; the links are not inputs
  CHECK(has_text(load["decision"]["warnings"], "loop"));
  CHECK(fs::is_symlink(p.dir / "hot" / "x_MANIFEST.json"));  // left where it was
}

TEST_CASE("hostile 3: FIFOs are never opened, handed to stages, moved or deleted",
          "[e2e][hostile]") {
  Project p;
  p.wrapper = "timeout -s KILL 60";  // a runner blocked on a FIFO would hang the test
  p.config("stages:\n  - name: copy\n" + kCopyStage +
           "    when: {files: \"in/*.csv\"}\n"
           "lifecycle:\n  - delete: copy.inputs\n    when_succeeded: [copy]\n");
  write_file(p.dir / "in" / "a.csv", "1\n");
  REQUIRE(::mkfifo((p.dir / "in" / "pipe.csv").c_str(), 0644) == 0);
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 0);
  CHECK(slurp(p.dir / "given.txt") == (p.dir / "in" / "a.csv").string() + "\n");
  CHECK_FALSE(fs::exists(p.dir / "in" / "a.csv"));  // deleted after the stage
  CHECK(fs::is_fifo(p.dir / "in" / "pipe.csv"));    // never touched
  CHECK(has_text(stage(p.latest_report(), "copy")["decision"]["warnings"], "pipe.csv"));

  // In batch mode: a FIFO named as a manifest, and one listed by a manifest.
  Project b;
  b.wrapper = p.wrapper;
  b.config(kBatchYaml +
           "stages:\n  - name: load\n    command: " + misbehave("\"--print\", \"ok\""));
  fs::create_directories(b.dir / "hot");
  REQUIRE(::mkfifo((b.dir / "hot" / "f_MANIFEST.json").c_str(), 0644) == 0);
  fs::create_directories(b.dir / "in");
  REQUIRE(::mkfifo((b.dir / "in" / "data.csv").c_str(), 0644) == 0);
  drop_manifest(b, "g_MANIFEST.json", batch_of("g", {"in/data.csv"}));
  r = b.run("--run-once -q");
  CHECK(r.exit_code == 2);  // the one batch was refused
  json report = b.latest_report();
  CHECK(batch_in(report, "g")["status"] == "REJECTED");
  CHECK_THAT(batch_in(report, "g")["error"].get<std::string>(),
             Catch::Contains("not a regular file"));
  CHECK(fs::is_fifo(b.dir / "in" / "data.csv"));
  CHECK(fs::is_fifo(b.dir / "hot" / "f_MANIFEST.json"));
  CHECK(slurp(b.dir / "state" / "runner.lock").empty());  // the lock went at the end
}

TEST_CASE("hostile 7: an unset ${env.NAME} is found before any stage starts; defaults work",
          "[e2e][hostile]") {
  Project p;
  p.config("stages:\n  - name: first\n    command: " + misbehave("\"--print\", \"ran\"") +
           "\n  - name: second\n    command: " + misbehave("\"--print\", \"x\"") +
           "\n    when: {files: \"${env.DROP_DIR}/*.csv\"}\n");
  auto check = p.run("config check");
  CHECK(check.exit_code == 4);
  CHECK_THAT(check.err, Catch::Contains("DROP_DIR") && Catch::Contains("pipeline.yaml:"));
  CHECK(p.run("--run-once -q").exit_code == 4);
  CHECK(p.files_in("logs/stages").empty());  // `first` never started

  Project d;
  d.config("stages:\n  - name: copy\n" + kCopyStage +
           "    when: {files: \"${env.DROP_DIR:-in}/*.csv\"}\n"
           "lifecycle:\n  - move: copy.inputs\n    to: \"${env.ARCHIVE_DIR:-done}\"\n"
           "    when_succeeded: [copy]\n");
  write_file(d.dir / "in" / "a.csv", "1\n");
  CHECK(d.run("config check").exit_code == 0);
  CHECK(d.run("--run-once -q").exit_code == 0);
  CHECK(fs::exists(d.dir / "done" / "a.csv"));
  // Set, the variable wins over the default.
  write_file(d.dir / "other" / "b.csv", "2\n");
  d.env = "DROP_DIR=" + (d.dir / "other").string();
  CHECK(d.run("--run-once -q").exit_code == 0);
  CHECK(fs::exists(d.dir / "done" / "b.csv"));
}

TEST_CASE("hostile 9: a file name with a newline is left out; the good files go through",
          "[e2e][hostile]") {
  Project p;
  p.default_pipeline();
  auto raw = p.files_in("data/raw");
  REQUIRE(raw.size() > 1);
  std::string bad_name = "evil\nname.csv";
  write_file(p.dir / "data" / "raw" / bad_name, slurp(raw[0]));
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 0);
  json report = p.latest_report();
  CHECK(report["status"] == "success");
  const json& translator = stage(report, "translator");
  CHECK(translator["inputs_count"] == raw.size());
  CHECK(has_text(translator["decision"]["warnings"], "evil\\nname.csv"));
  CHECK(fs::exists(p.dir / "data" / "raw" / bad_name));  // not an input: not deleted
  CHECK(p.files_in("data/raw").size() == 1);             // every good one processed
}

TEST_CASE("hostile 20: a stage child with a cleared environment dies with a dead run",
          "[e2e][hostile]") {
  Project p;
  std::string pids = (p.dir / "pids").string();
  p.config(cleared_stage(pids));
  kill_runner_mid_stage(p, "long", pids, 2);
  write_file(p.dir / "done.flag", "");
  auto next = p.run("--run-once -q");
  INFO(next.err);
  CHECK(next.exit_code == 0);
  for (long pid : read_pids(pids)) CHECK(process_gone(pid));
  CHECK(p.latest_report()["recovered"]["killed"].size() == 2);
}

namespace {

// The processes other than this one whose command line mentions `text`: a stage's, or a
// runner's child that never became one (before exec it still has the runner's).
std::vector<long> processes_mentioning(const std::string& text) {
  std::vector<long> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::stol(name);
    if (pid == ::getpid() || process_gone(pid)) continue;
    std::string cmdline(4096, '\0');  // read(), not a stream: one gone meanwhile is ESRCH
    const int fd = ::open((e.path() / "cmdline").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    const ssize_t n = ::read(fd, cmdline.data(), cmdline.size());
    ::close(fd);
    cmdline.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    if (cmdline.find(text) != std::string::npos) out.push_back(pid);
  }
  return out;
}

}  // namespace

TEST_CASE("hostile 20: the runner killed as it records a stage it started leaves nothing behind",
          "[e2e][hostile]") {
  if (std::system("command -v strace >/dev/null 2>&1") != 0) {
    WARN("SKIPPED: strace is not installed (tools/install-deps.sh installs it)");
    return;
  }
  // Between its start and its program running, a stage is recorded in the lock file with an
  // ftruncate and a pwrite: the runner is killed at each such call in turn, from the ones
  // that record the run itself to the first after the stage (once it has timed out).
  for (const std::string call : {"ftruncate", "pwrite64"}) {
    int points = 0;
    for (int n = 1; n <= 20; ++n) {
      Project p;
      std::string pids = (p.dir / "pids").string();
      p.config(cleared_stage(pids) + "    timeout: 2s\n");
      p.wrapper = kill_at(call, n);
      p.env = kNoLeakCheckUnderPtrace;
      auto crashed = p.run("--run-once -q");
      p.wrapper.clear();
      p.env.clear();
      INFO(call << " killed at call " << n);
      if (crashed.exit_code != 128 + SIGKILL) break;  // fewer calls than n: all tried
      ++points;
      std::size_t running = 0;  // the stage's processes the dead run left
      for (long pid : read_pids(pids)) running += process_gone(pid) ? 0 : 1;
      write_file(p.dir / "done.flag", "");
      CHECK(p.run("--run-once -q").exit_code == 0);
      CHECK(p.latest_report()["recovered"]["killed"].size() == running);
      // Each was either recorded (and the run just made killed it) or had not run its program
      // yet: then it never does, and ends by itself once its runner is gone.
      std::vector<long> left;
      for (int i = 0; i < 1000; ++i) {
        left = processes_mentioning(p.dir.path().string());
        if (left.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      INFO("left: " << json(left).dump());
      CHECK(left.empty());
      if (!read_pids(pids).empty() && running == 0) break;  // past the stage: the rest is not
    }
    CHECK(points >= 2);  // recording the run, recording the stage
  }
}

TEST_CASE("hostile 15: history rebuild after a dead run kills what the run left",
          "[e2e][hostile]") {
  Project p;
  std::string pids = (p.dir / "pids").string();
  p.config("stages:\n  - name: long\n    command: " +
           misbehave("\"--pidfile\", \"" + pids + "\", \"--sleep\", \"60000\"") + "\n");
  kill_runner_mid_stage(p, "long", pids, 1);
  auto r = p.run("history rebuild");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("died holding the lock") &&
                        Catch::Contains("1 of its stage processes killed"));
  CHECK(process_gone(read_pids(pids).at(0)));
}

TEST_CASE("hostile 21: damaged reports, leftovers and huge arguments are handled calmly",
          "[e2e][hostile]") {
  Project p;
  p.config("stages:\n  - name: s\n    command: " + misbehave("\"--print\", \"x\"") + "\n");
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  auto reports = p.files_in("logs/reports");
  REQUIRE(reports.size() == 2);
  json good = json::parse(slurp(reports[1]));
  std::string damaged_id = json::parse(slurp(reports[0]))["run_id"];

  // A report of the wrong shape: named as damaged, never a raw exception.
  write_file(reports[0], R"({"run_id": ")" + damaged_id + R"(", "stages": 5, "status": 7})");
  auto show = p.run("audit show " + damaged_id);
  CHECK(show.exit_code == 3);
  CHECK_THAT(show.err, Catch::Contains("is damaged"));
  CHECK_THAT(show.err, !Catch::Contains("json.exception"));
  auto as_is = p.run("audit show --json " + damaged_id);  // what is there, for a post-mortem
  CHECK(as_is.exit_code == 0);
  CHECK(json::parse(as_is.out)["stages"] == 5);
  // With the history gone, `audit list` reads the reports: the damaged one is left out.
  fs::remove(p.dir / "state" / "pipeline.db");
  auto list = p.run("audit list --json");
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::Contains(good["run_id"].get<std::string>()));
  CHECK_THAT(list.err, Catch::Contains("damaged"));

  // A deeply nested report is refused quickly, not walked.
  write_file(reports[0], std::string(200000, '[') + std::string(200000, ']'));
  p.wrapper = "timeout -s KILL 20";
  auto deep = p.run("audit show --json " + damaged_id);
  CHECK(deep.exit_code == 3);
  CHECK_THAT(deep.err, Catch::Contains("is damaged"));
  p.wrapper.clear();

  // A temp file of a run that died mid-write (an hour old) is swept; a fresh one stays.
  fs::path stale = p.dir / "logs" / "reports" / ".pipeline_report_x.json.tmp123";
  fs::path fresh = p.dir / "state" / ".pipeline.db.tmp456";
  write_file(stale, "half");
  write_file(fresh, "half");
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));
  CHECK(p.run("--run-once -q").exit_code == 0);
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(fresh));

  // A 120 KB argument is not echoed back whole.
  auto huge = p.run("--run-once --stage " + std::string(120000, 'z'));
  CHECK(huge.exit_code == 4);
  CHECK(huge.err.size() < 1000);
  CHECK_THAT(huge.err, Catch::Contains("bytes left out"));
}

TEST_CASE("hostile 10 13: with the logs disk full the stages still run, and nothing is deleted",
          "[e2e][hostile][disk]") {
  Project p;
  p.config("stages:\n  - name: copy\n" + kCopyStage +
           "    when: {files: \"in/*.csv\"}\n"
           "lifecycle:\n  - delete: copy.inputs\n    when_succeeded: [copy]\n");
  write_file(p.dir / "in" / "a.csv", "1\n");
  Tmpfs logs(p.dir / "logs", "256k");
  SKIP_UNLESS_MOUNTED(logs);
  logs.fill();

  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 0);  // the stage's outcome; records never change it
  CHECK(slurp(p.dir / "given.txt") == (p.dir / "in" / "a.csv").string() + "\n");
  CHECK(fs::exists(p.dir / "in" / "a.csv"));  // no report, so no delete
  CHECK_THAT(r.err, Catch::Contains("not written"));
  CHECK_THAT(r.err, !Catch::Contains("LOG ERROR"));  // spdlog's own line stays out
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') <= 8);
  CHECK(fs::exists(p.dir / "state" / "inputs"));  // ${inputs_file} went under state instead

  fs::remove(logs.where / "filler");  // room again: the next run does it all, recorded
  fs::remove(p.dir / "given.txt");
  CHECK(p.run("--run-once -q").exit_code == 0);
  CHECK(fs::exists(p.dir / "given.txt"));
  CHECK_FALSE(fs::exists(p.dir / "in" / "a.csv"));
  json report = p.latest_report();
  CHECK(report["lifecycle"][0]["result"] == "deleted");
  check_events_whole(p);
}

TEST_CASE("hostile 14: a disk that fills during a run never leaves a torn event line",
          "[e2e][hostile][disk]") {
  Project p;
  // The first stage's output fills the disk; the second then reports 200 progress items,
  // each an event appended to a disk with no page left: those that fit in the events file's
  // last page go through, and the one that crosses into a new page is cut short, unless
  // appends are whole or nothing.
  p.config("stages:\n  - name: flood\n    command: " + misbehave("\"--interleave\", \"40000\"") +
           "\n  - name: after\n    command: " + misbehave("\"--interleave\", \"400\"") +
           "\n    progress: \"^out (\\\\d+)$\"\n");
  Tmpfs logs(p.dir / "logs", "192k");
  SKIP_UNLESS_MOUNTED(logs);
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 0);
  check_events_whole(p);
  CHECK_THAT(r.err, !Catch::Contains("LOG ERROR"));
  // Room again: the next run is whole, and so is the file of the one before.
  logs.resize("16m");
  for (const auto& f : fs::recursive_directory_iterator(p.dir / "logs" / "stages")) {
    if (f.is_regular_file()) fs::remove(f.path());
  }
  CHECK(p.run("--run-once -q").exit_code == 0);
  check_events_whole(p);
  CHECK(p.latest_report()["status"] == "success");
}

TEST_CASE("hostile 12: a full archive disk leaves the batch INCOMPLETE, finished by a later run",
          "[e2e][hostile][disk]") {
  Project p;
  p.config(kBatchYaml +
           "stages:\n  - name: load\n    command: " + misbehave("\"--print\", \"ok\""));
  Tmpfs archive(p.dir / "archive", "64k");
  SKIP_UNLESS_MOUNTED(archive);
  std::string big(300 * 1024, 'b');
  write_file(p.dir / "in" / "big.csv", big);
  write_file(p.dir / "in" / "small.csv", "s\n");
  drop_manifest(p, "b_MANIFEST.json", batch_of("b", {"in/small.csv", "in/big.csv"}));

  auto r = p.run("--run-once -q");
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains("b"));  // said even under -q
  json report = p.latest_report();
  CHECK(batch_in(report, "b")["status"] == "INCOMPLETE");
  CHECK(fs::exists(p.dir / "hot" / "b_PROCESSING.json"));  // kept for the next run
  CHECK(slurp(p.dir / "in" / "big.csv") == big);           // nothing lost
  CHECK_FALSE(fs::exists(p.dir / "archive" / "b" / "big.csv"));

  archive.resize("4m");
  r = p.run("--run-once -q");
  CHECK(r.exit_code == 0);
  CHECK(batch_in(p.latest_report(), "b")["status"] == "COMPLETED");
  CHECK(slurp(p.dir / "archive" / "b" / "big.csv") == big);
  CHECK(slurp(p.dir / "archive" / "b" / "small.csv") == "s\n");
  CHECK_FALSE(fs::exists(p.dir / "in" / "big.csv"));  // in one place only
  CHECK_FALSE(fs::exists(p.dir / "in" / "small.csv"));
  CHECK_FALSE(fs::exists(p.dir / "hot" / "b_PROCESSING.json"));
  CHECK(p.files_in("archive/b").size() == 3);  // the two files and the manifest, once each
}

TEST_CASE("hostile 11: a report without its history row is added by the next run",
          "[e2e][hostile][disk]") {
  Project p;
  p.config("stages:\n  - name: s\n    command: " + misbehave("\"--print\", \"x\"") + "\n");
  Tmpfs state(p.dir / "state", "1m");
  SKIP_UNLESS_MOUNTED(state);
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  state.fill();
  auto full = p.run("--run-once -q");
  CHECK(full.exit_code == 0);
  REQUIRE(p.files_in("logs/reports").size() == 2);
  fs::remove(state.where / "filler");
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  auto list = p.run("audit list --json");
  REQUIRE(list.exit_code == 0);
  CHECK_THAT(list.err, !Catch::Contains("rebuil"));  // read from the history, not the reports
  json runs = json::parse(list.out);
  CHECK(runs.size() == 3);
}

TEST_CASE("hostile 16: SIGTERM during the lifecycle ends the run as aborted", "[e2e][hostile]") {
  Project p;
  p.config("stages:\n  - name: s\n    command: " + misbehave("\"--print\", \"x\"") +
           "\n    when: {files: \"in/*.csv\"}\n"
           "lifecycle:\n  - delete: s.inputs\n    when_succeeded: [s]\n");
  for (const char* f : {"1.csv", "2.csv", "3.csv"}) write_file(p.dir / "in" / f, "x\n");
  // The runner's first unlink is the lifecycle's first delete: SIGTERM arrives right then.
  p.env = kNoLeakCheckUnderPtrace;
  p.wrapper =
      "strace -qq -o /dev/null -e trace=unlink,unlinkat -e "
      "inject=unlink,unlinkat:signal=TERM:when=1";
  auto r = p.run("--run-once -q");
  CHECK(r.exit_code == 128 + SIGTERM);
  json report = p.latest_report();
  CHECK(report["status"] == "aborted");
  CHECK(report["exit_code"] == 128 + SIGTERM);
  CHECK(p.files_in("in").size() == 2);  // the one delete under way finished; no more
}

TEST_CASE("hostile 17: a clock a year ahead prunes no record, and says so", "[e2e][hostile]") {
  if (!have_faketime()) return;
  Project p;
  p.config("retention: {keep_days: 30}\nstages:\n  - name: s\n    command: " +
           misbehave("\"--print\", \"x\"") + "\n");
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  REQUIRE(p.run("--run-once -q").exit_code == 0);
  fake_time(p, "+365d");
  auto r = p.run("--run-once");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("nothing is pruned by age"));
  CHECK(p.files_in("logs/reports").size() == 3);
  json report = p.latest_report();
  bool said = false;
  for (const auto& e : p.events_of(report["run_id"])) {
    said = said || e["event"] == "retention.skipped";
  }
  CHECK(said);
}

TEST_CASE("hostile 18: an unreadable sub-folder under ** is a warning for a runner not root",
          "[e2e][hostile]") {
  Project p;
  p.config("stages:\n  - name: copy\n" + kCopyStage + "    when: {files: \"in/**/*.csv\"}\n");
  write_file(p.dir / "in" / "ok" / "a.csv", "1\n");
  write_file(p.dir / "in" / "secret" / "b.csv", "2\n");
  REQUIRE(std::system(("chown -R 65534:65534 " + quote(p.dir.path().string())).c_str()) == 0);
  fs::permissions(p.dir / "in" / "secret", fs::perms::none);
  p.wrapper = "setpriv --reuid=65534 --regid=65534 --clear-groups";
  auto r = p.run("--run-once -q");
  fs::permissions(p.dir / "in" / "secret", fs::perms::owner_all);
  CHECK(r.exit_code == 0);
  CHECK(slurp(p.dir / "given.txt") == (p.dir / "in" / "ok" / "a.csv").string() + "\n");
  CHECK(has_text(stage(p.latest_report(), "copy")["decision"]["warnings"], "secret"));
  CHECK(p.run("plan").exit_code == 0);
}

TEST_CASE("hostile 22: a runner started with its standard streams closed keeps its records whole",
          "[e2e][hostile]") {
  Project p;
  // As cron runs `pipeline_runner ... <&- >&- 2>&-`: the first files the runner opens would
  // take the numbers 0, 1 and 2, and what it prints would go into them.
  p.wrapper = "sh -c 'exec \"$@\" <&- >&- 2>&-' sh";
  p.config(
      "stages:\n  - name: hello\n    command: [/bin/sh, -c, \"echo out-line; echo "
      "err-line >&2\"]\n  - name: sad\n    command: [/bin/sh, -c, \"exit 3\"]\n");
  auto r = p.run("--run-once");  // not quiet: it prints a line for every step
  CHECK(r.exit_code == 1);       // sad failed
  CHECK(r.out.empty());
  CHECK(r.err.empty());
  check_events_whole(p);
  json report = p.latest_report();
  CHECK(stage(report, "hello")["status"] == "succeeded");
  CHECK(stage(report, "sad")["status"] == "failed");
  const std::string run_id = report["run_id"];
  CHECK(slurp(p.home() / "logs" / "stages" / run_id / "hello.stdout.log") == "out-line\n");
  CHECK(slurp(p.home() / "logs" / "stages" / run_id / "hello.stderr.log") == "err-line\n");
  for (const auto& f : p.files_in("logs")) {
    if (fs::is_regular_file(f)) CHECK_THAT(slurp(f), !Catch::Contains("pipeline_runner: "));
  }
  CHECK(p.run("audit show " + run_id).exit_code == 0);  // the records read back
}
