#include <csignal>

#include "platform/stop_signals.hpp"
#include "platform/stop_signals_native.hpp"

namespace pipeline {
namespace {

extern "C" void on_stop_signal(int sig) {
  record_stop_request(sig);
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

}  // namespace pipeline
