#include "supervise/real_process_supervisor.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/process/v2/process.hpp>
#include <memory>
#include <stdexcept>

#include "platform/process_platform.hpp"
#include "supervise/output_watcher.hpp"
#include "supervise/stop_ladder.hpp"
#include "util/paths.hpp"

namespace pipeline {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;

constexpr Millis kStopPoll{50};
constexpr Millis kDyingSettle{100};
constexpr std::size_t kReadChunk = std::size_t{256} * 1024;
constexpr const char* kHeldPipes = "its output was still held open after it exited and the grace";
constexpr const char* kLeftBehind = "processes of the stage outlived its main process";

}  // namespace

/// One supervised process from launch to its last byte: the state of the termination ladder
/// and every deadline, driven by the supervisor's io_context beside the others in flight.
/// Nothing in here waits: the exit, the pipes, every deadline and the sweep of what the
/// stage left are handlers of the one loop.
class RealProcessSupervisor::Supervision : public std::enable_shared_from_this<Supervision> {
 public:
  /// ended: counted up as this supervision ends, so the supervisor's loop knows without
  /// asking every process in flight after each handler.
  Supervision(asio::io_context& ctx, ProcessSpec spec, StopToken stop, std::size_t& ended)
      : ended_count_(ended),
        spec_(std::move(spec)),
        stop_(stop),
        patterns_(spec_.completion, spec_.progress, spec_.on_progress, spec_.counts),
        out_(spec_.stdout_log, patterns_),
        err_(spec_.stderr_log, patterns_),
        ctx_(ctx),
        out_pipe_(ctx),
        err_pipe_(ctx),
        timer_(ctx),
        sweep_timer_(ctx),
        ladder_(StopLadder::terminate_then_kill(spec_.grace)) {}

