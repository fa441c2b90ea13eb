#include "supervise/real_process_supervisor.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/process/v2/process.hpp>
#include <memory>

#include "platform/process_platform.hpp"
#include "supervise/output_watcher.hpp"
#include "supervise/stop_ladder.hpp"
#include "util/paths.hpp"

namespace pipeline {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;

constexpr Millis kStopPoll{50};
constexpr std::size_t kReadChunk = std::size_t{256} * 1024;
constexpr const char* kHeldPipes = "its output was still held open after it exited and the grace";
constexpr const char* kLeftBehind = "processes of the stage outlived its main process";

/// One supervised process from launch to its last byte: the state of the termination ladder
/// and every deadline, driven by a single-threaded io_context.
class Supervision {
 public:
  Supervision(const ProcessSpec& spec, StopToken stop)
      : spec_(spec),
        stop_(stop),
        patterns_(spec.completion, spec.progress, spec.on_progress, spec.counts),
        out_(spec.stdout_log, patterns_),
        err_(spec.stderr_log, patterns_),
        out_pipe_(ctx_),
        err_pipe_(ctx_),
        timer_(ctx_),
        ladder_(StopLadder::terminate_then_kill(spec.grace)) {}

  ProcessResult run(const std::function<void()>& before_spawn) {
    started_at_ = Steady::now();
    auto exe = platform::find_program(spec_.argv.at(0), spec_.env, spec_.cwd);
    if (!exe) {
      result_.start_error = "program '" + spec_.argv[0] + "' not found in PATH";
      return finish();
    }
    if (before_spawn) before_spawn();
    std::vector<std::string> args(spec_.argv.begin() + 1, spec_.argv.end());
    try {
      process_.emplace(
          processes_.start(ctx_, *exe, args, out_pipe_, err_pipe_, spec_.cwd, spec_.env));
      // Held at its start: the records name its processes before any of the program runs,
      // so a runner killed from here on leaves nothing a later run cannot find.
      if (spec_.on_started) spec_.on_started(processes_.identity());
      processes_.release();
    } catch (const boost::system::system_error& e) {  // what Boost.Process throws
      return not_started(*exe, e.code().message());
    } catch (const std::system_error& e) {
      return not_started(*exe, e.code().message());
    }
    result_.started = true;
    last_output_ = Steady::now();
    read(out_pipe_, out_buf_.get(), out_, out_open_);
    read(err_pipe_, err_buf_.get(), err_, err_open_);
    process_->async_wait([this](bp::error_code, int) {
      exited_at_ = Steady::now();
      auto status = platform::decode_exit_status(process_->native_exit_code());
      result_.exit_code = status.code;
      result_.signal = status.signal;
      check_done();
      arm();
    });
    arm();
    try {
      ctx_.run();
    } catch (const std::exception& e) {
      // Whatever went wrong in here, the stage does not outlive it: its whole group goes.
      result_.error = std::string("the supervision of the stage failed: ") + e.what();
      result_.terminated = true;
      report(StopStep::kKill, "the supervision failed");
      processes_.signal(StopStep::kKill);
      bp::error_code ignored;
      process_->wait(ignored);
    }
    sweep_leftovers();
    return finish();
  }

 private:
  void read(asio::readable_pipe& pipe, char* buf, OutputWatcher& watcher, bool& open) {
    pipe.async_read_some(asio::buffer(buf, kReadChunk),
                         [&, buf](const bp::error_code& ec, std::size_t n) {
                           if (n > 0) {
                             watcher.feed(std::string_view(buf, n));
                             last_output_ = Steady::now();
                             if (patterns_.completed() && !completed_at_) {
                               completed_at_ = last_output_;
                               result_.completed_by_pattern = true;
                               arm();
                             }
                           }
                           if (ec) {
                             open = false;
                             check_done();
                           } else {
                             read(pipe, buf, watcher, open);
                           }
                         });
  }

  bool exited() const { return exited_at_.has_value(); }

  // The process is done when it has exited and both pipes reached end of file.
  void check_done() {
    if (exited() && !out_open_ && !err_open_) timer_.cancel();
  }

  std::optional<Steady::time_point> next_deadline() const {
    std::optional<Steady::time_point> next;
    auto consider = [&](Steady::time_point t) {
      if (!next || t < *next) next = t;
    };
    if (exited()) {
      if (out_open_ || err_open_) consider(*exited_at_ + spec_.grace);
      return next;
    }
    if (ladder_.started()) {
      if (auto due = ladder_.next_due()) consider(*due);
    } else {
      if (spec_.timeout.count() > 0) consider(started_at_ + spec_.timeout);
      if (spec_.hang_timeout.count() > 0 && !completed_at_) {
        consider(last_output_ + spec_.hang_timeout);
      }
      if (completed_at_) consider(*completed_at_ + spec_.grace);
    }
    if (stop_.can_stop() && !result_.aborted) consider(Steady::now() + kStopPoll);
    return next;
  }

