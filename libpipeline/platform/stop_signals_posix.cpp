#include <csignal>

#include "platform/stop_signals.hpp"

namespace pipeline {
namespace {

volatile std::sig_atomic_t g_stop = 0;
static_assert(sizeof(std::sig_atomic_t) == sizeof(int), "the flag is read as an int");

extern "C" void on_stop_signal(int sig) {
  if (g_stop == 0) g_stop = sig;
}

}  // namespace

void install_stop_handlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking call returns and the flag is seen promptly
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
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
