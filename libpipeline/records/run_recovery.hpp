#pragma once
/// After a runner died hard (SIGKILL, OOM) holding the lock: finds the dead run's stage
/// processes that are still alive, kills them before anything starts, and notes what was
/// missing. They are found two ways, so that neither alone has to be complete: by the
/// PIPELINE_RUN_ID in their environment (wherever they were re-parented), and by the
/// identity of the running stage recorded in the lock file (its session, with the start
/// time that tells it from a recycled number), which a child that cleared its environment
/// (`env -i`) still carries.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "records/audit_store.hpp"
#include "records/run_report.hpp"

namespace pipeline {

/// The process table as recovery needs it, injected so that recovery is testable.
struct RunProcesses {
  /// The live processes of the run: by its id, or by a stage identity (see ProcessSpec).
  std::function<std::vector<std::int64_t>(const std::string& run_id,
                                          const std::vector<std::string>& stage_identities)>
      find;
  std::function<bool(std::int64_t pid)> kill;
};

/// previous_owner: what the lock file held when this run took it (empty after a clean exit).
/// Returns nothing when there was no dead run, or when it ran on another host (whose
/// processes this machine cannot see, so none are touched).
std::optional<RecoveryRecord> recover_dead_run(const std::string& previous_owner,
                                               const std::string& this_host,
                                               const AuditStore& reports,
                                               const RunProcesses& processes);

}  // namespace pipeline
