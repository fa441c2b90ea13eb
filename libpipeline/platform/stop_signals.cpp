#include "platform/stop_signals.hpp"

#include <csignal>

#ifdef _WIN32
#include <windows.h>
#endif

namespace pipeline {
namespace {

volatile std::sig_atomic_t g_stop = 0;
static_assert(sizeof(std::sig_atomic_t) == sizeof(int), "the flag is read as an int");

#ifdef _WIN32
BOOL WINAPI on_console_event(DWORD type) {
  g_stop = type == CTRL_C_EVENT ? SIGINT : SIGTERM;
  return TRUE;
}
#else
extern "C" void on_stop_signal(int sig) {
  if (g_stop == 0) g_stop = sig;
}
#endif

}  // namespace

void install_stop_handlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
#ifdef _WIN32
  SetConsoleCtrlHandler(on_console_event, TRUE);
#else
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking call returns and the flag is seen promptly
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
#endif
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
