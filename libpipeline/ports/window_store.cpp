#include "ports/window_store.hpp"

namespace pipeline {

std::string_view to_string(WindowState s) {
  switch (s) {
    case WindowState::kPending:
      return "pending";
    case WindowState::kRunning:
      return "running";
    case WindowState::kSucceeded:
      return "succeeded";
    case WindowState::kFailed:
      return "failed";
  }
  return "pending";
}

std::optional<WindowState> window_state_from_string(std::string_view s) {
  for (auto w : {WindowState::kPending, WindowState::kRunning, WindowState::kSucceeded,
                 WindowState::kFailed}) {
    if (to_string(w) == s) return w;
  }
  return std::nullopt;
}

}  // namespace pipeline
