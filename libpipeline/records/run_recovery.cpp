#include "records/run_recovery.hpp"

#include <algorithm>

#include "records/lock_record.hpp"
#include "util/run_id.hpp"

namespace pipeline {

std::optional<RecoveryRecord> recover_dead_run(const std::string& previous_owner,
                                               const std::string& this_host,
                                               const AuditStore& reports,
                                               const RunProcesses& processes) {
  std::optional<LockOwner> owner = lock_owner_from_text(previous_owner);
  if (!owner || !is_run_id(owner->run_id)) return std::nullopt;
  RecoveryRecord rec;
  rec.run_id = owner->run_id;
  rec.pid = owner->pid;
  rec.host = owner->host;
  rec.started_at = owner->started_at;
  const std::vector<std::string>& stages = owner->stage_processes;
  if (rec.host == this_host) {
    // Kill until none is left: a dying stage may still fork.
    for (int round = 0; round < 20; ++round) {
      auto alive = processes.find(rec.run_id, stages);
      if (alive.empty()) break;
      for (auto pid : alive) {
        if (processes.kill(pid) &&
            std::find(rec.killed.begin(), rec.killed.end(), pid) == rec.killed.end()) {
          rec.killed.push_back(pid);
        }
      }
    }
  }
  auto runs = reports.list();
  rec.report_missing = std::none_of(runs.begin(), runs.end(),
                                    [&](const ReportFile& r) { return r.run_id == rec.run_id; });
  return rec;
}

}  // namespace pipeline
