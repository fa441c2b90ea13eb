#include "platform/stop_signals.hpp"

#include <csignal>

#include "platform/stop_signals_native.hpp"

namespace pipeline {
namespace {

volatile std::sig_atomic_t g_stop = 0;
static_assert(sizeof(std::sig_atomic_t) == sizeof(int), "the flag is read as an int");

}  // namespace

void record_stop_request(int sig) {
  if (g_stop == 0) g_stop = sig;  // the first request names the exit code
}

StopToken stop_token() {
  return StopToken(reinterpret_cast<const volatile int*>(&g_stop));
}

}  // namespace pipeline
