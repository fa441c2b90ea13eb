#pragma once
/// What becomes of consumed inputs (SPEC 3 `lifecycle`): after the run's stages, delete or
/// move exactly the snapshotted inputs whose `when_succeeded` stages all succeeded in this
/// run. A file that changed or arrived after its snapshot is left alone. Failures are
/// reported, never fatal.

#include <map>
#include <string>
#include <vector>

#include "config.hpp"
#include "event_logger.hpp"
#include "file_system.hpp"
#include "run_report.hpp"
#include "stage_decision.hpp"

namespace pipeline {

class DataLifecycle {
 public:
  DataLifecycle(const Config& config, FileSystem& files, EventLogger& events)
      : config_(config), files_(files), events_(events) {}

  /// Applies every rule; outcomes: stage name -> status, snapshots: stage name -> inputs.
  std::vector<LifecycleRecord> apply(const std::map<std::string, StageStatus>& outcomes,
                                     const std::map<std::string, InputSnapshot>& snapshots,
                                     const PlaceholderValues& values);

 private:
  LifecycleRecord act(const LifecycleRule& rule, const fs::path& file, const FileStat* snap,
                      const fs::path& to_dir);

  const Config& config_;
  FileSystem& files_;
  EventLogger& events_;
};

}  // namespace pipeline
