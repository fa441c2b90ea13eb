#include "ports/process_supervisor.hpp"

#include <stdexcept>

namespace pipeline {

ProcessResult ProcessSupervisor::run(const ProcessSpec& spec) {
  std::optional<ProcessResult> ended;
  start(spec, [&ended](ProcessResult r) { ended = std::move(r); });
  while (!ended) {
    if (!wait()) throw std::logic_error("the supervisor lost a process it started");
  }
  return std::move(*ended);
}

}  // namespace pipeline
