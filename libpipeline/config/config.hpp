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
#include "util/time_zone.hpp"

namespace pipeline {

namespace fs = std::filesystem;

struct Backoff {
  Millis initial{5000};
  double factor = 2.0;
  Millis max{300'000};
};

/// Which failures a stage retries: `timeout`, `hang`, `exit:N`, `exit` (any non-zero),
/// `signal` (killed by a signal), `start` (could not start), `count` (a count mismatch).
struct RetryCondition {
  enum class Kind { kTimeout, kHang, kExitCode, kAnyExit, kSignal, kStart, kCount };
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

/// A stage run once per due time window (SPEC 11). Windows follow the zone's wall clock:
/// their boundaries are where it reads origin + k x every (a 1h window is an hour, 23 of them
/// on a day the clock goes forward; 1d windows run from local midnight to local midnight).
struct WindowsConfig {
  std::chrono::seconds every{};   ///< a window's length on the wall clock
  std::int64_t origin_local = 0;  ///< the first window's start, on the zone's wall clock
  std::string start;              ///< as written
  TimeZone zone;                  ///< default UTC
  std::chrono::seconds lag{};     ///< a window is due once its end is this far in the past
  int max_per_run = 10;           ///< windows one run works through, at most
  bool strict = true;             ///< order: strict (stop at a failed window) | independent
  SourceMark mark;

  /// What identifies the grid: windows kept under another grid are not this one's.
  std::string grid_key() const;
};

/// Numbers a stage prints (SPEC 11): each named pattern's last match over its output is
/// recorded; with source, target and tolerance they are compared.
struct CountsConfig {
  std::vector<std::pair<std::string, std::string>> patterns;  ///< name -> regex, one capture
  std::optional<double> tolerance;  ///< a fraction (0.005 for 0.5%), with source and target
};

/// `quarantine` (SPEC 12): an input whose item failed in `after` consecutive runs is moved
/// into `to` with a .error.txt, so one poison file no longer fails every run.
struct QuarantineConfig {
  int after = 3;
  Template to;
};

struct StageConfig {
  std::string name;
  SourceMark mark;
  std::vector<Template> command;
  std::optional<Template> cwd;
  EnvList env;  ///< defaults.env merged with the stage's own, the stage's winning
  std::optional<WhenClause> when;
  /// Files of when.files whose modification time is less than this old are not inputs yet
  /// (still being written or copied in): left for a later run. 0: every match is an input.
  Millis settle{};
  /// `foreach: input`: one process per input file (${input}), each its own item with its own
  /// attempts, logs and record; lifecycle acts on the inputs whose item succeeded.
  bool per_input = false;
  std::optional<QuarantineConfig> quarantine;  ///< with per_input only
  /// With per_input: at most this many of its items run at once (within Config::parallel).
  int workers = 1;
  Millis timeout{};
  Millis hang_timeout{};
  Millis grace{};
  std::optional<std::string> completion;  ///< regex source, checked at load
  std::optional<std::string> progress;    ///< regex with one capture group
  int retries = 0;
  Backoff backoff;
  std::vector<RetryCondition> retry_on;  ///< empty: any failure but a count mismatch
  std::optional<WindowsConfig> windows;
  std::optional<CountsConfig> counts;
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
  Millis settle{};  ///< a ready manifest modified less than this long ago waits for a later run
};

/// How often the OS scheduler starts a run (SPEC 13). `every` is a whole number of minutes
/// that divides an hour, hours that divide a day, or one day, so that cron, a systemd timer
/// and Task Scheduler all start runs at the same wall-clock times (:00, :15, ...).
struct ScheduleConfig {
  Millis every{};
};

/// Who is told what, and how (SPEC 9). Every string is a template expanded at delivery, so a
/// secret given as ${env.NAME} is read from the environment then and written nowhere.
struct NotifyConfig {
  /// Which outcomes are told: `on: [failure, recovery]` by default.
  struct On {
    bool failure = true;         ///< the first failing run of a streak
    bool recovery = true;        ///< the first succeeding run after a streak
    bool success = false;        ///< every succeeding run
    bool every_failure = false;  ///< every failing run, not only the first of a streak
    bool stale = false;          ///< the scheduler missed runs (3 x schedule.every)
  };
  struct Webhook {
    Template url;
    std::vector<std::pair<std::string, Template>> headers;
    Millis timeout{};
  };
  struct Email {
    Template server;  ///< smtp://host:587 (STARTTLS required) or smtps://host:465
    Template from;
    std::vector<Template> to;
    std::optional<Template> user;
    std::optional<Template> password;
    Millis timeout{};
  };
  struct Ping {
    Template url;  ///< GET after a run that is not failing, url + "/fail" after one that is
    Millis timeout{};
  };
  On on;
  fs::path ca_file;  ///< PEM bundle of the CAs trusted for HTTPS and SMTP; empty: the system's
  std::optional<Webhook> webhook;
  std::optional<Email> email;
  std::vector<Template> command;  ///< any program; PIPELINE_NOTIFY_JSON holds the payload
  Millis command_timeout{};
  std::optional<Ping> ping;
  /// All deliveries of one run together (kept alerts, the run's own, the ping) take at most
  /// this long; what is left waits for the next run.
  Millis budget{30'000};
};

/// Prometheus metrics for node_exporter's textfile collector (SPEC 10).
struct MetricsConfig {
  fs::path textfile;  ///< absolute, ends in .prom
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
  /// At most this many stage processes at once (SPEC 12). Above 1 a stage starts as soon as
  /// the stages its when.after names have finished; at 1 the stages run in config order.
  int parallel = 1;
  std::vector<LifecycleRule> lifecycle;
  std::optional<int> retention_keep_days;
  std::optional<int> retention_keep_runs;
  std::optional<BatchConfig> batches;
  Millis lock_wait{0};
  std::optional<ScheduleConfig> schedule;
  std::optional<NotifyConfig> notify;
  std::optional<MetricsConfig> metrics;
  /// Every NAME of a ${env.NAME} the config names: their values are secrets, written nowhere
  /// (SPEC 9).
  std::vector<std::string> env_names;

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
