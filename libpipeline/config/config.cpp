#include "config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "util/error.hpp"
#include "util/line_pattern.hpp"
#include "util/paths.hpp"
#include "util/sha256.hpp"

namespace pipeline {
namespace {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Past a year no timeout, wait or backoff means anything, and deadlines stay far from the
// clocks' limits (200000d overflowed into a 3 ms timeout).
constexpr Millis kMaxDuration = std::chrono::hours(24 * 365);

constexpr long kMaxParallel = 256;  // processes in flight: more is a typo, not a plan

const std::vector<std::string> kTopKeys = {
    "version",   "pipeline",  "root", "paths",   "logs",     "state",  "defaults", "stages",
    "lifecycle", "retention", "lock", "batches", "schedule", "notify", "metrics",  "parallel"};
const std::vector<std::string> kDefaultsKeys = {"timeout", "hang_timeout", "grace",
                                                "retries", "backoff",      "env"};
const std::vector<std::string> kStageKeys = {
    "name",   "command",    "cwd",      "env",        "when",    "timeout",  "hang_timeout",
    "grace",  "completion", "progress", "retries",    "backoff", "retry_on", "windows",
    "counts", "settle",     "foreach",  "quarantine", "workers"};
const std::vector<std::string> kWindowsKeys = {"every",    "start",       "lag",
                                               "timezone", "max_per_run", "order"};
const std::vector<std::string> kQuarantineKeys = {"after", "to"};
const std::vector<std::string> kWhenKeys = {"files", "missing", "days_of_month", "after"};
const std::vector<std::string> kBackoffKeys = {"initial", "factor", "max"};
const std::vector<std::string> kLifecycleKeys = {"delete", "move", "to", "when_succeeded"};
const std::vector<std::string> kRetentionKeys = {"keep_days", "keep_runs"};
const std::vector<std::string> kLockKeys = {"wait"};
const std::vector<std::string> kScheduleKeys = {"every"};
const std::vector<std::string> kNotifyKeys = {"on",      "timeout", "budget",  "ca_file",
                                              "webhook", "email",   "command", "ping"};
const std::vector<std::string> kNotifyOn = {"failure", "recovery", "success", "every_failure",
                                            "stale"};
const std::vector<std::string> kWebhookKeys = {"url", "headers", "timeout"};
const std::vector<std::string> kEmailKeys = {"server", "from", "to", "user", "password", "timeout"};
const std::vector<std::string> kPingKeys = {"url", "timeout"};
const std::vector<std::string> kMetricsKeys = {"textfile"};
const std::vector<std::string> kBatchKeys = {"hotfolder", "archive", "error", "max_per_run",
                                             "settle"};

// Optimal string alignment distance: a swap of two neighbours counts as one typo.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

/// Walks the YAML tree with the file name at hand, so every error names its position.
class Reader {
 public:
  Reader(std::string file, EnvLookup env) : file_(std::move(file)), env_(std::move(env)) {}

  SourceMark mark(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    if (m.is_null()) return {file_, 0, 0};
    return {file_, m.line + 1, m.column + 1};
  }

  [[noreturn]] void fail(const YAML::Node& n, const std::string& message) const {
    throw UsageError(mark(n).str() + ": " + message);
  }

  void require_map(const YAML::Node& n, const std::string& what) const {
    if (!n.IsMap()) fail(n, what + " must be a mapping of keys to values");
  }

  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                  const std::string& where) const {
    require_map(map, where);
    std::set<std::string> seen;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) fail(kv.first, "a key in " + where + " must be a plain name");
      std::string key = kv.first.Scalar();
      if (!seen.insert(key).second) fail(kv.first, "duplicate key '" + key + "' in " + where);
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string message = "unknown key '" + key + "' in " + where;
      if (auto near = nearest_word(key, allowed)) message += "; did you mean '" + *near + "'?";
      fail(kv.first, message);
    }
  }

  std::string scalar(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, what + " must be a single value");
    return n.Scalar();
  }

  Template templ(const YAML::Node& n, const std::string& what) const {
    return Template(scalar(n, what), mark(n));
  }

  Millis duration(const YAML::Node& n, const std::string& what) const {
    std::string text = scalar(n, what);
    auto d = parse_duration(text);
    if (!d) {
      fail(n, what + " '" + text +
                  "' is not a duration: write a number with a unit (ms, s, m, h, d), "
                  "e.g. 30s or 1h30m");
    }
    if (*d > kMaxDuration) fail(n, what + " '" + text + "' is more than 365d, the longest allowed");
    return *d;
  }

  long integer(const YAML::Node& n, const std::string& what, long lo, long hi) const {
    std::string text = scalar(n, what);
    std::size_t used = 0;
    long v = 0;
    try {
      v = std::stol(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size()) fail(n, what + " '" + text + "' is not a whole number");
    if (v < lo || v > hi) {
      fail(n, what + " " + text + " is out of range (" + std::to_string(lo) + " to " +
                  std::to_string(hi) + ")");
    }
    return v;
  }

  double number(const YAML::Node& n, const std::string& what) const {
    std::string text = scalar(n, what);
    std::istringstream in(text);
    in.imbue(std::locale::classic());
    double v = 0;
    if (!(in >> v) || !in.eof()) fail(n, what + " '" + text + "' is not a number");
    return v;
  }

  std::vector<YAML::Node> list(const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence()) fail(n, what + " must be a list");
    return {n.begin(), n.end()};
  }

  // A scalar or a list of scalars.
  std::vector<YAML::Node> one_or_list(const YAML::Node& n, const std::string& what) const {
    if (n.IsScalar()) return {n};
    return list(n, what);
  }

  std::string expand_root_scope(const YAML::Node& n, const std::string& what,
                                const std::map<std::string, std::string>& scalars) const {
    Template t = templ(n, what);
    PlaceholderValues values;
    values.scalars = scalars;
    values.env = env_;
    for (const auto& part : t.parts()) {
      if (part.placeholder && !scalars.count(part.text) && part.text.rfind("env.", 0) != 0) {
        std::string allowed;
        for (const auto& [name, _] : scalars) allowed += "${" + name + "}, ";
        fail(n, what + " may only use " + allowed + "${env.NAME}, not ${" + part.text + "}");
      }
    }
    std::string text = expand(t, values);
    if (unc_path_unsupported(text)) {
      fail(n, what + " '" + text +
                  "' is a UNC path, which this build of the runner cannot keep (it would read it "
                  "as a folder on the current drive): map the share to a drive letter (net use "
                  "R: \\\\server\\share /persistent:yes) or link a local folder to it (mklink /D)");
    }
    return text;
  }

 private:
  std::string file_;
  EnvLookup env_;
};