  /// Launches the process and its handlers; ended() is true at once when it could not start.
  void start(const std::function<void()>& before_spawn) {
    started_at_ = Steady::now();
    auto exe = platform::find_program(spec_.argv.at(0), spec_.env, spec_.cwd);
    if (!exe) {
      result_.start_error = "program '" + spec_.argv[0] + "' not found in PATH";
      return end();
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
    process_->async_wait([this, self = shared_from_this()](bp::error_code, int) {
      guarded([this] {
        exited_at_ = Steady::now();
        auto status = platform::decode_exit_status(process_->native_exit_code());
        result_.exit_code = status.code;
        result_.signal = status.signal;
        check_done();
        arm();
      });
    });
    arm();
  }

  bool ended() const { return ended_; }
  ProcessResult take() { return std::move(result_); }

 private:
  // Runs one handler's work; whatever goes wrong in it, the stage does not outlive it: its
  // whole group goes, and the supervision ends with the error.
  template <typename F>
  void guarded(F&& work) {
    if (ended_) return;
    try {
      work();
    } catch (const std::exception& e) {
      result_.error = std::string("the supervision of the stage failed: ") + e.what();
      result_.terminated = true;
      report(StopStep::kKill, "the supervision failed");
      processes_.signal(StopStep::kKill);
      bp::error_code ignored;
      if (process_ && !exited()) process_->wait(ignored);  // killed: it ends now
      processes_.close();
      end();
    }
  }

  void read(asio::readable_pipe& pipe, char* buf, OutputWatcher& watcher, bool& open) {
    pipe.async_read_some(asio::buffer(buf, kReadChunk),
                         [this, self = shared_from_this(), &pipe, buf, &watcher, &open](
                             const bp::error_code& ec, std::size_t n) {
                           guarded([&] { on_read(pipe, buf, watcher, open, ec, n); });
                         });
  }

  void on_read(asio::readable_pipe& pipe, char* buf, OutputWatcher& watcher, bool& open,
               const bp::error_code& ec, std::size_t n) {
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
  }

  bool exited() const { return exited_at_.has_value(); }

  // The main process is done when it has exited and both pipes reached end of file: then
  // whatever is left of the stage is swept.
  void check_done() {
    if (!exited() || out_open_ || err_open_ || sweeping_) return;
    timer_.cancel();
    // After the ladder reached the group, what is still there of it has the signal and is
    // on its way out (its pipes closed, not yet a zombie): it gets a moment to be gone
    // before anything counts as left behind.
    const Millis settle = ladder_.started() ? kDyingSettle : Millis(0);
    sweep(StopLadder::terminate_then_kill(spec_.grace, settle), kLeftBehind, [this] {
      processes_.close();
      end();
    });
  }

  std::optional<Steady::time_point> next_deadline() const {
    std::optional<Steady::time_point> next;
    auto consider = [&](Steady::time_point t) {
      if (!next || t < *next) next = t;
    };
    if (sweeping_) return next;
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
    timer_.async_wait([this, self = shared_from_this()](const bp::error_code& ec) {
      if (!ec) guarded([this] { on_deadline(); });
    });
  }

  void on_deadline() {
    auto now = Steady::now();
    if (exited()) {
      if ((out_open_ || err_open_) && now >= *exited_at_ + spec_.grace) {
        // A descendant still holds the pipes: stop draining, take the rest of the stage down,
        // then close them and sweep what is left.
        result_.output_cut = true;
        sweep(StopLadder::kill_now(spec_.grace), kHeldPipes, [this] {
          sweeping_ = false;
          bp::error_code ignored;
          out_pipe_.close(ignored);
          err_pipe_.close(ignored);
          out_open_ = false;
          err_open_ = false;
          check_done();
        });
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

  // The next rung of the ladder the loop drives while the main process runs. It reaches the
  // main process's group; what escaped the group is swept once the main process is gone.
  void climb(Steady::time_point now) {
    ladder_.climb(now, [this](StopStep step) {
      report(step, stop_reason_);
      return processes_.signal(step, platform::StageProcesses::Reach::kGroup);
    });
  }

  void report(StopStep step, const std::string& reason) const {
    if (spec_.on_stop_step) spec_.on_stop_step(step, reason);
  }

  // Climbs `ladder` against whatever of the stage is there, on the sweep timer, reporting
  // each rung with `reason`; then runs `then`. What it had to signal counts as left behind.
  void sweep(const StopLadder& ladder, const char* reason, std::function<void()> then) {
    sweeping_ = true;
    sweep_ladder_.emplace(ladder);
    sweep_reason_ = reason;
    sweep_then_ = std::move(then);
    sweep_step();
  }

  void sweep_step() {
    auto next = sweep_ladder_->sweep(Steady::now(), processes_,
                                     [this](StopStep step) { report(step, sweep_reason_); });
    if (!next) {
      auto then = std::move(sweep_then_);
      then();
      return;
    }
    if (sweep_ladder_->started()) {
      result_.left_processes = true;
      result_.terminated = true;
    }
    sweep_timer_.expires_at(*next);
    sweep_timer_.async_wait([this, self = shared_from_this()](const bp::error_code& ec) {
      if (!ec) guarded([this] { sweep_step(); });
    });
  }

  void cancel_all() {
    bp::error_code ignored;
    timer_.cancel();
    sweep_timer_.cancel();
    out_pipe_.close(ignored);
    err_pipe_.close(ignored);
  }

  void not_started(const std::filesystem::path& exe, const std::string& why) {
    if (process_) {  // made, but its program never ran: it has ended or ends now
      bp::error_code ignored;
      process_->wait(ignored);
    }
    processes_.close();
    result_.start_error = "cannot start " + path_text(exe) + ": " + why;
    end();
  }

  // The result is complete; every handler still queued finds the supervision ended (each
  // holds it alive until it has run).
  void end() {
    ended_ = true;
    ++ended_count_;
    cancel_all();
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
  }

  std::size_t& ended_count_;
  const ProcessSpec spec_;
  StopToken stop_;
  ProcessResult result_;
  LinePatterns patterns_;
  OutputWatcher out_;
  OutputWatcher err_;
  asio::io_context& ctx_;
  asio::readable_pipe out_pipe_;
  asio::readable_pipe err_pipe_;
  asio::steady_timer timer_;
  asio::steady_timer sweep_timer_;
  platform::StageProcesses processes_;
  std::optional<bp::process> process_;
  // Not zeroed: a stage that prints little touches a page or two of them, not 512 KiB.
  std::unique_ptr<char[]> out_buf_ = std::make_unique_for_overwrite<char[]>(kReadChunk);
  std::unique_ptr<char[]> err_buf_ = std::make_unique_for_overwrite<char[]>(kReadChunk);
  bool out_open_ = true;
  bool err_open_ = true;
  bool sweeping_ = false;
  bool ended_ = false;
  Steady::time_point started_at_;
  Steady::time_point last_output_;
  std::optional<Steady::time_point> exited_at_;
  std::optional<Steady::time_point> completed_at_;
  StopLadder ladder_;
  std::string stop_reason_;
  std::optional<StopLadder> sweep_ladder_;
  const char* sweep_reason_ = "";
  std::function<void()> sweep_then_;
};

struct RealProcessSupervisor::InFlight {
  std::shared_ptr<Supervision> supervision;
  Done done;
};

RealProcessSupervisor::RealProcessSupervisor(StopToken stop, std::function<void()> before_spawn)
    : ctx_(std::make_unique<asio::io_context>(1)),
      stop_(stop),
      before_spawn_(std::move(before_spawn)) {}

RealProcessSupervisor::~RealProcessSupervisor() {
  // Whatever is still in flight (an exception left the caller) is seen to its end: no stage
  // outlives the supervisor, and no handler outlives its supervision.
  while (wait()) {
  }
  ctx_->restart();
  ctx_->poll();  // the handlers cancelled at the ends, which hold their supervisions
}

void RealProcessSupervisor::start(ProcessSpec spec, Done done) {
  auto supervision = std::make_shared<Supervision>(*ctx_, std::move(spec), stop_, ended_);
  supervision->start(before_spawn_);
  flight_.push_back(InFlight{std::move(supervision), std::move(done)});
}

bool RealProcessSupervisor::wait(std::optional<Millis> at_most) {
  if (flight_.empty()) return false;
  const auto until = Steady::now() + at_most.value_or(Millis(0));
  while (ended_ == 0) {
    if (ctx_->stopped()) ctx_->restart();
    const std::size_t ran = at_most ? ctx_->run_one_until(until) : ctx_->run_one();
    if (ran == 0 && !at_most) throw std::logic_error("a supervised process has nothing to wait on");
    if (ran == 0 && Steady::now() >= until) break;
  }
  // Handed back outside the loop's handlers: `done` may start the next process.
  std::vector<InFlight> ended;
  for (auto it = flight_.begin(); it != flight_.end();) {
    if (it->supervision->ended()) {
      ended.push_back(std::move(*it));
      it = flight_.erase(it);
      --ended_;
    } else {
      ++it;
    }
  }
  for (auto& f : ended) f.done(f.supervision->take());
  return true;
}

}  // namespace pipeline
