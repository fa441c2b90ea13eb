#pragma once
/// One "the runner was asked to stop" for everything that must notice: the clock's sleeps,
/// the supervisor's loop, the orchestrator between stages and the lifecycle between files.
/// It reads the flag the platform's stop handlers set (the number of the signal, 0 for none)
/// and nothing else, so it is safe to read anywhere; a default token is never stopped.

#include <optional>

namespace pipeline {

class StopToken {
 public:
  StopToken() = default;
  /// flag: 0 while running, then the number N of the signal that asked for the stop.
  explicit StopToken(const volatile int* flag) : flag_(flag) {}

  /// False for a token nothing can stop: there is nothing to watch.
  bool can_stop() const { return flag_ != nullptr; }
  bool requested() const { return flag_ != nullptr && *flag_ != 0; }
  /// 128+N once signal N asked for the stop (the exit code of an aborted run), else nullopt.
  std::optional<int> exit_code() const {
    if (!requested()) return std::nullopt;
    return 128 + *flag_;
  }

 private:
  const volatile int* flag_ = nullptr;
};

}  // namespace pipeline
