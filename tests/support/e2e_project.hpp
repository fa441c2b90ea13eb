#pragma once
/// The built binary run the way cron or Task Scheduler runs it (an empty environment, cwd /,
/// an absolute config path), on a project folder of its own: what every end-to-end test file
/// shares, on every platform. How the binary is started is the one platform part
/// (e2e_run_posix.cpp: through sh, under a wrapper such as setpriv or strace;
/// e2e_run_win32.cpp: through the supervisor). What only POSIX has (signals, fork, tmpfs
/// mounts) is in e2e_posix.hpp.

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

/// One word of a runner command line, whatever it holds (as sh reads it; e2e_run_win32 too).
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

/// A `batches` section with the project's hot, archive and error folders.
inline const std::string kBatchYaml = R"(batches:
  hotfolder: "${root}/hot"
  archive: "${root}/archive"
  error: "${root}/error"
)";

/// The built stage programs' folder, absolute (on Windows with its drive: a config's "/tmp/x"
/// would be taken on the drive of the stage's folder).
inline std::string stages_dir() {
  return fs::absolute(STAGES_DIR).generic_string();
}

/// A project folder with a config; runs the binary as cron would.
struct Project {
  TempDir dir;
  std::string wrapper;  ///< a command the runner is started under (setpriv, ...)
  std::string env;      ///< NAME=VALUE words the runner's environment gets (else it is empty)
  fs::path sub;         ///< a folder in dir the project lives in (e.g. a name outside ASCII)

  /// The project's folder: its config/, data/, logs/ and state/ are in here.
  fs::path home() const { return sub.empty() ? dir.path() : dir / sub; }

  void config(const std::string& stages_yaml) {
    write_file(home() / "config" / "pipeline.yaml",
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
      text.replace(p, from.size(), stages_dir() + "/");
    }
    write_file(home() / "config" / "pipeline.yaml", text);
    for (const auto& e : fs::directory_iterator(fs::path(SOURCE_DIR) / "sample_data" / "raw")) {
      write_file(home() / "data" / "raw" / e.path().filename(), slurp(e.path()));
    }
    // Last month's rates are already in the reference folder, so fx_rates (which runs on
    // some days of the month) stays out of these tests whatever the date; it has its own.
    fs::path sample = fs::path(SOURCE_DIR) / "sample_data";
    write_file(home() / "reference" / ("fx_" + prev_month() + ".csv"),
               slurp(sample / "imf" / "fx_published.csv"));
  }

  static std::string prev_month() {
    return pipeline::format_prev_month(std::chrono::system_clock::now(), "%Y_%m");
  }

  fs::path config_path() const { return home() / "config" / "pipeline.yaml"; }

  /// The runner with these arguments (words as sh splits them) and `-c` the config; its exit
  /// code (128+N when a signal N killed it), stdout and stderr.
  Result run(const std::string& args) const;

  std::vector<fs::path> files_in(const fs::path& folder) const {
    std::vector<fs::path> out;
    if (!fs::exists(home() / folder)) return out;
    for (const auto& e : fs::directory_iterator(home() / folder)) out.push_back(e.path());
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
    std::istringstream lines(slurp(home() / "logs" / "events" / ("pipeline_" + run_id + ".jsonl")));
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

// A manifest dropped by hand (a producer, or an attacker), as it lands in the hot folder.
inline void drop_manifest(Project& p, const std::string& file_name, const json& m) {
  write_file(p.dir / "hot" / file_name, m.dump());
}

inline json batch_of(const std::string& id, std::vector<std::string> raw,
                     json files = json::object()) {
  return {{"batch_id", id},
          {"status", "READY_FOR_PROCESSING"},
          {"files", std::move(files)},
          {"raw_data", std::move(raw)}};
}

inline const json& batch_in(const json& report, const std::string& id) {
  for (const auto& b : report["batches"]) {
    if (b["id"] == id) return b;
  }
  FAIL("no batch " << id << " in the report");
  throw;
}

inline bool has_text(const json& list, const std::string& text) {
  return list.dump().find(text) != std::string::npos;
}

inline const json& stage(const json& report, const std::string& name) {
  for (const auto& s : report["stages"]) {
    if (s["name"] == name) return s;
  }
  FAIL("no stage " << name);
  throw;
}

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

// A producer's batch: one raw file of its own, submitted through the CLI.
inline void submit(Project& p, const std::string& id) {
  write_file(p.dir / "in" / (id + ".csv"), "raw data of " + id + "\n");
  auto r =
      p.run("batch submit --id " + id + " --raw " + quote((p.dir / "in" / (id + ".csv")).string()));
  REQUIRE(r.exit_code == 0);
}

inline std::vector<std::string> completed_batches(const json& report) {
  std::vector<std::string> out;
  for (const auto& b : report["batches"]) {
    if (b["status"] == "COMPLETED") out.push_back(b["id"]);
  }
  return out;
}

/// A stage command running the misbehaving test stage (absolute with its drive on Windows).
inline std::string misbehave(const std::string& args) {
  const std::string program = "\"" + fs::absolute(MISBEHAVE_PATH).generic_string() + "\"";
  return "[" + program + (args.empty() ? "" : ", " + args) + "]";
}

}  // namespace pipeline::testing
