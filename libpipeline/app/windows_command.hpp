#pragma once
/// `pipeline_runner windows list|reset` (SPEC 11): every window of the windowed stages as the
/// state store keeps it, and a backfill that marks a range pending again, under the run lock.

#include <string>
#include <vector>

#include "app/machine.hpp"
#include "config/config.hpp"
#include "records/run_report.hpp"

namespace pipeline {

struct WindowsRequest {
  std::string action;  ///< "list" or "reset"
  std::string stage;   ///< list: only this stage; reset: required
  std::string status;  ///< list: only windows in this state
  std::string from;    ///< reset: the range, as a time or a window id
  std::string to;      ///< reset: its end (exclusive); empty: every later window
  bool json = false;
};

int windows_command(Machine& machine, const Config& config, const WindowsRequest& request);

/// Where each windowed stage stands, from the state store (for status, metrics and the
/// dashboard); empty when no stage has windows. A store that cannot be read leaves `error`.
std::vector<WindowSummary> read_window_summaries(const Machine& machine, const Config& config,
                                                 std::string& error);

}  // namespace pipeline
