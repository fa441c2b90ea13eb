#pragma once
/// The built binary run the way cron runs it (`env -i`, cwd /, an absolute config path), on a
/// project folder of its own: what every end-to-end test file shares.

#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ports/event_sink.hpp"
#include "records/report_json.hpp"
#include "support/process_probe.hpp"
#include "support/temp_dir.hpp"
#include "util/time_format.hpp"

namespace pipeline::testing {

namespace fs = std::filesystem;
using nlohmann::json;

inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Result {
  int exit_code;
  std::string out;
  std::string err;
};

/// For a runner under strace: a sanitizer build's leak checker cannot work under ptrace and
/// would end the run with exit 1 (harmless in a release build).
inline const std::string kNoLeakCheckUnderPtrace = "ASAN_OPTIONS=detect_leaks=0";

/// A `batches` section with the project's hot, archive and error folders.
inline const std::string kBatchYaml = R"(batches:
  hotfolder: "${root}/hot"
  archive: "${root}/archive"
  error: "${root}/error"
)";

/// A project folder with a config; runs the binary as cron would.
struct Project {
  TempDir dir;
  std::string wrapper;  ///< a command the runner is started under (setpriv, ...)
  std::string env;      ///< NAME=VALUE words the runner's environment gets (else it is empty)

  void config(const std::string& stages_yaml) {
    write_file(dir / "config" / "pipeline.yaml",
               "version: 1\npipeline: e2e\nroot: ..\n"
               "paths: {raw: data/raw, processed: data/processed, analysis: data/analysis,\n"
               "        merged: data/merged, archive: data/archive}\n"
               "defaults: {grace: 500ms}\n" +
                   stages_yaml);
  }

  void default_pipeline() {
    std::string text = slurp(fs::path(SOURCE_DIR) / "config" / "pipeline.yaml");
    std::string from = "${root}/build/stages/";
    for (std::size_t p; (p = text.find(from)) != std::string::npos;) {
      text.replace(p, from.size(), std::string(STAGES_DIR) + "/");
    }
    write_file(dir / "config" / "pipeline.yaml", text);
    for (const auto& e : fs::directory_iterator(fs::path(SOURCE_DIR) / "sample_data" / "raw")) {
      write_file(dir / "data" / "raw" / e.path().filename(), slurp(e.path()));
    }
    // Last month's rates are already in the reference folder, so fx_rates (which runs on
    // some days of the month) stays out of these tests whatever the date; it has its own.
    fs::path sample = fs::path(SOURCE_DIR) / "sample_data";
    write_file(dir / "reference" / ("fx_" + prev_month() + ".csv"),
               slurp(sample / "imf" / "fx_published.csv"));
  }

  static std::string prev_month() {
    return pipeline::format_prev_month(std::chrono::system_clock::now(), "%Y_%m");
  }

  fs::path config_path() const { return dir / "config" / "pipeline.yaml"; }

  Result run(const std::string& args) {
    fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
    std::string cmd = "cd / && " + wrapper + " env -i " + env + " " + quote(PIPELINE_RUNNER_PATH) +
                      " " + args + " -c " + quote(config_path().string()) + " >" +
                      quote(out.string()) + " 2>" + quote(err.string());
    int status = std::system(cmd.c_str());
    // A runner killed by a signal (strace's fault injection) reads as a shell would say it.
    if (WIFSIGNALED(status)) return {128 + WTERMSIG(status), slurp(out), slurp(err)};
    REQUIRE(WIFEXITED(status));
    return {WEXITSTATUS(status), slurp(out), slurp(err)};
  }

