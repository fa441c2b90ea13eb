#pragma once
/// `pipeline_runner run` / `--run-once`: one whole run (SPEC section 1) from the lock to the
/// exit code, assembling the run's services around the injected machine.

#include <string>
#include <vector>

#include "app/cli.hpp"
#include "config/config.hpp"

namespace pipeline {

struct RunRequest {
  std::vector<std::string> stages;  ///< --stage
  bool dry_run = false;
};

/// After taking the run lock: when its file still names a run that died holding it, ends
/// that run's stage processes and says what was found (nothing when the last run ended well).
std::optional<RecoveryRecord> recover_dead_run_of(Machine& machine, const Config& config,
                                                  const RunLock& lock);

/// The run lock for a command that changes what runs keep (`history rebuild`, `windows
/// reset`), taken as a run takes it (waiting lock.wait), then ending what a dead run left.
/// Null, with a message on machine.err, when a run holds it.
std::unique_ptr<RunLock> lock_like_a_run(Machine& machine, const Config& config,
                                         const std::string& command);

/// Removes the temporary files of atomic writes that a dead run never finished (older than an
/// hour, in the state and hot folders; the reports folder is record_run's); one line per file
/// removed.
std::vector<std::string> sweep_temp_files(Machine& machine, const Config& config);

/// Runs the pipeline once; returns the exit code of SPEC section 2.
int run_pipeline(Machine& machine, const Config& config, const RunRequest& request);

/// `plan` and `--dry-run`: what would run now and why, as text or JSON; no side effects.
int print_plan(Machine& machine, const Config& config, const std::vector<std::string>& stages,
               bool json);

}  // namespace pipeline
