#pragma once
/// The state store (state/state.db) looked at before a run or a `windows reset` uses it
/// (SPEC 14): a damaged one is moved aside, and a lost one (deleted by hand, or just moved
/// aside) gets back what the reports know: every window of the windowed stages, with its
/// outcome. What no report holds (the failure counts of quarantine, alerts kept for a later
/// delivery) is said to be lost, never silently.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/machine.hpp"
#include "config/config.hpp"
#include "core/window_restore.hpp"

namespace pipeline {

struct StateRepair {
  std::string damaged;   ///< why the store could not be used; "" when it could (or was missing)
  std::string moved_to;  ///< where the damaged store went; "" when it could not be moved
  bool missing = false;  ///< there was none, though earlier runs used one
  std::vector<RestoredWindows> restored;
  std::string lost;  ///< what the store kept that no report holds; "" for nothing

  bool happened() const { return !damaged.empty() || missing; }
  /// One sentence for the event, the run log and, for a damaged store, the report's errors.
  std::string message() const;
  nlohmann::json to_json() const;
};

/// Looks at the store before anything uses it and mends what it can: moves a damaged one
/// aside and rebuilds the windows of a lost one from the reports. Call under the run lock.
StateRepair repair_state_store(Machine& machine, const Config& config, TimePoint now);

}  // namespace pipeline