bool valid_name(const std::string& s, std::size_t max_len, bool allow_upper_dot) {
  if (s.empty() || s.size() > max_len) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') return true;
    return allow_upper_dot && ((c >= 'A' && c <= 'Z') || c == '.');
  });
}

bool valid_env_name(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

struct Defaults {
  Millis timeout{30 * 60'000};
  Millis hang_timeout{5 * 60'000};
  Millis grace{10'000};
  int retries = 0;
  Backoff backoff;
  EnvList env;
};

Backoff read_backoff(const Reader& r, const YAML::Node& n, Backoff b, const std::string& where) {
  r.check_keys(n, kBackoffKeys, where);
  if (n["initial"]) b.initial = r.duration(n["initial"], where + ".initial");
  if (n["max"]) b.max = r.duration(n["max"], where + ".max");
  if (n["factor"]) {
    b.factor = r.number(n["factor"], where + ".factor");
    if (!(b.factor >= 1.0 && b.factor <= 100.0)) {
      r.fail(n["factor"], where + ".factor must be between 1 and 100");
    }
  }
  return b;
}

EnvList read_env(const Reader& r, const YAML::Node& n, const std::string& where,
                 const KnownNames& known) {
  r.require_map(n, where);
  EnvList out;
  for (const auto& kv : n) {
    std::string key = r.scalar(kv.first, "an environment variable name");
    if (!valid_env_name(key)) r.fail(kv.first, "'" + key + "' is not a valid environment name");
    Template value = r.templ(kv.second, where + "." + key);
    value.check(PlaceholderScope::kStage, known);
    out.emplace_back(key, std::move(value));
  }
  return out;
}

void set_env(EnvList& env, const std::string& key, const Template& value) {
  for (auto& [k, v] : env) {
    if (k == key) {
      v = value;
      return;
    }
  }
  env.emplace_back(key, value);
}

std::string compile_regex(const Reader& r, const YAML::Node& n, const std::string& what,
                          int captures) {
  std::string source = r.scalar(n, what);
  if (std::string why = line_pattern_error(source, captures); !why.empty()) {
    r.fail(n, what + " " + why);
  }
  return source;
}

RetryCondition parse_retry_condition(const Reader& r, const YAML::Node& n) {
  std::string s = r.scalar(n, "retry_on entry");
  using K = RetryCondition::Kind;
  if (s == "timeout") return {K::kTimeout};
  if (s == "hang") return {K::kHang};
  if (s == "exit") return {K::kAnyExit};
  if (s == "signal") return {K::kSignal};
  if (s == "start") return {K::kStart};
  if (s == "count") return {K::kCount};
  if (s.rfind("exit:", 0) == 0) {
    std::string digits = s.substr(5);
    if (!digits.empty() && digits.size() <= 3 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      int code = std::stoi(digits);
      if (code >= 1 && code <= 255) return {K::kExitCode, code};
    }
  }
  std::string message = "unknown retry condition '" + s +
                        "': use timeout, hang, exit, exit:N (1-255), signal, start or count";
  if (auto near = nearest_word(s, {"timeout", "hang", "exit", "signal", "start", "count"})) {
    message += "; did you mean '" + *near + "'?";
  }
  r.fail(n, message);
}

WindowsConfig read_windows(const Reader& r, const YAML::Node& n, const std::string& where) {
  r.check_keys(n, kWindowsKeys, where + " windows");
  WindowsConfig w;
  w.mark = r.mark(n);
  if (!n["every"]) r.fail(n, where + ": windows needs 'every' (the window length, e.g. 2h)");
  if (!n["start"]) {
    r.fail(n, where + ": windows needs 'start' (when the first window begins, e.g. 2026-01-01)");
  }
  const Millis every = r.duration(n["every"], "windows.every");
  if (every < std::chrono::minutes(1) || every.count() % 1000 != 0) {
    r.fail(n["every"], "windows.every must be whole seconds, at least 1m");
  }
  w.every = std::chrono::duration_cast<std::chrono::seconds>(every);
  if (n["lag"]) {
    const Millis lag = r.duration(n["lag"], "windows.lag");
    w.lag = std::chrono::ceil<std::chrono::seconds>(lag);
  }
  if (n["timezone"]) {
    std::string name = r.scalar(n["timezone"], "windows.timezone");
    try {
      w.zone = TimeZone::named(name);
    } catch (const std::exception& e) {
      r.fail(n["timezone"], e.what());
    }
  }
  w.start = r.scalar(n["start"], "windows.start");
  auto civil = parse_civil_time(w.start);
  if (!civil) {
    r.fail(n["start"], "windows.start '" + w.start + "' is not a time " + kYearRange +
                           ": write 2026-01-01, 2026-01-01T06:00 (on the timezone's clock) or "
                           "2026-01-01T06:00:00Z");
  }
  // An instant as written is read on the zone's clock: the grid is a wall-clock grid.
  if (civil->offset) {
    const std::int64_t instant = civil->local_seconds - *civil->offset;
    w.origin_local = instant + w.zone.offset_at(instant);
  } else {
    w.origin_local = civil->local_seconds;
  }
  if (n["max_per_run"]) {
    w.max_per_run = static_cast<int>(r.integer(n["max_per_run"], "windows.max_per_run", 1, 10000));
  }
  if (n["order"]) {
    std::string order = r.scalar(n["order"], "windows.order");
    if (order != "strict" && order != "independent") {
      r.fail(n["order"], "windows.order '" + order + "' must be strict or independent");
    }
    w.strict = order == "strict";
  }
  return w;
}

// "0.5%" -> 0.005; "0" -> 0.
double read_tolerance(const Reader& r, const YAML::Node& n) {
  std::string text = r.scalar(n, "counts.tolerance");
  std::string digits = text;
  if (!digits.empty() && digits.back() == '%') digits.pop_back();
  std::istringstream in(digits);
  in.imbue(std::locale::classic());
  double v = -1;
  if (!(in >> v) || !in.eof() || (digits == text && v != 0) || v < 0 || v > 100) {
    r.fail(n, "counts.tolerance '" + text + "' must be a percentage from 0% to 100%, e.g. 0.5%");
  }
  return v / 100.0;
}

CountsConfig read_counts(const Reader& r, const YAML::Node& n, const std::string& where) {
  r.require_map(n, where + " counts");
  CountsConfig c;
  const YAML::Node* tolerance = nullptr;
  for (const auto& kv : n) {
    std::string name = r.scalar(kv.first, "a count name");
    if (name == "tolerance") {
      tolerance = &kv.second;
      c.tolerance = read_tolerance(r, kv.second);
      continue;
    }
    if (!valid_name(name, 32, false)) {
      r.fail(kv.first, "count name '" + name + "' must be 1-32 of a-z, 0-9, '_' and '-'");
    }
    for (const auto& [known, _] : c.patterns) {
      if (known == name) r.fail(kv.first, "duplicate count '" + name + "'");
    }
    c.patterns.emplace_back(name, compile_regex(r, kv.second, "count '" + name + "'", 1));
  }
  auto has = [&](const char* name) {
    return std::any_of(c.patterns.begin(), c.patterns.end(),
                       [&](const auto& p) { return p.first == name; });
  };
  if (tolerance && (!has("source") || !has("target"))) {
    r.fail(*tolerance, "counts.tolerance compares 'source' with 'target': name both patterns");
  }
  if (c.patterns.empty()) r.fail(n, where + ": counts needs at least one named pattern");
  return c;
}

// A stage's handling of its input files (SPEC 12): foreach, quarantine, settle.
void read_input_options(const Reader& r, const YAML::Node& n, const std::string& where,
                        const KnownNames& known, StageConfig& s) {
  if (n["foreach"]) {
    if (r.scalar(n["foreach"], "foreach") != "input") {
      r.fail(n["foreach"], where + ": foreach takes 'input' (one process per input file)");
    }
    if (!s.when || s.when->files.empty()) {
      r.fail(n["foreach"], where + ": foreach: input needs when.files (its inputs)");
    }
    if (n["windows"]) r.fail(n["foreach"], where + ": foreach and windows do not mix");
    s.per_input = true;
  }
  if (const YAML::Node q = n["quarantine"]) {
    r.require_map(q, "quarantine");
    r.check_keys(q, kQuarantineKeys, "quarantine");
    if (!s.per_input) {
      r.fail(q, where +
                    ": quarantine needs 'foreach: input' (it counts the failures of each "
                    "input's item)");
    }
    if (!q["to"]) r.fail(q, where + ": quarantine needs 'to' (the folder poison inputs go to)");
    QuarantineConfig c;
    if (q["after"]) c.after = static_cast<int>(r.integer(q["after"], "quarantine.after", 1, 1000));
    c.to = r.templ(q["to"], "quarantine.to");
    c.to.check(PlaceholderScope::kRun, known);
    s.quarantine = std::move(c);
  }
  if (n["workers"]) {
    s.workers = static_cast<int>(r.integer(n["workers"], "workers", 1, kMaxParallel));
    if (!s.per_input) {
      r.fail(n["workers"], where + ": workers needs 'foreach: input' (they run its items)");
    }
  }
  if (n["settle"]) {
    s.settle = r.duration(n["settle"], "settle");
    if (!s.when || s.when->files.empty()) {
      r.fail(n["settle"], where +
                              ": settle needs when.files (it leaves input files that are "
                              "still changing for a later run)");
    }
  }
}

StageConfig read_stage(const Reader& r, const YAML::Node& n, const Defaults& d,
                       const KnownNames& run_known, const std::vector<std::string>& earlier) {
  r.check_keys(n, kStageKeys, "a stage");
  KnownNames known = run_known;
  known.windowed = n["windows"].IsDefined();
  known.per_input = n["foreach"].IsDefined();
  StageConfig s;
  s.mark = r.mark(n);
  if (!n["name"]) r.fail(n, "a stage needs a name");
  s.name = r.scalar(n["name"], "name");
  std::string where = "stage '" + s.name + "'";
  if (!valid_name(s.name, 32, false)) {
    r.fail(n["name"], "stage name '" + s.name + "' must be 1-32 of a-z, 0-9, '_' and '-'");
  }
  if (std::find(earlier.begin(), earlier.end(), s.name) != earlier.end()) {
    r.fail(n["name"], "a stage named '" + s.name + "' is already defined");
  }
  if (!n["command"]) r.fail(n, where + " needs a command (a list: [program, arg, ...])");
  if (n["command"].IsScalar()) {
    r.fail(n["command"], where +
                             ": command must be a list of arguments, not a string; write "
                             "[\"sh\", \"-c\", \"...\"] if a shell is really wanted");
  }
  for (const auto& e : r.list(n["command"], where + " command")) {
    Template t = r.templ(e, "a command element");
    t.check(PlaceholderScope::kCommand, known);
    s.command.push_back(std::move(t));
  }
  if (s.command.empty()) r.fail(n["command"], where + ": command must not be empty");
  if (s.command.front().is_exactly("inputs")) {
    r.fail(n["command"], where + ": the program (first command element) cannot be ${inputs}");
  }
  if (n["cwd"]) {
    s.cwd = r.templ(n["cwd"], where + " cwd");
    s.cwd->check(PlaceholderScope::kStage, known);
  }
  s.env = d.env;
  if (n["env"]) {
    for (auto& [k, v] : read_env(r, n["env"], where + " env", known)) set_env(s.env, k, v);
  }
  if (const YAML::Node w = n["when"]) {
    r.check_keys(w, kWhenKeys, where + " when");
    if (w.size() == 0) r.fail(w, where + ": when needs at least one condition (or leave it out)");
    WhenClause when;
    if (w["files"]) {
      for (const auto& g : r.one_or_list(w["files"], "when.files")) {
        Template t = r.templ(g, "when.files");
        t.check(PlaceholderScope::kRun, known);
        when.files.push_back(std::move(t));
      }
      if (when.files.empty()) r.fail(w["files"], "when.files needs at least one glob");
    }
    if (w["missing"]) {
      when.missing = r.templ(w["missing"], "when.missing");
      when.missing->check(PlaceholderScope::kRun, known);
    }
    if (w["days_of_month"]) {
      for (const auto& day : r.list(w["days_of_month"], "when.days_of_month")) {
        when.days_of_month.push_back(static_cast<int>(r.integer(day, "a day of the month", 1, 31)));
      }
    }
    if (w["after"]) {
      for (const auto& a : r.one_or_list(w["after"], "when.after")) {
        std::string name = r.scalar(a, "when.after entry");
        if (std::find(earlier.begin(), earlier.end(), name) == earlier.end()) {
          std::string message = "when.after names '" + name +
                                "', which is not a stage defined before '" + s.name + "'";
          if (auto near = nearest_word(name, earlier)) message += "; did you mean '" + *near + "'?";
          r.fail(a, message);
        }
        when.after.push_back(name);
      }
    }
    s.when = std::move(when);
  }
  read_input_options(r, n, where, known, s);
  s.timeout = n["timeout"] ? r.duration(n["timeout"], "timeout") : d.timeout;
  s.hang_timeout =
      n["hang_timeout"] ? r.duration(n["hang_timeout"], "hang_timeout") : d.hang_timeout;
  s.grace = n["grace"] ? r.duration(n["grace"], "grace") : d.grace;
  if (s.timeout.count() == 0) r.fail(n["timeout"], where + ": timeout must be more than 0s");
  if (n["completion"]) s.completion = compile_regex(r, n["completion"], "completion", -1);
  if (n["progress"]) s.progress = compile_regex(r, n["progress"], "progress", 1);
  s.retries =
      n["retries"] ? static_cast<int>(r.integer(n["retries"], "retries", 0, 100)) : d.retries;
  s.backoff =
      n["backoff"] ? read_backoff(r, n["backoff"], d.backoff, where + " backoff") : d.backoff;
  if (n["retry_on"]) {
    for (const auto& c : r.one_or_list(n["retry_on"], "retry_on")) {
      s.retry_on.push_back(parse_retry_condition(r, c));
    }
  }
  if (n["windows"]) {
    if (known.batch_mode) {
      r.fail(n["windows"], where +
                               ": windows and batches do not mix (a run works through either "
                               "its batches or its time windows)");
    }
    s.windows = read_windows(r, n["windows"], where);
  }
  if (n["counts"]) s.counts = read_counts(r, n["counts"], where);
  return s;
}

LifecycleRule read_lifecycle(const Reader& r, const YAML::Node& n, const Config& cfg,
                             const KnownNames& known) {
  r.check_keys(n, kLifecycleKeys, "a lifecycle rule");
  LifecycleRule rule;
  rule.mark = r.mark(n);
  bool del = static_cast<bool>(n["delete"]), mv = static_cast<bool>(n["move"]);
  if (del == mv) r.fail(n, "a lifecycle rule needs exactly one of 'delete' or 'move'");
  rule.action = del ? LifecycleRule::Action::kDelete : LifecycleRule::Action::kMove;
  const YAML::Node target = del ? n["delete"] : n["move"];
  std::string what = r.scalar(target, "the lifecycle target");
  const std::string suffix = ".inputs";
  if (what.size() <= suffix.size() ||
      what.compare(what.size() - suffix.size(), suffix.size(), suffix) != 0) {
    r.fail(target, "lifecycle target '" + what + "' must be STAGE.inputs");
  }
  rule.stage = what.substr(0, what.size() - suffix.size());
  const StageConfig* stage = cfg.find_stage(rule.stage);
  if (!stage) r.fail(target, "lifecycle target names unknown stage '" + rule.stage + "'");
  if (!stage->when || stage->when->files.empty()) {
    r.fail(target, "stage '" + rule.stage + "' has no when.files, so it has no inputs to " +
                       (del ? "delete" : "move"));
  }
  if (mv) {
    if (!n["to"]) r.fail(n, "a move rule needs 'to' (the destination folder)");
    rule.to = r.templ(n["to"], "to");
    rule.to->check(PlaceholderScope::kRun, known);
  } else if (n["to"]) {
    r.fail(n["to"], "'to' only goes with 'move'");
  }
  if (n["when_succeeded"]) {
    for (const auto& s : r.one_or_list(n["when_succeeded"], "when_succeeded")) {
      std::string name = r.scalar(s, "when_succeeded entry");
      if (!cfg.find_stage(name)) r.fail(s, "when_succeeded names unknown stage '" + name + "'");
      rule.when_succeeded.push_back(name);
    }
  } else {
    rule.when_succeeded.push_back(rule.stage);
  }
  return rule;
}

fs::path strip_trailing_separator(fs::path p) {
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

// Only intervals that all three schedulers keep at the same wall-clock times: cron's `*/7`
// restarts at each hour (:00, :07, ... :56, :00), a systemd timer and Task Scheduler would not.
ScheduleConfig read_schedule(const Reader& r, const YAML::Node& n) {
  r.check_keys(n, kScheduleKeys, "schedule");
  if (!n["every"]) r.fail(n, "schedule needs 'every' (how often the OS starts a run, e.g. 15m)");
  ScheduleConfig s;
  s.every = r.duration(n["every"], "schedule.every");
  using std::chrono::minutes;
  const auto m = std::chrono::duration_cast<minutes>(s.every).count();
  const bool whole_minutes = s.every == minutes(m) && m >= 1;
  const bool fits =
      whole_minutes && ((m < 60 && 60 % m == 0) ||
                        (m >= 60 && m < 1440 && m % 60 == 0 && 1440 % m == 0) || m == 1440);
  if (!fits) {
    r.fail(n["every"],
           "schedule.every '" + n["every"].Scalar() +
               "' cannot start runs at the same times under cron, systemd and Task "
               "Scheduler: use minutes that divide an hour (1m, 2m, 5m, 10m, 15m, "
               "20m, 30m), hours that divide a day (1h, 2h, 3h, 4h, 6h, 8h, 12h) or 1d");
  }
  return s;
}

// A notification string: checked now, expanded at delivery. Text that goes into a header
// line or an address cannot hold a line break (it would add headers of its own).
Template notify_text(const Reader& r, const YAML::Node& n, const std::string& what,
                     const KnownNames& known, bool one_line = true) {
  Template t = r.templ(n, what);
  t.check(PlaceholderScope::kNotify, known);
  if (one_line && t.source().find_first_of("\r\n") != std::string::npos) {
    r.fail(n, what + " must be one line");
  }
  return t;
}

// A URL's scheme, when the template spells it out (it may come from ${env.NAME}: then it is
// checked at delivery).
void check_scheme(const Reader& r, const YAML::Node& n, const Template& t, const std::string& what,
                  const std::vector<std::string>& schemes) {
  if (t.parts().empty() || t.parts().front().placeholder) return;
  const std::string& head = t.parts().front().text;
  for (const auto& scheme : schemes) {
    if (head.rfind(scheme, 0) == 0 || scheme.rfind(head, 0) == 0) return;
  }
  std::string list;
  for (const auto& scheme : schemes) list += (list.empty() ? "" : " or ") + scheme;
  r.fail(n, what + " '" + t.source() + "' must start with " + list);
}

NotifyConfig read_notify(const Reader& r, const YAML::Node& n, const KnownNames& known,
                         const std::map<std::string, std::string>& folders, const fs::path& root) {
  r.check_keys(n, kNotifyKeys, "notify");
  NotifyConfig c;
  if (n["ca_file"]) {
    c.ca_file = resolve_path(root, r.expand_root_scope(n["ca_file"], "notify.ca_file", folders));
  }
  constexpr Millis kDefaultTimeout{10'000};
  const Millis timeout =
      n["timeout"] ? r.duration(n["timeout"], "notify.timeout") : kDefaultTimeout;
  // The one bound on every channel, notify.command's included.
  if (timeout.count() == 0 || timeout > std::chrono::minutes(5)) {
    r.fail(n["timeout"], "notify.timeout must be between 1ms and 5m");
  }
  if (n["budget"]) {
    c.budget = r.duration(n["budget"], "notify.budget");
    if (c.budget < std::chrono::seconds(1) || c.budget > std::chrono::minutes(10)) {
      r.fail(n["budget"], "notify.budget must be between 1s and 10m");
    }
  }
  auto channel_timeout = [&](const YAML::Node& ch, const std::string& where) {
    Millis t = ch["timeout"] ? r.duration(ch["timeout"], where + ".timeout") : timeout;
    if (t.count() == 0 || t > std::chrono::minutes(5)) {
      r.fail(ch["timeout"] ? ch["timeout"] : n, where + ".timeout must be between 1ms and 5m");
    }
    return t;
  };
  if (n["on"]) {
    c.on = {false, false, false, false, false};
    for (const auto& e : r.one_or_list(n["on"], "notify.on")) {
      std::string v = r.scalar(e, "notify.on entry");
      if (v == "failure")
        c.on.failure = true;
      else if (v == "recovery")
        c.on.recovery = true;
      else if (v == "success")
        c.on.success = true;
      else if (v == "every_failure")
        c.on.every_failure = true;
      else if (v == "stale")
        c.on.stale = true;
      else {
        std::string message =
            "unknown notify.on '" + v + "': use failure, recovery, success, every_failure or stale";
        if (auto near = nearest_word(v, kNotifyOn)) message += "; did you mean '" + *near + "'?";
        r.fail(e, message);
      }
    }
  }
  if (const YAML::Node w = n["webhook"]) {
    r.check_keys(w, kWebhookKeys, "notify.webhook");
    if (!w["url"]) r.fail(w, "notify.webhook needs 'url'");
    NotifyConfig::Webhook hook{notify_text(r, w["url"], "notify.webhook.url", known), {}, {}};
    check_scheme(r, w["url"], hook.url, "notify.webhook.url", {"https://", "http://"});
    if (const YAML::Node h = w["headers"]) {
      r.require_map(h, "notify.webhook.headers");
      for (const auto& kv : h) {
        std::string name = r.scalar(kv.first, "a header name");
        bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
        });
        if (!token) r.fail(kv.first, "'" + name + "' is not an HTTP header name");
        hook.headers.emplace_back(
            name, notify_text(r, kv.second, "notify.webhook.headers." + name, known));
      }
    }
    hook.timeout = channel_timeout(w, "notify.webhook");
    c.webhook = std::move(hook);
  }
  if (const YAML::Node e = n["email"]) {
    r.check_keys(e, kEmailKeys, "notify.email");
    for (const char* key : {"server", "from", "to"}) {
      if (!e[key]) r.fail(e, std::string("notify.email needs '") + key + "'");
    }
    NotifyConfig::Email mail;
    mail.server = notify_text(r, e["server"], "notify.email.server", known);
    check_scheme(r, e["server"], mail.server, "notify.email.server", {"smtp://", "smtps://"});
    mail.from = notify_text(r, e["from"], "notify.email.from", known);
    for (const auto& to : r.one_or_list(e["to"], "notify.email.to")) {
      mail.to.push_back(notify_text(r, to, "notify.email.to", known));
    }
    if (mail.to.empty()) r.fail(e["to"], "notify.email.to needs at least one address");
    if (e["user"]) mail.user = notify_text(r, e["user"], "notify.email.user", known);
    if (e["password"]) {
      mail.password = notify_text(r, e["password"], "notify.email.password", known);
    }
    if (mail.password && !mail.user) r.fail(e["password"], "notify.email.password needs 'user'");
    mail.timeout = channel_timeout(e, "notify.email");
    c.email = std::move(mail);
  }
  if (const YAML::Node cmd = n["command"]) {
    if (cmd.IsScalar()) {
      r.fail(cmd, "notify.command must be a list of arguments, not a string");
    }
    for (const auto& e : r.list(cmd, "notify.command")) {
      c.command.push_back(notify_text(r, e, "a notify.command element", known, false));
    }
    if (c.command.empty()) r.fail(cmd, "notify.command must not be empty");
    c.command_timeout = timeout;
  }
  if (const YAML::Node p = n["ping"]) {
    r.check_keys(p, kPingKeys, "notify.ping");
    if (!p["url"]) r.fail(p, "notify.ping needs 'url'");
    NotifyConfig::Ping ping{notify_text(r, p["url"], "notify.ping.url", known), {}};
    check_scheme(r, p["url"], ping.url, "notify.ping.url", {"https://", "http://"});
    ping.timeout = channel_timeout(p, "notify.ping");
    c.ping = std::move(ping);
  }
  if (!c.webhook && !c.email && c.command.empty() && !c.ping) {
    r.fail(n, "notify needs at least one of webhook, email, command or ping");
  }
  return c;
}

// The values a fixed path of the config may use: ${root}, ${logs}, ${state}, ${paths.*}.
std::map<std::string, std::string> folder_values(const Config& cfg) {
  std::map<std::string, std::string> scalars{{"root", path_text(cfg.root)},
                                             {"logs", path_text(cfg.logs)},
                                             {"state", path_text(cfg.state)}};
  for (const auto& [name, path] : cfg.paths) scalars["paths." + name] = path_text(path);
  return scalars;
}

MetricsConfig read_metrics(const Reader& r, const YAML::Node& n, const Config& cfg) {
  r.check_keys(n, kMetricsKeys, "metrics");
  if (!n["textfile"]) r.fail(n, "metrics needs 'textfile' (a .prom file for node_exporter)");
  const auto scalars = folder_values(cfg);
  MetricsConfig m;
  m.textfile =
      resolve_path(cfg.root, r.expand_root_scope(n["textfile"], "metrics.textfile", scalars));
  if (m.textfile.extension() != ".prom") {
    r.fail(n["textfile"], "metrics.textfile '" + path_text(m.textfile) +
                              "' must end in .prom (node_exporter's textfile collector reads "
                              "only those)");
  }
  return m;
}

// The batch folders are fixed for the run: ${root}, ${paths.*} and ${env.*} only (a folder
// that moved with ${date} would strand the batches in yesterday's).
BatchConfig read_batches(const Reader& r, const YAML::Node& n, const Config& cfg) {
  r.require_map(n, "batches");
  r.check_keys(n, kBatchKeys, "batches");
  BatchConfig b;
  std::map<std::string, std::string> scalars{{"root", path_text(cfg.root)}};
  for (const auto& [name, path] : cfg.paths) scalars["paths." + name] = path_text(path);
  auto folder = [&](const char* key) {
    if (!n[key]) r.fail(n, std::string("batches needs '") + key + "' (a folder)");
    std::string where = std::string("batches.") + key;
    return strip_trailing_separator(
        resolve_path(cfg.root, r.expand_root_scope(n[key], where, scalars)));
  };
  b.hotfolder = folder("hotfolder");
  b.archive = folder("archive");
  b.error = folder("error");
  if (n["max_per_run"]) {
    b.max_per_run = static_cast<int>(r.integer(n["max_per_run"], "batches.max_per_run", 1, 100000));
  }
  if (n["settle"]) b.settle = r.duration(n["settle"], "batches.settle");
  if (b.hotfolder == b.archive || b.hotfolder == b.error || b.archive == b.error) {
    r.fail(n, "batches.hotfolder, archive and error must be three different folders");
  }
  return b;
}

// The sections about runs as a whole: retention, lock, batches, schedule, notify, metrics.
void read_run_sections(const Reader& r, const YAML::Node& doc, const KnownNames& known,
                       Config& cfg) {
  if (const YAML::Node ret = doc["retention"]) {
    r.check_keys(ret, kRetentionKeys, "retention");
    if (ret["keep_days"]) {
      cfg.retention_keep_days =
          static_cast<int>(r.integer(ret["keep_days"], "retention.keep_days", 1, 36500));
    }
    if (ret["keep_runs"]) {
      cfg.retention_keep_runs =
          static_cast<int>(r.integer(ret["keep_runs"], "retention.keep_runs", 1, 10'000'000));
    }
  }
  if (const YAML::Node lock = doc["lock"]) {
    r.check_keys(lock, kLockKeys, "lock");
    if (lock["wait"]) cfg.lock_wait = r.duration(lock["wait"], "lock.wait");
  }
  if (const YAML::Node b = doc["batches"]) cfg.batches = read_batches(r, b, cfg);
  if (const YAML::Node s = doc["schedule"]) cfg.schedule = read_schedule(r, s);
  if (const YAML::Node n = doc["notify"]) {
    cfg.notify = read_notify(r, n, known, folder_values(cfg), cfg.root);
  }
  if (const YAML::Node m = doc["metrics"]) cfg.metrics = read_metrics(r, m, cfg);
  if (cfg.notify && cfg.notify->on.stale && !cfg.schedule) {
    r.fail(doc["notify"]["on"],
           "notify.on 'stale' needs 'schedule.every' (how often runs are due)");
  }
}

}  // namespace

std::string WindowsConfig::grid_key() const {
  return std::to_string(every.count()) + "s@" + std::to_string(origin_local) + "@" + zone.name();
}

const StageConfig* Config::find_stage(std::string_view name) const {
  for (const auto& s : stages) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::optional<std::string> nearest_word(const std::string& word,
                                        const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

namespace {

// Every NAME of ${env.NAME} in the text, in order, once each: from the text as written, so
// none is missed whichever section it is in (one in a comment or after $$ costs nothing).
std::vector<std::string> env_names_in(const std::string& text) {
  std::vector<std::string> out;
  const std::string open = "${env.";
  for (std::size_t at = text.find(open); at != std::string::npos; at = text.find(open, at + 1)) {
    std::size_t end = at + open.size();
    while (end < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[end])) != 0 || text[end] == '_')) {
      ++end;
    }
    std::string name = text.substr(at + open.size(), end - at - open.size());
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) {
      out.push_back(std::move(name));
    }
  }
  return out;
}

}  // namespace

Config parse_config(const std::string& text, const fs::path& file, const EnvLookup& env) {
  fs::path abs_file = fs::absolute(file).lexically_normal();
  Reader r(path_text(file), env);
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw UsageError(path_text(file) + ":" + std::to_string(e.mark.line + 1) + ":" +
                     std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!doc.IsMap()) {
    throw UsageError(path_text(file) +
                     ":1:1: the config must be a mapping with 'version', "
                     "'pipeline' and 'stages'");
  }
  r.check_keys(doc, kTopKeys, "the config");

  Config cfg;
  cfg.file = abs_file;
  cfg.sha256 = sha256_hex(text);
  cfg.env_names = env_names_in(text);
  if (!doc["version"]) r.fail(doc, "'version: 1' is required");
  if (r.integer(doc["version"], "version", 0, 1'000'000) != 1) {
    r.fail(doc["version"], "unsupported config version " + doc["version"].Scalar() +
                               " (this runner reads version 1)");
  }
  if (!doc["pipeline"]) r.fail(doc, "'pipeline' (the pipeline's name) is required");
  cfg.pipeline = r.scalar(doc["pipeline"], "pipeline");
  if (!valid_name(cfg.pipeline, 64, true)) {
    r.fail(doc["pipeline"],
           "pipeline name '" + cfg.pipeline + "' must be 1-64 of A-Z, a-z, 0-9, '_', '.' and '-'");
  }

  std::map<std::string, std::string> scalars;
  fs::path config_dir = abs_file.parent_path();
  cfg.root = config_dir;
  if (doc["root"]) {
    cfg.root = resolve_path(config_dir, r.expand_root_scope(doc["root"], "root", {}));
  }
  cfg.root = strip_trailing_separator(cfg.root);
  scalars["root"] = path_text(cfg.root);

  KnownNames known;
  known.batch_mode = static_cast<bool>(doc["batches"]);
  known.env = env;
  std::vector<std::string>& path_names = known.paths;
  if (const YAML::Node paths = doc["paths"]) {
    r.require_map(paths, "paths");
    for (const auto& kv : paths) {
      std::string name = r.scalar(kv.first, "a path name");
      if (!valid_name(name, 64, true)) {
        r.fail(kv.first, "path name '" + name + "' must be letters, digits, '_', '.' or '-'");
      }
      if (std::find(path_names.begin(), path_names.end(), name) != path_names.end()) {
        r.fail(kv.first, "duplicate path '" + name + "'");
      }
      fs::path p = strip_trailing_separator(
          resolve_path(cfg.root, r.expand_root_scope(kv.second, "paths." + name, scalars)));
      cfg.paths.emplace_back(name, p);
      path_names.push_back(name);
    }
  }
  cfg.logs = resolve_path(cfg.root,
                          doc["logs"] ? r.expand_root_scope(doc["logs"], "logs", scalars) : "logs");
  cfg.state = resolve_path(
      cfg.root, doc["state"] ? r.expand_root_scope(doc["state"], "state", scalars) : "state");

  Defaults defaults;
  defaults.env.emplace_back("PYTHONUNBUFFERED", Template("1", {}));
  if (const YAML::Node d = doc["defaults"]) {
    r.check_keys(d, kDefaultsKeys, "defaults");
    if (d["timeout"]) defaults.timeout = r.duration(d["timeout"], "defaults.timeout");
    if (d["hang_timeout"]) {
      defaults.hang_timeout = r.duration(d["hang_timeout"], "defaults.hang_timeout");
    }
    if (d["grace"]) defaults.grace = r.duration(d["grace"], "defaults.grace");
    if (d["retries"]) {
      defaults.retries = static_cast<int>(r.integer(d["retries"], "defaults.retries", 0, 100));
    }
    if (d["backoff"]) defaults.backoff = read_backoff(r, d["backoff"], {}, "defaults.backoff");
    if (d["env"]) {
      for (auto& [k, v] : read_env(r, d["env"], "defaults.env", known)) {
        set_env(defaults.env, k, v);
      }
    }
    if (defaults.timeout.count() == 0) r.fail(d["timeout"], "defaults.timeout must be > 0s");
  }

  if (doc["parallel"]) {
    cfg.parallel = static_cast<int>(r.integer(doc["parallel"], "parallel", 1, kMaxParallel));
  }
  if (!doc["stages"]) r.fail(doc, "'stages' is required (a list of stages)");
  std::vector<std::string> names;
  for (const auto& s : r.list(doc["stages"], "stages")) {
    cfg.stages.push_back(read_stage(r, s, defaults, known, names));
    names.push_back(cfg.stages.back().name);
  }
  if (cfg.stages.empty()) r.fail(doc["stages"], "'stages' must list at least one stage");
  for (std::size_t i = 0; i < cfg.stages.size(); ++i) {
    const StageConfig& s = cfg.stages[i];
    if (s.workers > cfg.parallel) {
      r.fail(doc["stages"][i]["workers"],
             "stage '" + s.name + "': workers: " + std::to_string(s.workers) +
                 " is more than parallel: " + std::to_string(cfg.parallel) +
                 " (the most processes the run has at once); set 'parallel: " +
                 std::to_string(s.workers) + "' at the top of the config");
    }
  }

  if (const YAML::Node l = doc["lifecycle"]) {
    for (const auto& rule : r.list(l, "lifecycle")) {
      cfg.lifecycle.push_back(read_lifecycle(r, rule, cfg, known));
    }
  }
  read_run_sections(r, doc, known, cfg);
  return cfg;
}

Config load_config(const fs::path& file, const EnvLookup& env) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::error_code ec(errno, std::generic_category());
    throw UsageError("cannot read config " + path_text(file) + ": " + ec.message());
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_config(text, file, env);
}

}  // namespace pipeline
