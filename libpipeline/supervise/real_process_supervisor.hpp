#pragma once
/// The ProcessSupervisor that runs real processes: Boost.Process v2 for the launch, one
/// single-threaded Asio loop for both pipes, the exit and every deadline.

#include <functional>

#include "ports/process_supervisor.hpp"
#include "ports/stop_token.hpp"

namespace pipeline {

class RealProcessSupervisor final : public ProcessSupervisor {
 public:
  /// stop: the runner's stop request, which terminates the running process.
  /// before_spawn: flushes buffered logs (a child whose exec fails runs exit()).
  explicit RealProcessSupervisor(StopToken stop = {}, std::function<void()> before_spawn = {})
      : stop_(stop), before_spawn_(std::move(before_spawn)) {}

  ProcessResult run(const ProcessSpec& spec) override;

 private:
  StopToken stop_;
  std::function<void()> before_spawn_;
};

}  // namespace pipeline
