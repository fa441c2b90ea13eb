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

namespace pipeline::platform {

namespace bp = boost::process::v2;

/// Starts `exe` as a stage: in a session and process group of its own, with exactly `env`,
/// default signal handling, and no descriptor of ours but stdout and stderr into the two
/// pipes. Throws boost::system::system_error (or std::system_error) when it cannot start.
bp::process launch_stage(boost::asio::io_context& ctx, const std::filesystem::path& exe,
                         const std::vector<std::string>& args, boost::asio::readable_pipe& out,
                         boost::asio::readable_pipe& err, const std::filesystem::path& cwd,
                         const std::map<std::string, std::string>& env);

/// How a process ended, from the platform's native status.
struct ExitStatus {
  std::optional<int> code;
  std::optional<int> signal;
};
ExitStatus decode_exit_status(int native_status);

enum class StopStep { kTerminate, kKill };

/// Signals every process of the stage whose group (job) id is `group`. True when at least one
/// process received it, i.e. something of the stage was still there.
bool signal_stage(std::int64_t group, StopStep step);

/// True when any process of the stage's group is still there.
bool stage_alive(std::int64_t group);

/// The group (job) id of a freshly started process.
std::int64_t stage_group(const bp::process& p);

/// Makes this process the reaper of its orphaned descendants (Linux: PR_SET_CHILD_SUBREAPER),
/// so a stage's process that leaves its group (setsid, double fork) is re-parented to us and
/// can still be found and killed. True when the platform supports it.
bool become_child_subreaper();

/// Ends every process re-parented to us (escaped descendants of a finished stage): SIGTERM,
/// up to `grace` for them to go, then SIGKILL; reaps them; repeats while new ones appear.
/// Call only when no stage's main process is running. Returns how many were found.
std::size_t sweep_adopted_children(std::chrono::milliseconds grace);

/// Reaps the processes re-parented to us that have already exited, and signals nothing:
/// a zombie still counts as a member of its process group until it is reaped.
void reap_adopted_children();

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
