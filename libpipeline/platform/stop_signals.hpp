#pragma once
/// The runner's own stop requests (SIGTERM, SIGINT, SIGHUP; Ctrl-C/Ctrl-Break/close on
/// Windows), handled in one place and turned into a flag that the supervisor and the clock
/// poll. Nothing but the flag is touched in a handler.

#include <optional>

namespace pipeline {

/// Installs the handlers once; later calls do nothing.
void install_stop_handlers();

/// The flag the handlers set: 0, or the number of the signal that asked us to stop.
const volatile int* stop_flag();

/// 128+N once a stop signal N arrived, else nullopt (the exit code of an aborted run).
std::optional<int> stop_exit_code();

}  // namespace pipeline