  std::vector<fs::path> files_in(const fs::path& folder) const {
    std::vector<fs::path> out;
    if (!fs::exists(dir / folder)) return out;
    for (const auto& e : fs::directory_iterator(dir / folder)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  json latest_report() const {
    auto reports = files_in("logs/reports");
    REQUIRE_FALSE(reports.empty());
    json report = json::parse(slurp(reports.back()));
    // Every report the binary writes is one the typed reader takes back, unchanged.
    CHECK(report_to_json(report_from_json(report)) == report);
    return report;
  }

  std::vector<json> events_of(const std::string& run_id) const {
    std::vector<json> out;
    std::istringstream lines(slurp(dir / "logs" / "events" / ("pipeline_" + run_id + ".jsonl")));
    for (std::string line; std::getline(lines, line);) out.push_back(json::parse(line));
    // Every event the binary writes is named in the catalogue (or is the run's status).
    for (const auto& e : out) {
      const std::string name = e["event"];
      const std::string tail = name.substr(name.find('.') + 1);
      bool known = run_status_from_string(tail).has_value();
      for (const char* n : event::kAll) known = known || tail == n;
      INFO("event " << name);
      CHECK(known);
    }
    return out;
  }
};

inline const json& stage(const json& report, const std::string& name) {
  for (const auto& s : report["stages"]) {
    if (s["name"] == name) return s;
  }
  FAIL("no stage " << name);
  throw;
}

/// The runner started in the background the way cron would (empty environment, cwd /).
struct Background {
  pid_t pid = -1;

  explicit Background(const Project& p, std::vector<std::string> extra = {}) {
    std::string cfg = p.config_path().string();
    std::vector<std::string> args = {PIPELINE_RUNNER_PATH, "--run-once", "-q", "-c", cfg};
    args.insert(args.end(), extra.begin(), extra.end());
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      char* envp[] = {nullptr};
      if (::chdir("/") != 0) ::_exit(126);
      ::execve(PIPELINE_RUNNER_PATH, argv.data(), envp);
      ::_exit(127);
    }
  }

  /// Waits for the runner; its exit status and peak RSS (KiB).
  std::pair<int, long> wait() {
    int status = 0;
    struct rusage usage {};
    ::wait4(pid, &status, 0, &usage);
    return {status, usage.ru_maxrss};
  }
};

/// Polls (bounded) until an event with this name is in some events file.
inline bool wait_for_event(const Project& p, const std::string& event) {
  for (int i = 0; i < 3000; ++i) {
    for (const auto& f : p.files_in("logs/events")) {
      if (slurp(f).find("\"" + event + "\"") != std::string::npos) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

/// A small tmpfs mounted on a folder of a test project, unmounted at the end: a disk that
/// fills up. Root only; where it cannot mount, the test says so loudly and skips.
struct Tmpfs {
  fs::path where;
  bool mounted = false;

  Tmpfs(const fs::path& path, const std::string& size) : where(path) {
    fs::create_directories(path);
    mounted = ::mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~Tmpfs() {
    if (mounted) ::umount2(where.c_str(), MNT_DETACH);
  }
  /// The disk gets room again (or less of it): the files stay.
  void resize(const std::string& size) {
    REQUIRE(::mount("tmpfs", where.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0);
  }
  /// Fills what is left with one file (removed to make room again).
  void fill() {
    std::ofstream out(where / "filler", std::ios::binary);
    std::string block(4096, 'x');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
};

#define SKIP_UNLESS_MOUNTED(t)                                                          \
  if (!(t).mounted) {                                                                   \
    WARN("SKIPPED: cannot mount a tmpfs on " << (t).where                               \
                                             << " (not root?): this test did not run"); \
    return;                                                                             \
  }

/// A runner dying hard mid-stage: starts it in the background, waits until its stage wrote
/// `count` pids to `pidfile` (misbehave --pidfile), then SIGKILLs the runner alone. Returns
/// the stage's pids, all still running.
inline std::vector<long> kill_runner_mid_stage(const Project& p, const std::string& stage,
                                               const std::string& pidfile, std::size_t count) {
  Background doomed(p);
  REQUIRE(wait_for_event(p, stage + ".start"));
  for (int i = 0; i < 3000 && read_pids(pidfile).size() < count; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(read_pids(pidfile).size() == count);
  ::kill(doomed.pid, SIGKILL);
  doomed.wait();
  auto pids = read_pids(pidfile);
  for (long pid : pids) REQUIRE_FALSE(process_gone(pid));  // orphans, still running
  return pids;
}

inline std::string misbehave(const std::string& args) {
  return "[\"" + std::string(MISBEHAVE_PATH) + "\", " + args + "]";
}

}  // namespace pipeline::testing
