#pragma once
/// Alerts not delivered yet, kept in the state store where later runs find them (SPEC 9), so
/// a network outage loses no alert. What is kept holds no secret: the payload, and which
/// channel it is for; the channel's address and credentials are expanded again at delivery.

#include <cstdint>
#include <string>
#include <vector>

namespace pipeline {

struct PendingAlert {
  std::int64_t id = 0;  ///< given by the outbox
  std::string channel;  ///< "webhook", "email" or "command"
  std::string event;    ///< "failure", "recovery", "success" or "stale"
  std::string run_id;   ///< the run that raised it
  std::string status;   ///< that run's status
  std::string payload;  ///< the JSON payload, exactly as it is sent
  std::int64_t created_ms = 0;
  int attempts = 0;  ///< deliveries tried and failed
  std::string last_error;
  /// How long later runs have been retrying it: the time between two tries, each gap counted
  /// as at most a few schedule intervals, so that a clock stepped ahead (or a machine that was
  /// off) does not age it by days it was never tried in.
  std::int64_t tried_ms = 0;
  std::int64_t last_ms = 0;  ///< when it was last tried; 0 for never
};

class AlertOutbox {
 public:
  virtual ~AlertOutbox() = default;
  /// Keeps an alert (durably, once this returns); returns its id.
  virtual std::int64_t add(const PendingAlert& alert) = 0;
  /// Every alert kept, oldest first.
  virtual std::vector<PendingAlert> pending() = 0;
  /// A delivery failed at now_ms: one more attempt, why, and how long it has been retried.
  virtual void failed(std::int64_t id, const std::string& error, std::int64_t tried_ms,
                      std::int64_t now_ms) = 0;
  /// Delivered, or given up on.
  virtual void remove(std::int64_t id) = 0;
};

}  // namespace pipeline
