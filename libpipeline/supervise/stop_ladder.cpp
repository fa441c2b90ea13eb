#include "supervise/stop_ladder.hpp"

#include <thread>

#include "platform/process_platform.hpp"

namespace pipeline {

namespace {
constexpr Millis kPoll{5};
constexpr int kMaxLastRungs = 50;  // a stage that keeps forking while SIGKILL lands
}  // namespace

StopLadder StopLadder::terminate_then_kill(Millis grace) {
  return StopLadder({{StopStep::kTerminate, grace}, {StopStep::kKill, grace}});
}

StopLadder StopLadder::kill_now(Millis grace) {
  return StopLadder({{StopStep::kKill, grace}});
}

std::optional<Steady::time_point> StopLadder::next_due() const {
  if (!started() || done()) return std::nullopt;
  return sent_at_ + rungs_[sent_ - 1].grace;
}

StopStep StopLadder::climb(Steady::time_point now, const Send& send) {
  const StopStep step = rungs_.at(sent_).step;
  ++sent_;
  sent_at_ = now;
  send(step);
  return step;
}

bool StopLadder::climb_until_gone(platform::StageProcesses& processes,
                                  const std::function<void(StopStep)>& report) {
  if (!processes.alive()) return false;
  auto wait_gone = [&](Millis grace) {
    const auto deadline = Steady::now() + grace;
    while (processes.alive()) {
      if (Steady::now() >= deadline) return false;
      std::this_thread::sleep_for(kPoll);  // polling the process table: nothing to wait on
    }
    return true;
  };
  auto send = [&](StopStep step) {
    report(step);
    return processes.signal(step);
  };
  while (!done()) {
    climb(Steady::now(), send);
    if (wait_gone(rungs_[sent_ - 1].grace)) return true;
  }
  const StopRung last = rungs_.back();
  for (int round = 0; round < kMaxLastRungs && processes.alive(); ++round) {
    processes.signal(last.step);
    wait_gone(kPoll * 10);
  }
  return true;
}

}  // namespace pipeline
