#pragma once
/// How a stage is stopped, as data: rungs of {step, grace} (as reproc does), climbed in one
/// place whether the supervisor's loop drives them (a timeout, a hang, a stop request: no
/// blocking) or a sweep waits on them (what is left once the main process is gone). Every
/// rung sent is reported with its reason, so the records show each step.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ports/process_supervisor.hpp"

namespace pipeline {

namespace platform {
class StageProcesses;
}

using Steady = std::chrono::steady_clock;

struct StopRung {
  StopStep step;
  Millis grace;  ///< how long the stage has to go after this step, before the next one
};

class StopLadder {
 public:
  /// Called with each step as it is sent; true when something of the stage received it.
  using Send = std::function<bool(StopStep)>;

  /// Terminate, `grace`, kill, `grace`: SPEC 4's ladder. settle: how long a sweep lets what it
  /// first finds go on its own before the first rung (processes already signalled, on their
  /// way out); nothing is sent, or counted as left behind, meanwhile.
  static StopLadder terminate_then_kill(Millis grace, Millis settle = Millis(0));
  /// Straight to kill, then `grace` for it to take effect: for a stage whose grace was
  /// already spent (its pipes still held after the drain).
  static StopLadder kill_now(Millis grace);

  bool started() const { return sent_ > 0; }
  bool done() const { return sent_ == rungs_.size(); }

  /// When the next rung is due; none before the first (nothing asked for a stop) and after
  /// the last.
  std::optional<Steady::time_point> next_due() const;

  /// Sends the next rung through send; returns it.
  StopStep climb(Steady::time_point now, const Send& send);

  /// One look at a sweep of the stage's processes, without waiting: while any is there it
  /// climbs the next rung (reported) once the last one's grace is over, and after the last
  /// rung sends its step again (unreported) while new processes appear (a stage forking as it
  /// dies), a bounded number of times. Returns when to look again; nullopt once the sweep is
  /// over (nothing there, or the resends spent). A supervisor's loop drives it on a timer.
  std::optional<Steady::time_point> sweep(Steady::time_point now,
                                          platform::StageProcesses& processes,
                                          const std::function<void(StopStep)>& report);

  /// The same sweep, waiting in between: true when it had to send anything.
  bool climb_until_gone(platform::StageProcesses& processes,
                        const std::function<void(StopStep)>& report);

 private:
  explicit StopLadder(std::vector<StopRung> rungs, Millis settle = Millis(0))
      : rungs_(std::move(rungs)), settle_(settle) {}
  std::vector<StopRung> rungs_;
  Millis settle_;
  std::optional<Steady::time_point> first_seen_;  ///< when a sweep first found something
  std::size_t sent_ = 0;
  Steady::time_point sent_at_{};
  int resent_ = 0;  ///< times the last step was sent again
};

}  // namespace pipeline
