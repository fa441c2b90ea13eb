#pragma once
/// What becomes of consumed inputs (SPEC 3 `lifecycle`): after the run's stages, delete or
/// move exactly the snapshotted inputs whose `when_succeeded` stages all succeeded in this
/// run. A file that changed or arrived after its snapshot is left alone. Failures are
/// reported, never fatal. Nothing is deleted by a run that cannot record it, and a stop
/// request ends the work between two files.
///
/// Records scale with the files: every record goes to the run's lifecycle list (one JSON line
/// each, written in large appends); the first kListedLifecycle are also events and report
/// entries, and the rest are counted in the summary and one `lifecycle.summary` event.

#include <functional>
#include <map>
#include <memory>
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
    /// The run's lifecycle list (RecordLayout::lifecycle_list).
    fs::path list;
  };

  /// Applies every rule; outcomes: stage name -> status, snapshots: stage name -> inputs.
  /// Returns the records still to be listed in the report (the run's first
  /// kListedLifecycle); summary() has all of them, counted.
  std::vector<LifecycleRecord> apply(const std::map<std::string, StageStatus>& outcomes,
                                     const std::map<std::string, InputSnapshot>& snapshots,
                                     const PlaceholderValues& values, const Guards& guards = {});

  /// Moves a poison input (SPEC 12 quarantine) into to_dir, as a move rule would and only
  /// while it is as snapshotted, with `<name>.error.txt` beside it (`why`); a name already
  /// taken there gets .1, .2, ... Fills rec.to, rec.result ("quarantined", "changed" or
  /// "failed") and rec.move_error.
  void quarantine(const std::string& input, const FileStat& snap, const fs::path& to_dir,
                  const std::string& why, QuarantineRecord& rec);

  /// Every record of the run so far, counted, and where the list of them is.
  const LifecycleSummary& summary() const { return summary_; }

 private:
  LifecycleRecord act(const LifecycleRule& rule, const std::string& input, const FileStat* snap,
                      const fs::path& to_dir, bool may_delete);
  /// Counts a record, adds it to the list, and while the run has listed fewer than
  /// kListedLifecycle, emits its event and hands it back in `listed`.
  void record(LifecycleRecord rec, const fs::path& list, std::vector<LifecycleRecord>& listed);
  /// Appends what the list buffer holds to the list file (opened at the first append).
  void flush_list(const fs::path& list);
  /// The end of a pass: the list complete so far, and the summary event when records went
  /// unlisted.
  void finish_pass(const fs::path& list, std::size_t count_before);

  const Config& config_;
  FileSystem& files_;
  FileMover& mover_;
  EventSink& events_;
  LifecycleSummary summary_;
  std::unique_ptr<AppendFile> list_file_;
  std::string list_buffer_;
  std::string list_error_;  ///< why the list could not be written; then it is not written
};

}  // namespace pipeline
