#pragma once
/// The stream of what a run does (SPEC 5): the core says each thing once, through an
/// EventSink, by a name from the catalogue below. The JSONL event log (records/event_logger)
/// is one subscriber, the human run log (records/run_log) another, through an EventFanout;
/// notifications and metrics subscribe the same way.

#include <array>
#include <nlohmann/json.hpp>
#include <string>

namespace pipeline {

/// Every event name a run emits: the part after "<stage>." or "pipeline.". A name not in
/// here is not an event.
namespace event {
// <stage>.* (the stage's name before the dot)
inline constexpr const char* kDecision = "decision";
inline constexpr const char* kStart = "start";
inline constexpr const char* kProgress = "progress";
inline constexpr const char* kTerminate = "terminate";  ///< a step of the stop ladder
inline constexpr const char* kKill = "kill";            ///< a step of the stop ladder
inline constexpr const char* kSuccess = "success";
inline constexpr const char* kFailure = "failure";
inline constexpr const char* kTimeout = "timeout";
inline constexpr const char* kHang = "hang";
inline constexpr const char* kRetry = "retry";
inline constexpr const char* kMetric = "metric";
inline constexpr const char* kSkipped = "skipped";
inline constexpr const char* kQuarantined = "quarantined";  ///< an input moved out of the way
inline constexpr const char* kItems = "items";  ///< a foreach stage's outcome from its items
// pipeline.* (besides start and skipped): the run's status is the last event's name
inline constexpr const char* kRecovered = "recovered";
inline constexpr const char* kMoveRecovered = "move_recovered";
inline constexpr const char* kTempRemoved = "temp_removed";
// lifecycle.*, batch.*, retention.*, history.*
inline constexpr const char* kAction = "action";
inline constexpr const char* kClaimed = "claimed";
inline constexpr const char* kArchived = "archived";
inline constexpr const char* kError = "error";
inline constexpr const char* kWarning = "warning";  ///< batch.warning, and <stage>.warning
inline constexpr const char* kInterrupted = "interrupted";
inline constexpr const char* kPruned = "pruned";
inline constexpr const char* kRebuilt = "rebuilt";
inline constexpr const char* kSummary = "summary";    ///< lifecycle.summary: beyond the listed
inline constexpr const char* kSettling = "settling";  ///< batch.settling: manifests left for later
// notify.*
inline constexpr const char* kSent = "sent";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kKept = "kept";  ///< alerts left for later runs

/// The whole catalogue (the run statuses, which end every event log, are apart).
inline constexpr std::array kAll = {
    kDecision,    kStart,     kProgress,      kTerminate,   kKill,   kSuccess,
    kFailure,     kTimeout,   kHang,          kRetry,       kMetric, kSkipped,
    kQuarantined, kRecovered, kMoveRecovered, kTempRemoved, kAction, kClaimed,
    kArchived,    kError,     kWarning,       kInterrupted, kPruned, kRebuilt,
    kSummary,     kSettling,  kSent,          kFailed,      kKept,   kItems};
}  // namespace event

/// Where the events that are not a stage's come from (the part before the dot).
namespace event_source {
inline constexpr const char* kPipeline = "pipeline";
inline constexpr const char* kLifecycle = "lifecycle";
inline constexpr const char* kBatch = "batch";
inline constexpr const char* kRetention = "retention";
inline constexpr const char* kHistory = "history";
inline constexpr const char* kNotify = "notify";
inline constexpr const char* kState = "state";  ///< the state store (state/state.db)
inline constexpr std::array kAll = {kPipeline, kLifecycle, kBatch, kRetention,
                                    kHistory,  kNotify,    kState};
}  // namespace event_source

class EventSink {
 public:
  virtual ~EventSink() = default;
  /// One event: `source` is a stage's name or an event_source, `name` one of event::.
  virtual void emit(const std::string& source, const std::string& name, const std::string& msg,
                    nlohmann::json data = nlohmann::json::object()) = 0;
  /// In batch mode, the batch the following events belong to; "" for none.
  virtual void set_batch(std::string id) = 0;
};

}  // namespace pipeline
