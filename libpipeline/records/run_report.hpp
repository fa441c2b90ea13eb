#pragma once
/// What one run did, as data: the orchestrator fills it, the audit reporter writes it, and
/// `audit show` reads it back. Status and exit-code rules of SPEC sections 2-3 live here.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/duration.hpp"
#include "util/time_format.hpp"

namespace pipeline {

enum class StageStatus { kSucceeded, kFailed, kTimedOut, kHung, kSkipped, kNotStarted };
enum class RunStatus { kSuccess, kPartial, kFailure, kIdle, kAborted, kError };

std::string_view to_string(StageStatus s);
std::string_view to_string(RunStatus s);
std::optional<StageStatus> stage_status_from_string(std::string_view s);
std::optional<RunStatus> run_status_from_string(std::string_view s);

/// Whether a stage runs now, and why, in words a person can read.
struct StageDecision {
  bool run = false;
  std::string reason;
  /// What the decision passed over and why: a file name that cannot be passed safely, a
  /// dangling symlink, a folder that cannot be listed. Never a reason not to run.
  std::vector<std::string> warnings;
};

struct AttemptRecord {
  int attempt = 1;
  TimePoint started_at;
  TimePoint finished_at;
  Millis duration{0};
  std::optional<int> exit_code;
  std::optional<int> signal;
  bool timed_out = false;
  bool hung = false;
  std::string completed_by;  ///< "exit", "pattern", or empty when it did not complete
  bool terminated = false;
  bool left_processes = false;
  std::string start_error;
  std::string error;        ///< the supervision itself failed (the stage was killed)
  std::string count_error;  ///< it ended well but its counts did not hold (SPEC 11)
  std::map<std::string, std::int64_t> counts;  ///< each count's last match in its output
  std::vector<std::string> stdout_tail;
  std::vector<std::string> stderr_tail;
  std::string stdout_log;  ///< relative to root when under it
  std::string stderr_log;
};

/// The time window a stage's record ran for (SPEC 11).
struct WindowRef {
  std::string id;  ///< "20260101T000000Z"
  TimePoint start;
  TimePoint end;
};

/// The input a `foreach: input` stage's record ran for (SPEC 12).
struct ItemRef {
  std::size_t index = 0;  ///< 1-based, in the order of the stage's inputs
  std::string input;      ///< the input file, relative to root where under it
};

struct StageRecord {
  std::string name;
  std::string batch;                ///< the batch id this record ran for, in batch mode
  std::optional<WindowRef> window;  ///< the window this record ran for, for a windowed stage
  std::optional<ItemRef> item;      ///< the input this record ran for, for a foreach stage
  StageDecision decision;
  StageStatus status = StageStatus::kSkipped;
  std::size_t inputs_count = 0;
  std::vector<std::string> inputs;  ///< the first 1000, relative to root
  std::size_t items_done = 0;
  std::optional<std::size_t> items;  ///< items expected, when known (the runner cannot tell yet)
  std::uint64_t stdout_bytes = 0;
  std::uint64_t stderr_bytes = 0;
  std::map<std::string, std::int64_t> counts;  ///< its last attempt's counts
  std::vector<AttemptRecord> attempts;
};

/// Where a windowed stage stood when the run ended (SPEC 11).
struct WindowSummary {
  std::string stage;
  std::optional<TimePoint> watermark;  ///< end of the last contiguous succeeded window
  std::size_t open = 0;                ///< due windows not succeeded
  std::size_t ran = 0;                 ///< windows this run worked on
  std::optional<TimePoint> next_due;   ///< when the next window not yet known becomes due
};

struct LifecycleRecord {
  std::string action;  ///< "delete" or "move"
  std::string path;
  std::string to;
  std::string result;  ///< "deleted", "moved", "missing", "changed", "kept", "failed"
  std::string error;
};

/// An input moved out of the way by `quarantine` (SPEC 12), or one that should have been.
struct QuarantineRecord {
  std::string stage;
  std::string input;  ///< where it was, relative to root where under it
  std::string to;     ///< where it is now (its .error.txt beside it); empty when not moved
  int failures = 0;   ///< consecutive runs whose item of it failed
  std::vector<std::string> runs;
  std::string error;   ///< why its last item failed
  std::string result;  ///< "quarantined", or "failed" (with why in move_error)
  std::string move_error;
};

/// How many lifecycle records a report lists and the event log shows one by one; the rest
/// are counted, and every record is in the run's lifecycle list.
inline constexpr std::size_t kListedLifecycle = 1000;

/// The whole of a run's lifecycle, however many files it touched.
struct LifecycleSummary {
  std::size_t count = 0;                       ///< every record, listed or not
  std::map<std::string, std::size_t> results;  ///< result -> how many
  /// The file with every record, one JSON object per line, relative to root; empty when no
  /// file was acted on or the list could not be written.
  std::string list;
};

/// One manifest a run dealt with (SPEC 8).
struct BatchRecord {
  std::string id;
  std::string status;    ///< "COMPLETED", "FAILED", "REJECTED" or "INTERRUPTED"
  std::string moved_to;  ///< the archive/error folder, relative to root; empty when it stayed
  std::string manifest;  ///< the manifest's file name as found in the hot folder
  std::string error;
  bool reclaimed = false;  ///< claimed again after a run died with it
};

/// What a new run found of a dead one.
struct RecoveryRecord {
  std::string run_id;
  std::int64_t pid = 0;
  std::string host;
  std::string started_at;
  std::vector<std::int64_t> killed;  ///< stage processes of the dead run that were still alive
  bool report_missing = false;       ///< the dead run never wrote its report
};

struct RunReport {
  std::string run_id;
  std::string pipeline;
  RunStatus status = RunStatus::kIdle;
  int exit_code = 0;
  TimePoint started_at;
  TimePoint finished_at;
  /// How long the run took on the monotonic clock, when measured: the wall clock may be
  /// stepped during a run (by NTP, by hand), and finished_at - started_at then lies.
  std::optional<Millis> duration;
  std::string host;
  std::int64_t pid = 0;
  std::string config_path;
  std::string config_sha256;
  /// The runner that wrote the report, when it was read back; "" for this one.
  std::string runner_version;
  std::vector<StageRecord> stages;
  std::vector<LifecycleRecord> lifecycle;  ///< the first kListedLifecycle
  LifecycleSummary lifecycle_summary;
  std::vector<BatchRecord> batches;
  std::vector<WindowSummary> windows;
  std::vector<QuarantineRecord> quarantined;
  std::vector<std::string> errors;
  std::optional<RecoveryRecord> recovered;  ///< a dead run this one cleaned up after
};

/// A stage that was started (not skipped, not left unstarted by a stop).
bool stage_ran(StageStatus s);
/// A stage that was started and did not succeed: failed, timed out or hung.
bool stage_failed(StageStatus s);

/// The last n of lines (all of them when there are fewer): a stderr tail cut for a person.
std::vector<std::string> last_lines(const std::vector<std::string>& lines, std::size_t n);

/// How an attempt ended, in words: "exit 2", "timed out, killed by signal 9, terminated", ...
std::string describe_attempt(const AttemptRecord& a);

/// Run status from the stages' outcomes (SPEC 3): nothing ran -> idle; all that ran
/// succeeded -> success; none succeeded -> failure; otherwise partial.
RunStatus status_from_stages(const std::vector<StageRecord>& stages);

/// A `foreach: input` stage's items in one pass, and the stage's outcome from them (SPEC 12):
/// "succeeded" when every item did, "failed" when none did, else "partial".
struct ItemsOutcome {
  std::string stage;
  std::string batch;
  std::size_t items = 0;
  std::size_t succeeded = 0;
  std::size_t not_started = 0;
  std::string outcome;
  std::size_t failed() const { return items - succeeded - not_started; }
  std::string text() const;  ///< "partial: 2 of 3 items succeeded, 1 failed"
};
/// The outcome of every foreach stage among the records from `first` on, in the order of
/// their first item.
std::vector<ItemsOutcome> items_outcomes(const std::vector<StageRecord>& stages,
                                         std::size_t first = 0);

/// Run status in batch mode (SPEC 8): no batch -> idle; every batch completed -> success;
/// none completed -> failure (a rejected manifest counts as failed); otherwise partial.
RunStatus status_from_batches(const std::vector<BatchRecord>& batches);

/// The run's duration_ms as the report has it: from the times as written (to the
/// millisecond), so that finished_at - started_at in the file is duration_ms exactly, and a
/// report read back gives the same duration.
std::int64_t report_duration_ms(const RunReport& report);

/// Exit code of a run with that status (SPEC 2); aborted_exit is 128+N for an abort.
int exit_code_for(RunStatus status, int aborted_exit = 130);

}  // namespace pipeline
