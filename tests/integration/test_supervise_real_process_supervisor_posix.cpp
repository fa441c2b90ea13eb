// The real supervisor against real misbehaving processes (tools/misbehave), in what only
// POSIX has: signals, sessions, descriptors, the child subreaper's escapees and stage
// identities. What every platform shares is in test_supervise_real_process_supervisor.cpp.
// Bounds on time are generous: the assertions are on outcomes, not on exact durations.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <catch2/catch.hpp>
#include <set>

#include "platform/process_platform.hpp"
#include "supervise/real_process_supervisor.hpp"
#include "supervise/stop_ladder.hpp"
#include "support/supervised_run.hpp"

using namespace pipeline;
using namespace pipeline::testing;

namespace {

struct Run : SupervisedRun {
  Run(const std::vector<std::string>& args) : SupervisedRun(args, {{"PATH", "/usr/bin:/bin"}}) {}
};

constexpr Millis kGenerous{20'000};

}  // namespace

TEST_CASE("exit code and killing signal are told apart", "[supervisor]") {
  auto exit9 = Run({"--exit", "9"}).go();
  CHECK(exit9.started);
  CHECK(exit9.exit_code == 9);
  CHECK_FALSE(exit9.signal.has_value());

  auto killed9 = Run({"--die", "9"}).go();
  CHECK(killed9.signal == 9);
  CHECK_FALSE(killed9.exit_code.has_value());
  CHECK_FALSE(killed9.terminated);  // it died by itself

  auto ok = Run({"--print", "hello", "--eprint", "oops"}).go();
  CHECK(ok.exit_code == 0);
  CHECK(ok.stdout_tail == std::vector<std::string>{"hello"});
  CHECK(ok.stderr_tail == std::vector<std::string>{"oops"});
  CHECK(ok.stdout_bytes == 6);
}

TEST_CASE("timeout: SIGTERM to the group - then a result", "[supervisor]") {
  Run r({"--sleep", "60000"});
  r.spec.timeout = Millis(300);
  auto res = r.go();
  CHECK(res.timed_out);
  CHECK_FALSE(res.hung);
  CHECK(res.terminated);
  CHECK(res.signal == SIGTERM);
  CHECK(res.duration < kGenerous);
}

TEST_CASE("a stage that ignores SIGTERM is killed after grace", "[supervisor]") {
  Run r({"--ignore-term", "--print", "ready", "--sleep", "60000"});
  r.spec.timeout = Millis(300);
  r.spec.grace = Millis(300);
  auto res = r.go();
  CHECK(res.timed_out);
  CHECK(res.signal == SIGKILL);
  CHECK(res.duration >= Millis(600));  // timeout + grace: SIGKILL did not come early
  CHECK(res.duration < kGenerous);
}

TEST_CASE("the child gets null stdin - its cwd - exactly its environment - no stray fds",
          "[supervisor]") {
  int leaked = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC, like spdlog's log file
  REQUIRE(leaked >= 0);
  Run r({"--stdin", "--cwd", "--env", "ONLY", "--env", "HOME", "--fds"});
  r.spec.env = {{"ONLY", "this"}};
  auto res = r.go();
  ::close(leaked);
  CHECK(res.exit_code == 0);
  CHECK(r.out() ==
        "stdin: 0 bytes\n" + r.dir.path().string() + "\nONLY=this\nHOME unset\nfds: 0\n");
}

TEST_CASE("the child leads its own session - with no blocked or ignored signal of ours",
          "[supervisor]") {
  // What the runner's own state must not pass on: a blocked SIGUSR1 and ignored SIGUSR2 and
  // SIGPIPE here (a shell started from nohup ignores SIGHUP the same way).
  sigset_t block;
  sigset_t before;
  ::sigemptyset(&block);
  ::sigaddset(&block, SIGUSR1);
  ::sigprocmask(SIG_BLOCK, &block, &before);
  auto old_usr2 = ::signal(SIGUSR2, SIG_IGN);
  auto old_pipe = ::signal(SIGPIPE, SIG_IGN);
  Run r({"--signals"});
  auto res = r.go();
  ::signal(SIGPIPE, old_pipe);
  ::signal(SIGUSR2, old_usr2);
  ::sigprocmask(SIG_SETMASK, &before, nullptr);
  CHECK(res.exit_code == 0);
  CHECK(r.out() == "blocked: 0 ignored: 0 session leader: yes\n");
}

TEST_CASE("why a program cannot start is said as the system says it", "[supervisor]") {
  Run not_exec({});
  write_file(not_exec.dir / "script.sh", "#!/bin/sh\necho hi\n");
  not_exec.spec.argv = {"./script.sh"};
  auto n = not_exec.go();
  CHECK_FALSE(n.started);
  CHECK_THAT(n.start_error, Catch::Contains("ermission denied"));

  Run no_dir({});  // the exec would work; the directory to start in is gone
  no_dir.spec.cwd = no_dir.dir / "not-there";
  auto d = no_dir.go();
  CHECK_FALSE(d.started);
  CHECK_THAT(d.start_error, Catch::Contains("No such file or directory"));
}

TEST_CASE("a stop request terminates the running process", "[supervisor]") {
  volatile int stop = SIGTERM;
  Run r({"--sleep", "60000"});
  auto res = r.go(&stop);
  CHECK(res.aborted);
  CHECK(res.terminated);
  CHECK(res.signal == SIGTERM);
  CHECK(res.duration < kGenerous);
}

// Escapees: processes that leave the stage's process group. The runner is a child subreaper
// (set up in the composition root), so they are re-parented to it and swept; these tests make
// the test process one too.

TEST_CASE("a setsid grandchild holding stdout cannot keep a timed-out stage alive",
          "[supervisor][escapee]") {
  REQUIRE(platform::become_child_subreaper());
  Run r({"--pidfile", "pids", "--setsid-grandchild", "60000", "--sleep", "60000"});
  r.spec.timeout = Millis(300);
  r.spec.grace = Millis(300);
  auto res = r.go();
  CHECK(res.timed_out);
  CHECK(res.left_processes);
  CHECK(res.output_cut);
  CHECK(res.duration >= Millis(300));
  CHECK(res.duration < kGenerous);  // ends (about timeout + 2 x grace) instead of never
  auto pids = r.pids();
  REQUIRE(pids.size() == 2);
  for (long pid : pids) CHECK(process_gone(pid));
}

TEST_CASE("a stage that exits 0 and leaves a setsid child: drained - then killed",
          "[supervisor][escapee]") {
  REQUIRE(platform::become_child_subreaper());
  Run r({"--pidfile", "pids", "--print", "done", "--setsid-grandchild", "60000", "--exit", "0"});
  r.spec.grace = Millis(300);
  auto res = r.go();
  CHECK(res.exit_code == 0);
  CHECK(res.left_processes);
  CHECK(res.stdout_tail == std::vector<std::string>{"done"});
  auto pids = r.pids();
  REQUIRE(pids.size() == 2);
  for (long pid : pids) CHECK(process_gone(pid));
}

TEST_CASE("a stage identity finds its session's processes - never a recycled number",
          "[supervisor][recovery]") {
  // A stage as the launcher makes it (a session leader) with a child; neither carries a
  // PIPELINE_RUN_ID, as after `env -i`: only the identity can find them.
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t leader = ::fork();
  REQUIRE(leader >= 0);
  if (leader == 0) {
    ::setsid();
    pid_t child = ::fork();
    if (child == 0) {
      ::pause();
      ::_exit(0);
    }
    ::write(ready[1], &child, sizeof child);
    ::pause();
    ::_exit(0);
  }
  pid_t child = 0;
  REQUIRE(::read(ready[0], &child, sizeof child) == sizeof child);
  ::close(ready[0]);
  ::close(ready[1]);
  const std::string identity = platform::stage_identity(leader);
  REQUIRE_THAT(identity, Catch::StartsWith("session=" + std::to_string(leader) + " start="));

  auto found = platform::processes_of_run("no-such-run", {identity});
  std::set<std::int64_t> pids(found.begin(), found.end());
  CHECK(pids == std::set<std::int64_t>{leader, child});
  // The same number with another start time (the leader's pid reused), or from another boot:
  // not the stage's, so nothing.
  std::string recycled = identity;
  recycled.replace(recycled.find("start=") + 6, 0, "9");
  CHECK(platform::processes_of_run("no-such-run", {recycled}).empty());
  std::string other_boot = identity.substr(0, identity.find("boot=")) + "boot=elsewhere";
  CHECK(platform::processes_of_run("no-such-run", {other_boot}).empty());
  CHECK(platform::processes_of_run("no-such-run", {"garbage", ""}).empty());

  for (pid_t p : {child, leader}) ::kill(p, SIGKILL);
  ::waitpid(leader, nullptr, 0);
}

namespace {

struct Steps {
  std::vector<std::pair<StopStep, std::string>> seen;
  void watch(ProcessSpec& spec) {
    spec.on_stop_step = [this](StopStep step, const std::string& reason) {
      seen.emplace_back(step, reason);
    };
  }
  std::vector<StopStep> steps() const {
    std::vector<StopStep> out;
    for (const auto& s : seen) out.push_back(s.first);
    return out;
  }
};

}  // namespace

TEST_CASE("the stop ladder reports each step it takes - with the reason", "[supervisor][ladder]") {
  SECTION("a stage that goes on SIGTERM: one step") {
    Run r({"--sleep", "60000"});
    r.spec.timeout = Millis(300);
    Steps s;
    s.watch(r.spec);
    auto res = r.go();
    CHECK(res.signal == SIGTERM);
    CHECK(s.steps() == std::vector<StopStep>{StopStep::kTerminate});
    CHECK(s.seen.at(0).second == "timed out");
  }
  SECTION("a stage that ignores SIGTERM: terminate - then kill - for the same reason") {
    Run r({"--ignore-term", "--print", "ready", "--sleep", "60000"});
    r.spec.hang_timeout = Millis(300);
    Steps s;
    s.watch(r.spec);
    auto res = r.go();
    CHECK(res.hung);
    CHECK(res.signal == SIGKILL);
    CHECK(s.steps() == std::vector<StopStep>{StopStep::kTerminate, StopStep::kKill});
    CHECK(s.seen.at(0).second == "no output");
    CHECK(s.seen.at(1).second == "no output");
  }
  SECTION("a stop request") {
    Run r({"--sleep", "60000"});
    volatile int stop = 15;
    Steps s;
    s.watch(r.spec);
    auto res = r.go(&stop);
    CHECK(res.aborted);
    CHECK(s.seen == decltype(s.seen){{StopStep::kTerminate, "stop requested"}});
  }
  SECTION("a process left behind by a stage that exited 0") {
    REQUIRE(platform::become_child_subreaper());
    Run r({"--pidfile", "pids", "--daemonize", "60000", "--print", "started daemon"});
    Steps s;
    s.watch(r.spec);
    auto res = r.go();
    CHECK(res.left_processes);
    REQUIRE_FALSE(s.seen.empty());
    CHECK(s.seen.at(0).first == StopStep::kTerminate);
    CHECK_THAT(s.seen.at(0).second, Catch::Contains("outlived its main process"));
  }
  SECTION("output held open after the exit and the drain: straight to kill") {
    REQUIRE(platform::become_child_subreaper());
    Run r({"--pidfile", "pids", "--print", "done", "--setsid-grandchild", "60000", "--exit", "0"});
    Steps s;
    s.watch(r.spec);
    auto res = r.go();
    CHECK(res.output_cut);
    REQUIRE_FALSE(s.seen.empty());
    CHECK(s.seen.at(0).first == StopStep::kKill);
    CHECK_THAT(s.seen.at(0).second, Catch::Contains("still held open"));
  }
}

// Two stages in flight at once (as parallel stages will have): each one's escapee, re-parented
// to the runner, belongs to the stage whose PIPELINE_* marks it carries; stopping one stage
// never touches the other's.
TEST_CASE("escapees are told apart per stage while two stages run", "[supervisor][escapee]") {
  REQUIRE(platform::become_child_subreaper());
  TempDir dir;
  boost::asio::io_context ctx;
  auto env_of = [](const std::string& stage) {
    return std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"},
                                              {"PIPELINE_RUN_ID", "run-1"},
                                              {"PIPELINE_STAGE", stage},
                                              {"PIPELINE_ATTEMPT", "1"}};
  };
  boost::asio::readable_pipe a_out(ctx), a_err(ctx), b_out(ctx), b_err(ctx);
  platform::StageProcesses a, b;
  auto a_main = a.start(ctx, MISBEHAVE_PATH,
                        {"--pidfile", (dir / "a").string(), "--setsid-grandchild", "60000"}, a_out,
                        a_err, dir.path(), env_of("a"));
  a.release();
  auto b_main = b.start(ctx, MISBEHAVE_PATH,
                        {"--pidfile", (dir / "b").string(), "--setsid-grandchild", "60000",
                         "--print", "ready", "--sleep", "60000"},
                        b_out, b_err, dir.path(), env_of("b"));
  b.release();
  a_main.wait();  // a's main is gone; its grandchild lives on, re-parented to us
  auto a_pids = read_pids((dir / "a").string());
  REQUIRE(a_pids.size() == 2);
  const long a_escapee = a_pids[1];
  REQUIRE_FALSE(process_gone(a_escapee));

  // b has forked its grandchild once it says so.
  std::string line;
  boost::asio::read_until(b_out, boost::asio::dynamic_buffer(line), '\n');
  REQUIRE(line == "ready\n");
  auto b_pids = read_pids((dir / "b").string());
  REQUIRE(b_pids.size() == 2);

  // Stopping b as the supervisor does: its main process's group, then (the main process
  // gone) its grandchild, which escaped to us on b's death and is b's by its marks. a's
  // escapee is left alone.
  CHECK(b.signal(StopStep::kKill, platform::StageProcesses::Reach::kGroup));
  b_main.wait();
  CHECK(StopLadder::kill_now(Millis(2000)).climb_until_gone(b, [](StopStep) {}));
  for (long pid : b_pids) CHECK(process_gone(pid));
  CHECK_FALSE(b.alive());
  CHECK_FALSE(process_gone(a_escapee));
  b.close();

  // a still owns its escapee, and its ladder ends it.
  CHECK(a.alive());
  CHECK(StopLadder::terminate_then_kill(Millis(2000)).climb_until_gone(a, [](StopStep) {}));
  CHECK(process_gone(a_escapee));
  CHECK_FALSE(a.alive());
}
