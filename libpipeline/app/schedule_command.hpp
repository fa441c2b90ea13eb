#pragma once
/// `pipeline_runner schedule show|install|remove` (SPEC 13): the OS scheduler's entry that
/// starts `--run-once` every `schedule.every`.

#include <string>

#include "app/machine.hpp"
#include "config/config.hpp"

namespace pipeline {

struct ScheduleRequest {
  std::string action;     ///< show, install or remove
  std::string scheduler;  ///< --for: cron, systemd or windows; empty: the machine's own
  /// --root: where /etc of the cron and systemd files is ("/" on a live system; a folder for a
  /// package or a test). systemctl is called only for the live system.
  fs::path root = "/";
};

int schedule_command(Machine& machine, const Config& config, const ScheduleRequest& request);

}  // namespace pipeline
