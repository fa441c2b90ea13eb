#pragma once
/// A clock that tests move: sleeping advances it at once and is recorded.

#include <vector>

#include "ports/clock.hpp"

namespace pipeline::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::hours(24 * 20000))) : now_(start) {}
  TimePoint now() const override { return now_; }
  Millis monotonic() const override { return steady_; }
  bool sleep_for(Millis d) override {
    sleeps.push_back(d);
    advance(d);
    return !stop_during_sleep;
  }
  void advance(Millis d) {
    now_ += d;
    steady_ += d;
  }
  /// The wall clock stepped (by NTP, by hand): monotonic time does not move.
  void step(Millis d) { now_ += d; }

  std::vector<Millis> sleeps;
  bool stop_during_sleep = false;

 private:
  TimePoint now_;
  Millis steady_{0};
};

}  // namespace pipeline::testing
