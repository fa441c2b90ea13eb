#pragma once
/// The machine as the commands see it: every real service, built once by the composition
/// root in apps/ (tests build one from fakes). Named Machine, not Platform, so that it does
/// not read as the platform/ layer, which it is built from.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ports/clock.hpp"
#include "ports/file_system.hpp"
#include "ports/notify_transport.hpp"
#include "ports/process_supervisor.hpp"
#include "ports/run_lock.hpp"
#include "ports/stop_token.hpp"
#include "records/run_recovery.hpp"

namespace pipeline {

/// Everything the commands need from the machine, built once in the composition root.
struct Machine {
  FileSystem& files;
  Clock& clock;
  ProcessSupervisor& supervisor;
  std::function<std::unique_ptr<RunLock>(const fs::path&)> make_lock;
  std::map<std::string, std::string> environment;
  StopToken stop;              ///< the runner was asked to stop (SIGTERM, Ctrl-C, ...)
  RunProcesses run_processes;  ///< for cleaning up after a run that died
  std::string host;
  std::int64_t pid = 0;
  fs::path executable;    ///< this program, absolute: what a scheduler entry starts
  std::string user;       ///< who runs it: whom a scheduler entry runs as
  std::string scheduler;  ///< the OS's own scheduler: "systemd", "cron" or "windows"
  /// How alerts leave the machine (HTTP, SMTP), trusting the CAs in ca_file ("" for the
  /// system's).
  std::function<std::unique_ptr<NotifyTransport>(const fs::path& ca_file)> make_transport;
  std::ostream& out;
  std::ostream& err;
};

}  // namespace pipeline
