#pragma once
/// Between stop_signals.cpp (the flag) and its _posix/_win32 pair (the handlers).

namespace pipeline {

/// Sets the stop flag to sig unless a request came first. Safe in a signal handler.
void record_stop_request(int sig);

}  // namespace pipeline
