#pragma once
/// The pipeline configuration (SPEC section 3), loaded strictly: every error names
/// FILE:LINE:COL, unknown keys suggest the nearest known one.

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/placeholders.hpp"
#include "util/duration.hpp"
#include "util/paths.hpp"

namespace pipeline {

namespace fs = std::filesystem;

struct Backoff {
  Millis initial{5000};
  double factor = 2.0;
  Millis max{300'000};
};

/// Which failures a stage retries: `timeout`, `hang`, `exit:N`, `exit` (any non-zero),
/// `signal` (killed by a signal), `start` (could not start).
struct RetryCondition {
  enum class Kind { kTimeout, kHang, kExitCode, kAnyExit, kSignal, kStart };
  Kind kind;
  int code = 0;
};

using EnvList = std::vector<std::pair<std::string, Template>>;

struct WhenClause {
  std::vector<Template> files;  ///< globs; the matches become the stage's inputs
  std::optional<Template> missing;
  std::vector<int> days_of_month;
  std::vector<std::string> after;
};

struct StageConfig {
  std::string name;
  SourceMark mark;
  std::vector<Template> command;
  std::optional<Template> cwd;
  EnvList env;  ///< defaults.env merged with the stage's own, the stage's winning
  std::optional<WhenClause> when;
  Millis timeout{};
  Millis hang_timeout{};
  Millis grace{};
  std::optional<std::string> completion;  ///< regex source, checked at load
  std::optional<std::string> progress;    ///< regex with one capture group
  int retries = 0;
  Backoff backoff;
  std::vector<RetryCondition> retry_on;  ///< empty: any failure
};

struct LifecycleRule {
  enum class Action { kDelete, kMove };
  Action action = Action::kDelete;
  std::string stage;  ///< whose snapshotted inputs
  std::optional<Template> to;
  std::vector<std::string> when_succeeded;
  SourceMark mark;
};

/// Manifest hot-folder mode (SPEC section 8): absolute folders, fixed for the run.
struct BatchConfig {
  fs::path hotfolder;
  fs::path archive;
  fs::path error;
  int max_per_run = 10;
};

/// How often the OS scheduler starts a run (SPEC 13). `every` is a whole number of minutes
/// that divides an hour, hours that divide a day, or one day, so that cron, a systemd timer
/// and Task Scheduler all start runs at the same wall-clock times (:00, :15, ...).
struct ScheduleConfig {
  Millis every{};
};

struct Config {
  fs::path file;       ///< absolute path of the config file
  std::string sha256;  ///< of its bytes
  std::string pipeline;
  fs::path root;
  std::vector<std::pair<std::string, fs::path>> paths;  ///< absolute, in config order
  fs::path logs;
  fs::path state;
  std::vector<StageConfig> stages;
  std::vector<LifecycleRule> lifecycle;
  std::optional<int> retention_keep_days;
  std::optional<int> retention_keep_runs;
  std::optional<BatchConfig> batches;
  Millis lock_wait{0};
  std::optional<ScheduleConfig> schedule;

  const StageConfig* find_stage(std::string_view name) const;
};

/// Reads and validates a config file; throws UsageError with `FILE:LINE:COL: message`.
/// env looks up the runner's environment for ${env.NAME} in root and paths.
Config load_config(const fs::path& file,
                   const std::function<std::optional<std::string>(const std::string&)>& env);

/// Parses config text as if read from `file` (which is used for messages and the root).
Config parse_config(const std::string& text, const fs::path& file,
                    const std::function<std::optional<std::string>(const std::string&)>& env);

/// The closest of candidates to word, if close enough to be a likely typo.
std::optional<std::string> nearest_word(const std::string& word,
                                        const std::vector<std::string>& candidates);

}  // namespace pipeline
