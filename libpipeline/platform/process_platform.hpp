#pragma once
/// The platform half of running a stage: how a child is set up at launch (own process group,
/// clean descriptors and signals, exact environment), how a whole stage is signalled, how an
/// exit status is read, and how a program name is found. The only place with pids and signals.

#include <boost/asio/io_context.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/process/v2/process.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ports/process_supervisor.hpp"

namespace pipeline::platform {

namespace bp = boost::process::v2;

/// How a process ended, from the platform's native status.
struct ExitStatus {
  std::optional<int> code;
  std::optional<int> signal;
};
ExitStatus decode_exit_status(int native_status);

/// The processes of one stage, as one thing: started inside it, signalled and asked after as
/// a whole, closed when the stage is done. On Linux: the session and process group the stage
/// starts, plus the processes that left them (setsid, double fork) and were re-parented to
/// the runner, the child subreaper. Those are told apart per stage by their session or by
/// the stage's PIPELINE_RUN_ID/PIPELINE_STAGE/PIPELINE_ITEM/PIPELINE_ATTEMPT in their
/// environment; one that cleared both is counted to a stage only while that stage is the only
/// one running. On Windows: a Job Object that kills what is left in it when closed.
class StageProcesses {
 public:
  StageProcesses() = default;
  StageProcesses(const StageProcesses&) = delete;
  StageProcesses& operator=(const StageProcesses&) = delete;
  ~StageProcesses() { close(); }

  /// Starts `exe` inside, held at its start: the process exists and identity() names it, but
  /// nothing of the program runs until release(). It gets a session and process group of its
  /// own, exactly `env`, default signal handling, and no descriptor of ours but stdout and
  /// stderr into the two pipes. Throws std::system_error (or boost::system::system_error)
  /// when it cannot be made.
  bp::process start(boost::asio::io_context& ctx, const std::filesystem::path& exe,
                    const std::vector<std::string>& args, boost::asio::readable_pipe& out,
                    boost::asio::readable_pipe& err, const std::filesystem::path& cwd,
                    const std::map<std::string, std::string>& env);

  /// Lets the held process run the program: after the caller recorded identity(), so a runner
  /// killed at any point leaves nothing a later run cannot find (a held process whose runner
  /// died exits without running anything). Throws std::system_error when the program could
  /// not be run (the process has then ended, to be waited for).
  void release();

  /// Which of the stage's processes a signal reaches: the group its main process leads
  /// (while that runs, SPEC 4's ladder goes to the group; what escaped it is dealt with
  /// once the main process is gone, and counted as left behind), or everything of it.
  enum class Reach { kGroup, kAll };

  /// Sends `step` to the stage's processes. True when something received it.
  bool signal(StopStep step, Reach reach = Reach::kAll);

  /// True while any process of the stage is there. Escapees that have exited are reaped
  /// first: a zombie is dead, though it still counts as a member of its group.
  bool alive();

  /// What identifies the stage's processes to a later run (see stage_identity).
  std::string identity() const;

  /// The main process has been waited for and nothing of the stage is wanted any more:
  /// stops tracking it. Signals nothing.
  void close();

 private:
  std::vector<std::int64_t> escapees();
  std::int64_t group_ = 0;   ///< the process group (on Windows: the main process's id)
  std::intptr_t gate_ = -1;  ///< what holds the process at its start (Windows: its thread)
  [[maybe_unused]] std::uintptr_t job_ = 0;  ///< Windows: the Job Object's handle
  std::vector<std::string> marks_;           ///< NAME=VALUE entries of env that mark its processes
  /// Escapees already found to be the stage's, as (pid, start time): a process being killed
  /// loses its environment before it is gone, and must still count as the stage's.
  std::vector<std::pair<std::int64_t, unsigned long long>> claimed_;
};

/// Makes this process the reaper of its orphaned descendants (Linux: PR_SET_CHILD_SUBREAPER),
/// so a stage's process that leaves its group (setsid, double fork) is re-parented to us and
/// can still be found and killed. True when the platform supports it.
bool become_child_subreaper();

/// What identifies the processes of a stage just started (its main process not yet reaped),
/// for a later run to find them after the runner died: on Linux the stage's session (each
/// stage starts one), its leader's start time and the boot. Opaque text to everyone else.
std::string stage_identity(std::int64_t group);

/// Every live process of a dead run: those whose environment says PIPELINE_RUN_ID=run_id,
/// wherever they were re-parented, and those in the session or process group of a stage
/// identity (a child that cleared its environment is still there). A recycled number never
/// matches: a session whose leader's pid now belongs to a process started at another time,
/// or a member started before the recorded leader, is not the stage's.
std::vector<std::int64_t> processes_of_run(const std::string& run_id,
                                           const std::vector<std::string>& stage_identities);

/// SIGKILL to one process; true when it was there.
bool kill_process(std::int64_t pid);

/// Resolves argv[0] the way a shell would after `cd cwd`: a name with a separator is a path
/// (relative to cwd), a bare name is looked up in PATH (a standard PATH when unset).
std::optional<std::filesystem::path> find_program(const std::string& name,
                                                  const std::map<std::string, std::string>& env,
                                                  const std::filesystem::path& cwd);

}  // namespace pipeline::platform
