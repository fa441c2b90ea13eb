// Windows: Ctrl-C / Ctrl-Break / console close set the flag. Unbuilt until issue 9 (the Windows
// lane).
#include <windows.h>

#include <csignal>

#include "platform/stop_signals.hpp"
#include "platform/stop_signals_native.hpp"

namespace pipeline {
namespace {

BOOL WINAPI on_console_event(DWORD type) {
  record_stop_request(type == CTRL_C_EVENT ? SIGINT : SIGTERM);
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
