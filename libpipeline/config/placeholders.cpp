#include "config/placeholders.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace pipeline {
namespace {

[[noreturn]] void fail_at(const SourceMark& mark, const std::string& message) {
  throw UsageError(mark.str() + ": " + message);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// ${window.id}, ${window.start[:FMT]}, ${window.end[:FMT]}; without a format, RFC 3339 with
// the zone's offset.
std::string window_text(const Template& t, const Template::Part& p, const WindowValue* w) {
  if (!w || !w->zone) fail_at(t.mark(), "${" + p.text + "} has no value here");
  if (p.text == "window.id") return w->id;
  const TimePoint at = p.text == "window.start" ? w->start : w->end;
  return w->zone->format(at, p.arg.empty() ? "%Y-%m-%dT%H:%M:%S%Ez" : p.arg);
}

// Where a placeholder stands, for the names only a stage's own process has values for.
struct StageScope {
  bool stage;    ///< a stage's command, cwd or env
  bool command;  ///< a stage's command
  bool whole;    ///< the placeholder is the whole command element
};

// ${stage}, ${inputs_file}, ${inputs_count}, ${input} and ${inputs}: checked where they
// stand; false for any other name.
bool check_stage_value(const std::string& n, const std::string& shown, StageScope at,
                       const KnownNames& known, const SourceMark& mark) {
  if (n == "stage" || n == "inputs_file" || n == "inputs_count") {
    if (!at.stage) fail_at(mark, shown + " is only known inside a stage's command, cwd or env");
    return true;
  }
  if (n == "input") {
    if (!known.per_input || !at.stage) {
      fail_at(mark,
              "${input} is only known in the command, cwd or env of a stage with "
              "'foreach: input'");
    }
    return true;
  }
  if (n != "inputs") return false;
  if (!at.command) {
    fail_at(mark,
            "${inputs} can only be used in a stage's command (use ${inputs_file} "
            "or ${inputs_count} here)");
  }
  if (!at.whole) {
    fail_at(mark,
            "${inputs} must be a whole command element (it becomes one element "
            "per file); use ${inputs_file} inside a longer string");
  }
  return true;
}

}  // namespace

Template::Template(std::string text, SourceMark mark)
    : source_(std::move(text)), mark_(std::move(mark)) {
  std::string literal;
  std::size_t i = 0;
  const std::string& s = source_;
  while (i < s.size()) {
    if (s[i] != '$') {
      literal += s[i++];
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '$') {
      literal += '$';
      i += 2;
      continue;
    }
    if (i + 1 >= s.size() || s[i + 1] != '{') {
      fail_at(mark_,
              "a '$' must start a placeholder '${...}' (write '$$' for a literal '$') in \"" + s +
                  "\"");
    }
    std::size_t close = s.find('}', i + 2);
    if (close == std::string::npos) fail_at(mark_, "unclosed '${' in \"" + s + "\"");
    std::string body = s.substr(i + 2, close - i - 2);
    if (!literal.empty()) parts_.push_back({false, std::move(literal), {}});
    literal.clear();
    Part part{true, body, {}};
    if (std::size_t colon = body.find(':'); colon != std::string::npos) {
      part.text = body.substr(0, colon);
      part.arg = body.substr(colon + 1);
    }
    parts_.push_back(std::move(part));
    i = close + 1;
  }
  if (!literal.empty()) parts_.push_back({false, std::move(literal), {}});
}

bool Template::is_exactly(std::string_view name) const {
  return parts_.size() == 1 && parts_[0].placeholder && parts_[0].text == name &&
         parts_[0].arg.empty();
}

bool Template::mentions(std::string_view name) const {
  return std::any_of(parts_.begin(), parts_.end(),
                     [&](const Part& p) { return p.placeholder && p.text == name; });
}

void Template::check(PlaceholderScope scope, const KnownNames& known) const {
  const std::vector<std::string>& path_names = known.paths;
  auto at_least = [&](PlaceholderScope s) {
    return static_cast<int>(scope) >= static_cast<int>(s);
  };
  for (const Part& p : parts_) {
    if (!p.placeholder) continue;
    const std::string& n = p.text;
    std::string shown = "${" + n + (p.arg.empty() ? "" : ":" + p.arg) + "}";
    bool has_arg = !p.arg.empty();
    if (n == "date" || n == "prev_month") {
      if (!has_arg) fail_at(mark_, shown + " needs a strftime format, as in ${" + n + ":%Y%m%d}");
      if (!at_least(PlaceholderScope::kRun)) fail_at(mark_, shown + " cannot be used here");
      continue;
    }
    if (starts_with(n, "window.")) {
      if (n != "window.start" && n != "window.end" && n != "window.id") {
        fail_at(mark_, "unknown placeholder " + shown +
                           " (window placeholders: ${window.start:FMT}, ${window.end:FMT}, "
                           "${window.id})");
      }
      if (n == "window.id" && has_arg) fail_at(mark_, shown + ": ${window.id} takes no format");
      if (!known.windowed || !at_least(PlaceholderScope::kStage)) {
        fail_at(mark_, shown + " is only known in the command, cwd or env of a stage with windows");
      }
      continue;
    }
    if (starts_with(n, "env.")) {
      if (n.size() == 4) fail_at(mark_, "${env.} needs a variable name");
      if (has_arg && p.arg[0] != '-') {
        fail_at(mark_, shown + ": a default is written ${" + n + ":-default}");
      }
      if (!has_arg && known.env && !known.env(n.substr(4))) {
        fail_at(mark_, "environment variable " + n.substr(4) +
                           " is not set (a run under cron has almost no environment); set "
                           "it, or give a default: ${" +
                           n + ":-default}");
      }
      continue;
    }
    if (has_arg) fail_at(mark_, "unknown placeholder " + shown);
    if (n == "root") {
      continue;
    }
    if (starts_with(n, "paths.")) {
      std::string name = n.substr(6);
      if (std::find(path_names.begin(), path_names.end(), name) == path_names.end()) {
        fail_at(mark_,
                "unknown placeholder " + shown + ": no path named '" + name + "' under paths");
      }
      if (!at_least(PlaceholderScope::kRun)) fail_at(mark_, shown + " cannot be used here");
      continue;
    }
    if (n == "logs" || n == "state" || n == "run_id") {
      if (!at_least(PlaceholderScope::kRun)) fail_at(mark_, shown + " cannot be used here");
      continue;
    }
    if (check_stage_value(n, shown,
                          {at_least(PlaceholderScope::kStage), scope == PlaceholderScope::kCommand,
                           is_exactly("inputs")},
                          known, mark_)) {
      continue;
    }
    if (starts_with(n, "notify.")) {
      if (n != "notify.event" && n != "notify.status" && n != "notify.pipeline") {
        fail_at(mark_, "unknown placeholder " + shown +
                           " (notification placeholders: ${notify.event}, ${notify.status}, "
                           "${notify.pipeline})");
      }
      if (scope != PlaceholderScope::kNotify) {
        fail_at(mark_, shown + " is only known in the notify section");
      }
      continue;
    }
    if (starts_with(n, "batch.")) {
      if (!known.batch_mode) {
        fail_at(mark_, shown + " is only known in batch mode (add a 'batches' section)");
      }
      if (scope == PlaceholderScope::kNotify) {
        fail_at(mark_, shown +
                           " cannot be used here: a notification tells of a whole run, "
                           "which may have run several batches");
      }
      if (n == "batch.raw_data") {
        if (scope != PlaceholderScope::kCommand || !is_exactly(n)) {
          fail_at(mark_,
                  "${batch.raw_data} must be a whole element of a stage's command (it becomes "
                  "one element per file)");
        }
        continue;
      }
      bool file_name = starts_with(n, "batch.files.") && n.size() > 12;
      if (n != "batch.id" && n != "batch.manifest" && !file_name) {
        fail_at(mark_, "unknown placeholder " + shown +
                           " (batch placeholders: ${batch.id}, ${batch.manifest}, "
                           "${batch.files.NAME}, ${batch.raw_data})");
      }
      if (!at_least(PlaceholderScope::kRun)) fail_at(mark_, shown + " cannot be used here");
      continue;
    }
    fail_at(mark_, "unknown placeholder " + shown);
  }
}

std::string expand(const Template& t, const PlaceholderValues& values) {
  std::string out;
  for (const auto& p : t.parts()) {
    if (!p.placeholder) {
      out += p.text;
      continue;
    }
    if (p.text == "date" || p.text == "prev_month") {
      if (!values.run_start) fail_at(t.mark(), "${" + p.text + "} has no value here");
      out += p.text == "date" ? format_local(*values.run_start, p.arg)
                              : format_prev_month(*values.run_start, p.arg);
    } else if (starts_with(p.text, "window.")) {
      out += window_text(t, p, values.window);
    } else if (starts_with(p.text, "env.")) {
      std::optional<std::string> v = values.env ? values.env(p.text.substr(4)) : std::nullopt;
      if (!p.arg.empty() && (!v || v->empty())) v = p.arg.substr(1);  // ${env.NAME:-default}
      if (!v) fail_at(t.mark(), "environment variable " + p.text.substr(4) + " is not set");
      out += *v;
    } else if (auto it = values.scalars.find(p.text); it != values.scalars.end()) {
      out += it->second;
    } else if (starts_with(p.text, "batch.files.") && values.scalars.count("batch.id")) {
      fail_at(t.mark(), "batch " + values.scalars.at("batch.id") + " lists no file named '" +
                            p.text.substr(12) + "' under \"files\"");
    } else {
      fail_at(t.mark(), "${" + p.text + "} has no value here");
    }
  }
  return out;
}

void expand_into_argv(const Template& t, const PlaceholderValues& values,
                      std::vector<std::string>& argv) {
  if (t.is_exactly("inputs")) {
    if (!values.inputs) fail_at(t.mark(), "${inputs} has no value here");
    argv.insert(argv.end(), values.inputs->begin(), values.inputs->end());
    return;
  }
  if (t.is_exactly("batch.raw_data")) {
    if (!values.batch_raw_data) fail_at(t.mark(), "${batch.raw_data} has no value here");
    argv.insert(argv.end(), values.batch_raw_data->begin(), values.batch_raw_data->end());
    return;
  }
  argv.push_back(expand(t, values));
}

}  // namespace pipeline
