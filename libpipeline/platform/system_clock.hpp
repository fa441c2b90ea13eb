#pragma once
/// The real Clock: the system wall clock, and sleeps that a stop request cuts short.

#include "ports/clock.hpp"
#include "ports/stop_token.hpp"

namespace pipeline {

/// The machine's wall clock; sleeps in short slices so a stop request is seen promptly.
class SystemClock final : public Clock {
 public:
  /// stop: polled while sleeping; may be null.
  explicit SystemClock(StopToken stop = {}) : stop_(stop) {}
  TimePoint now() const override { return std::chrono::system_clock::now(); }
  Millis monotonic() const override {
    return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now().time_since_epoch());
  }
  bool sleep_for(Millis d) override;

 private:
  StopToken stop_;
};

}  // namespace pipeline
