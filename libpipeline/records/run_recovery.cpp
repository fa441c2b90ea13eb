#include "records/run_recovery.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "util/run_id.hpp"

namespace pipeline {

std::optional<RecoveryRecord> recover_dead_run(const std::string& previous_owner,
                                               const std::string& this_host,
                                               const AuditStore& reports,
                                               const RunProcesses& processes) {
  auto owner = nlohmann::json::parse(previous_owner, nullptr, false);
  if (owner.is_discarded() || !owner.is_object()) return std::nullopt;
  RecoveryRecord rec;
  rec.run_id = owner.value("run_id", std::string());
  if (!is_run_id(rec.run_id)) return std::nullopt;
  rec.pid = owner.value("pid", std::int64_t{0});
  rec.host = owner.value("host", std::string());
  rec.started_at = owner.value("started_at", std::string());
  std::vector<std::string> stages;
  if (auto it = owner.find("stage_processes"); it != owner.end() && it->is_array()) {
    for (const auto& s : *it) {
      if (s.is_string()) stages.push_back(s.get<std::string>());
    }
  }
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
