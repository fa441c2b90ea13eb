#pragma once
/// The OS scheduler's entry for a pipeline (SPEC 13): a file for /etc/cron.d, a systemd service
/// and timer, or a Task Scheduler XML definition. Text only, no OS call: every scheduler's
/// entry is tested on every platform, and `schedule show --for X` works anywhere.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/duration.hpp"

namespace pipeline {

enum class Scheduler { kCron, kSystemd, kWindows };

std::optional<Scheduler> scheduler_from_string(std::string_view name);
std::string to_string(Scheduler s);

/// What an entry starts, how often, and as whom.
struct ScheduleTarget {
  std::string pipeline;
  Millis every{};         ///< a valid schedule.every (config.hpp says which)
  std::string runner;     ///< absolute path of pipeline_runner, spelled for its OS
  std::string config;     ///< absolute path of the config file, spelled for its OS
  std::string user;       ///< cron's user field; systemd's User= unless it is root
  Millis stop_timeout{};  ///< systemd: how long a stopped run may take to end its stages
};

/// One file of an entry, at its place under the install root.
struct ScheduleFile {
  std::string path;  ///< relative to the root, e.g. etc/cron.d/pipeline_runner-market-data
  std::string text;
};

/// The name the OS knows the entry by: `pipeline_runner-<pipeline>`. For cron each '.' becomes
/// '_': cron skips a file in /etc/cron.d whose name has a dot in it, without a word.
std::string schedule_name(Scheduler s, const std::string& pipeline);

/// The cron file, or the systemd service and timer (in that order). Throws UsageError for a
/// path the entry cannot carry (a line break or another control character).
std::vector<ScheduleFile> schedule_files(Scheduler s, const ScheduleTarget& t);

/// The Task Scheduler definition, declared in `encoding` ("UTF-8" to print, "UTF-16" for the
/// file schtasks reads). Paths are given with '\'.
std::string task_scheduler_xml(const ScheduleTarget& t, std::string_view encoding);

/// The comment line each cron and systemd file carries with the config it runs, so that
/// install and remove never replace or delete the entry of another config.
std::string schedule_owner_line(const std::string& config);

/// The config named by a file's owner line; nullopt when the file has none (not ours).
std::optional<std::string> schedule_owner(const std::string& file_text);

}  // namespace pipeline
