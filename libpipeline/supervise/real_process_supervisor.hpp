#pragma once
/// The ProcessSupervisor that runs real processes: Boost.Process v2 for the launch, one
/// single-threaded Asio loop for every process in flight: their pipes, exits, deadlines and
/// stop ladders (no thread per process).

#include <functional>
#include <list>
#include <memory>

#include "ports/process_supervisor.hpp"
#include "ports/stop_token.hpp"

namespace boost::asio {
class io_context;
}

namespace pipeline {

class RealProcessSupervisor final : public ProcessSupervisor {
 public:
  /// stop: the runner's stop request, which terminates the running process.
  /// before_spawn: flushes buffered logs (a child whose exec fails runs exit()).
  explicit RealProcessSupervisor(StopToken stop = {}, std::function<void()> before_spawn = {});
  ~RealProcessSupervisor() override;
  RealProcessSupervisor(const RealProcessSupervisor&) = delete;
  RealProcessSupervisor& operator=(const RealProcessSupervisor&) = delete;

  void start(ProcessSpec spec, Done done) override;
  bool wait(std::optional<Millis> at_most = std::nullopt) override;

 private:
  class Supervision;
  struct InFlight;
  std::unique_ptr<boost::asio::io_context> ctx_;
  std::list<InFlight> flight_;
  std::size_t ended_ = 0;  ///< of those in flight, how many have ended
  StopToken stop_;
  std::function<void()> before_spawn_;
};

}  // namespace pipeline
