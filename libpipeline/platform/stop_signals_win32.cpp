// Windows: Ctrl-C / Ctrl-Break / console close set the flag. Unbuilt until issue 9 (the Windows
// lane).
#include <windows.h>

#include <csignal>

#include "platform/stop_signals.hpp"

namespace pipeline {
namespace {

volatile LONG g_stop = 0;
static_assert(sizeof(LONG) == sizeof(int), "the flag is read as an int");

BOOL WINAPI on_console_event(DWORD type) {
  InterlockedCompareExchange(&g_stop, type == CTRL_C_EVENT ? SIGINT : SIGTERM, 0);
  return TRUE;
}

}  // namespace

void install_stop_handlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  SetConsoleCtrlHandler(on_console_event, TRUE);
}

const volatile int* stop_flag() {
  return reinterpret_cast<const volatile int*>(&g_stop);
}

std::optional<int> stop_exit_code() {
  int sig = g_stop;
  if (sig == 0) return std::nullopt;
  return 128 + sig;
}

}  // namespace pipeline