  void arm() {
    auto deadline = next_deadline();
    if (!deadline) {
      timer_.cancel();
      return;
    }
    timer_.expires_at(*deadline);
    timer_.async_wait([this](const bp::error_code& ec) {
      if (!ec) on_deadline();
    });
  }

  void on_deadline() {
    auto now = Steady::now();
    if (exited()) {
      if ((out_open_ || err_open_) && now >= *exited_at_ + spec_.grace) {
        // A descendant still holds the pipes: stop draining, take the rest of the stage down.
        result_.output_cut = true;
        if (StopLadder::kill_now(spec_.grace).climb_until_gone(processes_, reporter(kHeldPipes))) {
          result_.left_processes = true;
          result_.terminated = true;
        }
        bp::error_code ignored;
        out_pipe_.close(ignored);
        err_pipe_.close(ignored);
        return;
      }
    } else if (ladder_.started()) {
      if (auto due = ladder_.next_due(); due && now >= *due) climb(now);
    } else {
      if (stop_.requested()) {
        result_.aborted = true;
        begin_termination(now, "stop requested");
      } else if (spec_.timeout.count() > 0 && now >= started_at_ + spec_.timeout) {
        result_.timed_out = true;
        begin_termination(now, "timed out");
      } else if (completed_at_ && now >= *completed_at_ + spec_.grace) {
        begin_termination(now, "completion pattern seen, still running after grace");
      } else if (spec_.hang_timeout.count() > 0 && !completed_at_ &&
                 now >= last_output_ + spec_.hang_timeout) {
        result_.hung = true;
        begin_termination(now, "no output");
      }
    }
    arm();
  }

  void begin_termination(Steady::time_point now, std::string reason) {
    result_.terminated = true;
    stop_reason_ = std::move(reason);
    climb(now);
  }

  // The next rung of the ladder the loop drives while the main process runs (no waiting
  // here: the timer does that). It reaches the main process's group; what escaped the group
  // is swept once the main process is gone.
  void climb(Steady::time_point now) {
    ladder_.climb(now, [this](StopStep step) {
      report(step, stop_reason_);
      return processes_.signal(step, platform::StageProcesses::Reach::kGroup);
    });
  }

  void report(StopStep step, const std::string& reason) const {
    if (spec_.on_stop_step) spec_.on_stop_step(step, reason);
  }

  std::function<void(StopStep)> reporter(const char* reason) const {
    return [this, reason](StopStep step) { report(step, reason); };
  }

  // After the main process has gone: whatever is left of the stage (its group, and what
  // escaped it and was re-parented to us) gets the same ladder.
  void sweep_leftovers() {
    if (StopLadder::terminate_then_kill(spec_.grace)
            .climb_until_gone(processes_, reporter(kLeftBehind))) {
      result_.left_processes = true;
      result_.terminated = true;
    }
    processes_.close();
  }

  ProcessResult not_started(const std::filesystem::path& exe, const std::string& why) {
    if (process_) {  // made, but its program never ran: it has ended or ends now
      bp::error_code ignored;
      process_->wait(ignored);
    }
    processes_.close();
    result_.start_error = "cannot start " + path_text(exe) + ": " + why;
    return finish();
  }

  ProcessResult finish() {
    out_.finish();
    err_.finish();
    result_.duration = std::chrono::duration_cast<Millis>(Steady::now() - started_at_);
    result_.stdout_bytes = out_.bytes();
    result_.stderr_bytes = err_.bytes();
    result_.stdout_tail = out_.tail();
    result_.stderr_tail = err_.tail();
    result_.items_done = patterns_.items_done();
    result_.counts = patterns_.counts();
    for (auto& w : patterns_.count_warnings()) result_.warnings.push_back(std::move(w));
    for (const auto* w : {&out_, &err_}) {
      result_.warnings.insert(result_.warnings.end(), w->warnings().begin(), w->warnings().end());
    }
    return std::move(result_);
  }

  const ProcessSpec& spec_;
  StopToken stop_;
  ProcessResult result_;
  LinePatterns patterns_;
  OutputWatcher out_;
  OutputWatcher err_;
  asio::io_context ctx_;
  asio::readable_pipe out_pipe_;
  asio::readable_pipe err_pipe_;
  asio::steady_timer timer_;
  platform::StageProcesses processes_;
  std::optional<bp::process> process_;
  // Not zeroed: a stage that prints little touches a page or two of them, not 512 KiB.
  std::unique_ptr<char[]> out_buf_ = std::make_unique_for_overwrite<char[]>(kReadChunk);
  std::unique_ptr<char[]> err_buf_ = std::make_unique_for_overwrite<char[]>(kReadChunk);
  bool out_open_ = true;
  bool err_open_ = true;
  Steady::time_point started_at_;
  Steady::time_point last_output_;
  std::optional<Steady::time_point> exited_at_;
  std::optional<Steady::time_point> completed_at_;
  StopLadder ladder_;
  std::string stop_reason_;
};

}  // namespace

ProcessResult RealProcessSupervisor::run(const ProcessSpec& spec) {
  auto supervision = std::make_unique<Supervision>(spec, stop_);
  return supervision->run(before_spawn_);
}

}  // namespace pipeline
