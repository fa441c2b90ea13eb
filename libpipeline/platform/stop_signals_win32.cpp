// Windows: a console's control events set the flag, as signals do on POSIX. Ctrl-C and
// Ctrl-Break end the run 130 (SIGINT's 128+N), closing the console, logging off and shutting
// down end it 143 (SIGTERM's), as SPEC 13 says.
#include <windows.h>

#include <csignal>

#include "platform/stop_signals.hpp"
#include "platform/stop_signals_native.hpp"

namespace pipeline {
namespace {

BOOL WINAPI on_console_event(DWORD type) {
  const bool interrupt = type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT;
  record_stop_request(interrupt ? SIGINT : SIGTERM);
  // After a close, logoff or shutdown event Windows ends the process as soon as this returns:
  // waiting here gives the run its few seconds to stop its stage, write its report and
  // release the lock (the process exits from main, which ends this thread too).
  if (!interrupt) Sleep(INFINITE);
  return TRUE;
}

}  // namespace

void install_stop_handlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  SetConsoleCtrlHandler(on_console_event, TRUE);
}

}  // namespace pipeline
