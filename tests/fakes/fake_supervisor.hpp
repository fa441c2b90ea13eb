#pragma once
/// A ProcessSupervisor that runs nothing: it records every spec it is given and answers with
/// scripted results per program (argv[0]), in order; the last result repeats. Processes in
/// flight end in the order their durations give on the fake clock.

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fakes/fake_clock.hpp"
#include "ports/process_supervisor.hpp"

namespace pipeline::testing {

class FakeSupervisor final : public ProcessSupervisor {
 public:
  explicit FakeSupervisor(FakeClock* clock = nullptr) : clock_(clock) {}

  /// Results for a program, one per call; the last one repeats.
  void script(const std::string& program, std::vector<ProcessResult> results) {
    scripts_[program] = std::deque<ProcessResult>(results.begin(), results.end());
  }
  /// Called with each spec before answering (to create files, move the clock, ...).
  std::function<void(const ProcessSpec&)> on_run;
  /// When set and it answers, its result is the run's (before any script): results by
  /// argument, as a stage run once per input needs.
  std::function<std::optional<ProcessResult>(const ProcessSpec&)> answer;

  /// Answers at once, but ends the process only when wait() comes to it, in the order of
  /// their ends: each takes its result's duration (10 ms when none) on the fake clock.
  void start(ProcessSpec spec, Done done) override {
    specs.push_back(spec);
    if (on_run) on_run(spec);
    auto& queue = scripts_[spec.argv.at(0)];
    ProcessResult r = exited(0);
    if (!queue.empty()) {
      r = queue.front();
      if (queue.size() > 1) queue.pop_front();
    }
    if (answer) {
      if (auto given = answer(spec)) r = *given;
    }
    if (spec.on_progress) {
      for (std::size_t i = 0; i < progress_items.size(); ++i) {
        spec.on_progress(progress_items[i], i + 1);
      }
    }
    const Millis takes = r.duration.count() > 0 ? r.duration : Millis(10);
    flight_.push_back({now() + takes, spec.argv.back(), std::move(r), std::move(done)});
    max_in_flight = std::max(max_in_flight, flight_.size());
  }

  bool wait(std::optional<Millis> at_most) override {
    if (flight_.empty()) return false;
    auto first = std::min_element(flight_.begin(), flight_.end(),
                                  [](const Flight& a, const Flight& b) { return a.ends < b.ends; });
    if (at_most && now() + *at_most < first->ends) {
      move_to(now() + *at_most);
      return true;
    }
    move_to(first->ends);
    Flight f = std::move(*first);
    flight_.erase(first);
    ended.push_back(f.last_arg);
    f.done(std::move(f.result));
    return true;
  }

  static ProcessResult exited(int code) {
    ProcessResult r;
    r.started = true;
    r.exit_code = code;
    r.duration = Millis(10);
    return r;
  }
  static ProcessResult killed(int sig, bool timed_out = false, bool hung = false) {
    ProcessResult r;
    r.started = true;
    r.signal = sig;
    r.timed_out = timed_out;
    r.hung = hung;
    r.terminated = timed_out || hung;
    return r;
  }

  std::vector<ProcessSpec> specs;
  std::vector<std::string> progress_items;
  std::size_t max_in_flight = 0;   ///< the most processes in flight at once
  std::vector<std::string> ended;  ///< the last argument of each process, in order of its end

 private:
  struct Flight {
    TimePoint ends;
    std::string last_arg;
    ProcessResult result;
    Done done;
  };
  TimePoint now() const { return clock_ ? clock_->now() : own_now_; }
  void move_to(TimePoint t) {
    if (t <= now()) return;
    if (clock_) {
      clock_->advance(std::chrono::duration_cast<Millis>(t - clock_->now()));
    } else {
      own_now_ = t;
    }
  }

  FakeClock* clock_;
  TimePoint own_now_{};
  std::vector<Flight> flight_;
  std::map<std::string, std::deque<ProcessResult>> scripts_;
};

}  // namespace pipeline::testing
