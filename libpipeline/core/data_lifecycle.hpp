#pragma once
/// What becomes of consumed inputs (SPEC 3 `lifecycle`): after the run's stages, delete or
/// move exactly the snapshotted inputs whose `when_succeeded` stages all succeeded in this
/// run. A file that changed or arrived after its snapshot is left alone. Failures are
/// reported, never fatal. Nothing is deleted by a run that cannot record it, and a stop
/// request ends the work between two files.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/stage_decision.hpp"
#include "ports/file_system.hpp"
#include "ports/stop_token.hpp"
#include "records/event_logger.hpp"
#include "records/file_mover.hpp"
#include "records/run_report.hpp"

namespace pipeline {

class DataLifecycle {
 public:
  DataLifecycle(const Config& config, FileSystem& files, FileMover& mover, EventSink& events)
      : config_(config), files_(files), mover_(mover), events_(events) {}

  /// What apply needs to know of the run as it goes.
  struct Guards {
    /// Writes the run's record as it stands; false when it cannot be written. Asked once,
    /// before the first delete: a run that cannot record it deletes nothing (result "kept").
    std::function<bool()> can_record;
    /// 128+N once the runner has been asked to stop: no further file is touched.
    StopToken stop;
  };

  /// Applies every rule; outcomes: stage name -> status, snapshots: stage name -> inputs.
  std::vector<LifecycleRecord> apply(const std::map<std::string, StageStatus>& outcomes,
                                     const std::map<std::string, InputSnapshot>& snapshots,
                                     const PlaceholderValues& values, const Guards& guards = {});

 private:
  LifecycleRecord act(const LifecycleRule& rule, const fs::path& file, const FileStat* snap,
                      const fs::path& to_dir, bool may_delete);

  const Config& config_;
  FileSystem& files_;
  FileMover& mover_;
  EventSink& events_;
};

}  // namespace pipeline
