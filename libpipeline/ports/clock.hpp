#pragma once
/// Time as the orchestrator sees it: injected so that backoff and timestamps are testable
/// without sleeping. platform/system_clock.hpp has the real one.

#include <chrono>

#include "util/duration.hpp"
#include "util/time_format.hpp"

namespace pipeline {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  /// A monotonic reading (from an arbitrary origin), for how long something took: the wall
  /// clock may be stepped back or forward meanwhile.
  virtual Millis monotonic() const = 0;
  /// Waits d; returns early (false) when the runner is asked to stop.
  virtual bool sleep_for(Millis d) = 0;
};

}  // namespace pipeline
