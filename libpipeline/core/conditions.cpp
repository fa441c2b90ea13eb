#include "core/conditions.hpp"

#include <algorithm>

#include "core/glob.hpp"
#include "util/duration.hpp"
#include "util/paths.hpp"
#include "util/time_format.hpp"

namespace pipeline {
namespace {

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

// `files`: the matches of its globs are the stage's inputs; it holds when there is one. With
// `settle`, a match modified less than that long ago is not one yet: a writer (a copy, an
// upload) may still be at it. Writing a file moves its mtime, so a file that grows or shrinks
// is younger than its last write.
Finding files_match(const std::vector<Template>& globs, Millis settle, const DecisionInputs& in,
                    DecisionResult& out) {
  std::vector<std::string> shown;
  for (const auto& t : globs) {
    fs::path pattern = resolve_path(in.root, expand(t, in.values));
    shown.push_back(display_path(pattern, in.root));
    for (auto& f : glob_files(in.files, pattern, &out.decision.warnings)) {
      // One path per line in ${inputs_file}: a name with a newline would read as two.
      if (f.find('\n') != std::string::npos) {
        out.decision.warnings.push_back("\"" + display_path(path_from_text(f), in.root) +
                                        "\" has a newline in its name, which cannot be "
                                        "passed safely; it is not an input (rename it)");
        continue;
      }
      out.inputs.files.push_back(std::move(f));
    }
  }
  if (globs.size() > 1) sort_unique_paths(out.inputs.files);
  std::size_t settling = 0;  // matches `settle` leaves for a later run
  if (in.stat_inputs || settle.count() > 0) {
    const std::int64_t settled_before = unix_ns(in.now - settle);
    const std::int64_t ahead_after = unix_ns(in.now + settle);
    std::vector<std::string> settled;
    settled.reserve(out.inputs.files.size());
    for (auto& f : out.inputs.files) {
      FileStat st = in.files.stat(path_from_text(f)).value_or(FileStat{FileKind::kBroken});
      if (settle.count() > 0 && st.is_file() && st.mtime_ns > settled_before) {
        ++settling;
        if (st.mtime_ns > ahead_after) {  // the clock of whoever wrote it is ahead
          out.decision.warnings.push_back(
              "\"" + display_path(path_from_text(f), in.root) + "\" was modified in the future (" +
              format_rfc3339(from_unix_ns(st.mtime_ns)) +
              "); it settles only after then (touch it to take it now)");
        }
        continue;
      }
      settled.push_back(std::move(f));
      if (in.stat_inputs) out.inputs.stats.push_back(st);
    }
    out.inputs.files = std::move(settled);
  }
  const std::string patterns = join(shown, ", ");
  const std::size_t n = out.inputs.files.size();
  std::string still;
  if (settling > 0) {
    still = std::to_string(settling) + (settling == 1 ? " file" : " files") +
            " still settling (modified within " + format_duration(settle) +
            "; left for a later run)";
  }
  if (n == 0) {
    return {false, still.empty() ? "no file matches " + patterns
                                 : "no settled file matches " + patterns + ": " + still};
  }
  return {true, std::to_string(n) + (n == 1 ? " file matches " : " files match ") + patterns +
                    (still.empty() ? "" : "; " + still)};
}

// `missing`: holds while the path does not exist.
Finding is_missing(const Template& path, const DecisionInputs& in) {
  fs::path p = resolve_path(in.root, expand(path, in.values));
  std::string shown = display_path(p, in.root);
  if (in.files.exists(p)) return {false, shown + " already exists"};
  return {true, shown + " is missing"};
}

// `days_of_month`: holds on the listed days of the month, local time.
Finding on_day(const std::vector<int>& days, const DecisionInputs& in) {
  const int today = local_day_of_month(in.now);
  std::vector<std::string> listed;
  listed.reserve(days.size());
  for (int d : days) listed.push_back(std::to_string(d));
  const bool ok = std::find(days.begin(), days.end(), today) != days.end();
  return {ok, "today is day " + std::to_string(today) + (ok ? ", in [" : ", not in [") +
                  join(listed, ", ") + "]"};
}

// `after`: holds when the named earlier stage succeeded in this run (or, in a plan, would run).
Finding after(const std::string& name, const DecisionInputs& in) {
  switch (in.earlier(name)) {
    case EarlierStage::kSucceeded:
      return {true, name + " succeeded"};
    case EarlierStage::kPlanned:
      return {true, "if " + name + " succeeds"};
    case EarlierStage::kNotRun:
      return {false, name + " did not run in this run"};
    case EarlierStage::kDidNotSucceed:
      break;
  }
  return {false, name + " did not succeed"};
}

}  // namespace

std::vector<Condition> conditions_of(const WhenClause& when, Millis settle) {
  std::vector<Condition> out;
  if (!when.files.empty()) {
    out.emplace_back([&globs = when.files, settle](const DecisionInputs& in, DecisionResult& r) {
      return files_match(globs, settle, in, r);
    });
  }
  if (when.missing) {
    out.emplace_back([&path = *when.missing](const DecisionInputs& in, DecisionResult&) {
      return is_missing(path, in);
    });
  }
  if (!when.days_of_month.empty()) {
    out.emplace_back([&days = when.days_of_month](const DecisionInputs& in, DecisionResult&) {
      return on_day(days, in);
    });
  }
  for (const auto& name : when.after) {
    out.emplace_back(
        [&name](const DecisionInputs& in, DecisionResult&) { return after(name, in); });
  }
  return out;
}

}  // namespace pipeline
