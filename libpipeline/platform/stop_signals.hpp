#pragma once
/// The runner's own stop requests (SIGTERM, SIGINT, SIGHUP; Ctrl-C/Ctrl-Break/close on
/// Windows), handled in one place and turned into a flag that the supervisor and the clock
/// poll. Nothing but the flag is touched in a handler.

#include "ports/stop_token.hpp"

namespace pipeline {

/// Installs the handlers once; later calls do nothing.
void install_stop_handlers();

/// The stop request the handlers set, for the clock, the supervisor and the run.
StopToken stop_token();

}  // namespace pipeline
