#pragma once
/// A ProcessSupervisor that runs nothing: it records every spec it is given and answers with
/// scripted results per program (argv[0]), in order; the last result repeats.

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

  ProcessResult run(const ProcessSpec& spec) override {
    specs.push_back(spec);
    if (on_run) on_run(spec);
    if (clock_) clock_->advance(Millis(10));
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
    return r;
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

 private:
  FakeClock* clock_;
  std::map<std::string, std::deque<ProcessResult>> scripts_;
};

}  // namespace pipeline::testing
