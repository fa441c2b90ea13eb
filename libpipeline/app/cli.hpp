#pragma once
/// The command line (SPEC section 2), as a library function so that tests can drive it.
/// The platform services are built by the composition root in apps/ and passed in.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ports/clock.hpp"
#include "ports/file_system.hpp"
#include "ports/process_supervisor.hpp"
#include "ports/run_lock.hpp"
#include "records/run_recovery.hpp"

namespace pipeline {

/// Everything the commands need from the machine, built once in the composition root.
struct Platform {
  FileSystem& files;
  Clock& clock;
  ProcessSupervisor& supervisor;
  std::function<std::unique_ptr<RunLock>(const fs::path&)> make_lock;
  std::map<std::string, std::string> environment;
  std::function<std::optional<int>()> stop_requested;
  RunProcesses run_processes;  ///< for cleaning up after a run that died
  std::string host;
  std::int64_t pid = 0;
  std::ostream& out;
  std::ostream& err;
};

/// Parses argv and runs the command; returns the process exit code. Never throws.
int cli_main(int argc, const char* const* argv, Platform& platform);

}  // namespace pipeline
