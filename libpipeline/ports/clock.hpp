#pragma once
/// Time as the orchestrator sees it: injected so that backoff and timestamps are testable
/// without sleeping. SystemClock is the real one.

#include <chrono>

#include "util/duration.hpp"
#include "util/time_format.hpp"

namespace pipeline {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  /// Waits d; returns early (false) when stop_requested() becomes true.
  virtual bool sleep_for(Millis d) = 0;
};

/// The machine's wall clock; sleeps in short slices so a stop request is seen promptly.
class SystemClock final : public Clock {
 public:
  /// stop: polled while sleeping; may be null.
  explicit SystemClock(const volatile int* stop = nullptr) : stop_(stop) {}
  TimePoint now() const override { return std::chrono::system_clock::now(); }
  bool sleep_for(Millis d) override;

 private:
  const volatile int* stop_;
};

}  // namespace pipeline
