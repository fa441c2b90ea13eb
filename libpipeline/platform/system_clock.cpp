#include "platform/system_clock.hpp"

#include <thread>

namespace pipeline {

bool SystemClock::sleep_for(Millis d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (true) {
    if (stop_.requested()) return false;
    auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, Millis(50)));
  }
}

}  // namespace pipeline
