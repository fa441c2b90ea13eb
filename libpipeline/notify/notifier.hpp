#pragma once
/// Tells the world how a run ended (SPEC 9), once its report and history are written: raises
/// the run's alerts (alert_policy), keeps them in the outbox, delivers them and every alert
/// kept by earlier runs, oldest first, then sends the heartbeat ping. Each delivery is bounded
/// by its channel's timeout; a channel that fails is not tried again in the same run, and its
/// alerts wait for the next runs (at most 24 h). Every delivery is an event (notify.sent or
/// notify.failed). Nothing here changes the run's outcome, and no secret is written: a value
/// read through ${env.NAME}, a user or a password is replaced by its name in every message.

#include <map>
#include <string>

#include "config/config.hpp"
#include "ports/alert_outbox.hpp"
#include "ports/clock.hpp"
#include "ports/event_sink.hpp"
#include "ports/notify_transport.hpp"
#include "ports/process_supervisor.hpp"
#include "ports/stop_token.hpp"
#include "records/record_layout.hpp"
#include "records/run_history.hpp"
#include "records/run_report.hpp"

namespace pipeline {

/// How long an undelivered alert is retried by later runs.
inline constexpr Millis kAlertMaxAge = std::chrono::hours(24);
/// The most alerts the outbox keeps: past this, the oldest are dropped, and say so.
inline constexpr std::size_t kOutboxMax = 100;

struct NotifierServices {
  const Config& config;  ///< config.notify is set
  AlertOutbox* outbox;   ///< nullptr when the state store cannot be used: sent once, not kept
  NotifyTransport& transport;
  ProcessSupervisor& supervisor;  ///< runs notify.command
  const std::map<std::string, std::string>& environment;
  Clock& clock;
  EventSink& events;
  StopToken stop;  ///< a stop signal ends the deliveries at once; what is left is kept
};

class Notifier {
 public:
  explicit Notifier(NotifierServices services) : s_(services) {}

  /// The run is recorded; `before` is the health without it. Never throws.
  void after_run(const RunReport& run, const std::string& report_path, const RunHealth& before);

 private:
  struct Outcome;
  void deliver_pending(const std::string& run_id, const std::vector<PendingAlert>& alerts);
  Outcome deliver(const PendingAlert& alert, const std::string& run_id);
  Outcome send_webhook(const PendingAlert& alert, class Expander& x);
  Outcome send_email(const PendingAlert& alert, class Expander& x);
  Outcome run_command(const PendingAlert& alert, class Expander& x, const std::string& run_id);
  void ping(const RunReport& run);
  /// Why no more deliveries start in this run (a stop, the budget spent); "" while they may.
  std::string held_back() const;
  /// A channel's timeout, cut to what is left of the run's budget.
  Millis within_budget(Millis timeout) const;
  /// How long this run counts as retrying an alert: the gap since it was last tried (or
  /// raised), never below zero, at most a few schedule intervals.
  std::int64_t retry_gap(const PendingAlert& a, std::int64_t now) const;

  NotifierServices s_;
  Millis deadline_{0};  ///< on the monotonic clock: the end of the run's delivery budget
};

}  // namespace pipeline
