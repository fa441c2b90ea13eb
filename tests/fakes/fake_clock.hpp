#pragma once
/// A clock that tests move: sleeping advances it at once and is recorded.

#include <vector>

#include "ports/clock.hpp"

namespace pipeline::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::hours(24 * 20000))) : now_(start) {}
  TimePoint now() const override { return now_; }
  bool sleep_for(Millis d) override {
    sleeps.push_back(d);
    now_ += d;
    return !stop_during_sleep;
  }
  void advance(Millis d) { now_ += d; }

  std::vector<Millis> sleeps;
  bool stop_during_sleep = false;

 private:
  TimePoint now_;
};

}  // namespace pipeline::testing
