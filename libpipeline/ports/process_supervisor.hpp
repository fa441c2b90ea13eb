#pragma once
/// Runs one program under supervision and says exactly how it ended. Knows nothing of stages
/// or pipelines: the orchestrator turns a ProcessSpec into a ProcessResult through this seam.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/duration.hpp"

namespace pipeline {

namespace fs = std::filesystem;

/// The rungs of the stop ladder: ask the stage to end (SIGTERM; CTRL_BREAK on Windows), then
/// end it (SIGKILL; TerminateJobObject).
enum class StopStep { kTerminate, kKill };

/// What to run and how to watch it.
struct ProcessSpec {
  std::vector<std::string> argv;  ///< argv[0] is a path or a name looked up in env's PATH
  fs::path cwd;
  std::map<std::string, std::string> env;  ///< the whole environment of the process
  fs::path stdout_log;                     ///< exact bytes of stdout go here
  fs::path stderr_log;
  Millis timeout{0};       ///< wall time from start; 0: none
  Millis hang_timeout{0};  ///< no byte on either stream this long = hung; 0: disabled
  Millis grace{10'000};    ///< SIGTERM -> SIGKILL, and the drain after exit
  std::optional<std::string> completion;  ///< regex: a matching line means the work is done
  std::optional<std::string> progress;    ///< regex with one capture: an item is done
  /// Named regexes with one capture: the last whole number each matched, on either stream.
  std::vector<std::pair<std::string, std::string>> counts;
  /// Called once the process exists, before any of the program runs, with what identifies its
  /// processes to the platform (on Linux its session and start time): opaque text for the
  /// run's records (the lock file), by which a later run finds what a dead runner left. The
  /// program runs once this returns. Never for the core to parse.
  std::function<void(const std::string& identity)> on_started;
  /// Called as each step of the stop ladder is sent to the stage's processes, with why
  /// ("timed out", "no output", "stop requested", ...): the records show every step.
  std::function<void(StopStep step, const std::string& reason)> on_stop_step;
  /// Called once per distinct progress item, in order of first sight.
  std::function<void(const std::string& item, std::size_t items_done)> on_progress;
};

/// How a supervised process ended. Exactly one of exit_code / signal is set when it ran.
struct ProcessResult {
  bool started = false;
  std::string start_error;  ///< why it could not start (no such file, not executable, ...)
  std::string error;        ///< the supervision itself failed after the start (then: failed)
  std::optional<int> exit_code;
  std::optional<int> signal;  ///< the signal that killed it
  bool timed_out = false;
  bool hung = false;
  bool completed_by_pattern = false;
  bool terminated = false;      ///< we sent it (or what it left behind) a termination signal
  bool aborted = false;         ///< stopped because the runner was asked to stop
  bool left_processes = false;  ///< processes of it outlived its main process and were killed
  bool output_cut = false;      ///< the drain after exit ended before the pipes closed
  Millis duration{0};
  std::uint64_t stdout_bytes = 0;
  std::uint64_t stderr_bytes = 0;
  std::vector<std::string> stdout_tail;  ///< last lines, each cut at 8 KiB, valid UTF-8
  std::vector<std::string> stderr_tail;
  std::size_t items_done = 0;                  ///< distinct progress items
  std::map<std::string, std::int64_t> counts;  ///< each count's last match
  std::vector<std::string> warnings;           ///< e.g. a log file that could not be written
};

/// Runs processes beside each other: start() launches one and returns, wait() supervises all
/// of them (each on its own deadlines) until one has ended, and hands back how it ended.
class ProcessSupervisor {
 public:
  using Done = std::function<void(ProcessResult)>;
  virtual ~ProcessSupervisor() = default;

  /// Starts spec beside whatever else is in flight. `done` gets how it ended, from a later
  /// wait() (also when it could not start). Never throws for anything the process does.
  virtual void start(ProcessSpec spec, Done done) = 0;

  /// Supervises everything in flight until at least one has ended (its `done` called) or
  /// `at_most` has passed. False when nothing was in flight.
  virtual bool wait(std::optional<Millis> at_most = std::nullopt) = 0;

  /// Runs spec to the end, with nothing else in flight; never throws for anything the process
  /// does.
  ProcessResult run(const ProcessSpec& spec);
};

}  // namespace pipeline
