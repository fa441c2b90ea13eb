#include "supervise/stop_ladder.hpp"

#include <thread>

#include "platform/process_platform.hpp"

namespace pipeline {

namespace {
constexpr Millis kPoll{5};
constexpr Millis kResendPoll{50};
constexpr int kMaxLastRungs = 50;  // a stage that keeps forking while SIGKILL lands
}  // namespace

StopLadder StopLadder::terminate_then_kill(Millis grace, Millis settle) {
  return StopLadder({{StopStep::kTerminate, grace}, {StopStep::kKill, grace}}, settle);
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

std::optional<Steady::time_point> StopLadder::sweep(Steady::time_point now,
                                                    platform::StageProcesses& processes,
                                                    const std::function<void(StopStep)>& report) {
  if (!processes.alive()) return std::nullopt;
  auto send = [&](StopStep step) {
    report(step);
    return processes.signal(step);
  };
  if (!started()) {
    if (!first_seen_) first_seen_ = now;
    if (now < *first_seen_ + settle_) return now + kPoll;
  }
  if (!done()) {
    if (!started() || now >= *next_due()) climb(now, send);
    return now + kPoll;
  }
  // Every rung sent and still there once the last grace is over: a stage forking as it dies.
  const StopRung last = rungs_.back();
  const Millis wait = resent_ == 0 ? last.grace : kResendPoll;
  if (now < sent_at_ + wait) return now + kPoll;
  if (resent_ == kMaxLastRungs) return std::nullopt;
  ++resent_;
  sent_at_ = now;
  processes.signal(last.step);
  return now + kPoll;
}

bool StopLadder::climb_until_gone(platform::StageProcesses& processes,
                                  const std::function<void(StopStep)>& report) {
  while (auto next = sweep(Steady::now(), processes, report)) {
    std::this_thread::sleep_until(*next);  // polling the process table: nothing to wait on
  }
  return started();
}

}  // namespace pipeline
