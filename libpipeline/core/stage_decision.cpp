#include "core/stage_decision.hpp"

#include <algorithm>

#include "core/glob.hpp"
#include "util/paths.hpp"
#include "util/utf8.hpp"

namespace pipeline {
namespace {

std::string plural(std::size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

}  // namespace

DecisionResult decide_stage(const StageConfig& stage, const DecisionInputs& in) {
  DecisionResult out;
  if (!stage.when) {
    out.decision = {true, "no conditions: runs every time", {}};
    return out;
  }
  const WhenClause& when = *stage.when;
  std::vector<std::string> held, failed;

  if (!when.files.empty()) {
    std::vector<std::string> shown;
    for (const auto& t : when.files) {
      fs::path pattern = resolve_path(in.root, expand(t, in.values));
      shown.push_back(display_path(pattern, in.root));
      for (auto& f : glob_files(in.files, pattern, &out.decision.warnings)) {
        // One path per line in ${inputs_file}: a name with a newline would read as two.
        if (f.native().find('\n') != std::string::npos) {
          out.decision.warnings.push_back("\"" + display_path(f, in.root) +
                                          "\" has a newline in its name, which cannot be "
                                          "passed safely; it is not an input (rename it)");
          continue;
        }
        out.inputs.files.push_back(std::move(f));
      }
    }
    if (when.files.size() > 1) sort_unique_paths(out.inputs.files);
    if (in.stat_inputs) {
      out.inputs.stats.reserve(out.inputs.files.size());
      for (const auto& f : out.inputs.files) {
        out.inputs.stats.push_back(in.files.stat(f).value_or(FileStat{FileKind::kBroken}));
      }
    }
    std::string patterns = join(shown, ", ");
    if (out.inputs.files.empty()) {
      failed.push_back("no file matches " + patterns);
    } else {
      held.push_back(plural(out.inputs.files.size(), "file matches ", "files match ") + patterns);
    }
  }
  if (when.missing) {
    fs::path p = resolve_path(in.root, expand(*when.missing, in.values));
    std::string shown = display_path(p, in.root);
    if (in.files.exists(p)) {
      failed.push_back(shown + " already exists");
    } else {
      held.push_back(shown + " is missing");
    }
  }
  if (!when.days_of_month.empty()) {
    int today = local_day_of_month(in.now);
    std::vector<std::string> days;
    for (int d : when.days_of_month) days.push_back(std::to_string(d));
    std::string list = "[" + join(days, ", ") + "]";
    bool ok = std::find(when.days_of_month.begin(), when.days_of_month.end(), today) !=
              when.days_of_month.end();
    (ok ? held : failed)
        .push_back("today is day " + std::to_string(today) + (ok ? ", in " : ", not in ") + list);
  }
  for (const auto& name : when.after) {
    switch (in.earlier(name)) {
      case EarlierStage::kSucceeded:
        held.push_back(name + " succeeded");
        break;
      case EarlierStage::kPlanned:
        held.push_back("if " + name + " succeeds");
        break;
      case EarlierStage::kNotRun:
        failed.push_back(name + " did not run in this run");
        break;
      case EarlierStage::kDidNotSucceed:
        failed.push_back(name + " did not succeed");
        break;
    }
  }
  out.decision.run = failed.empty();
  out.decision.reason = join(failed.empty() ? held : failed, "; ");
  for (auto& w : out.decision.warnings) w = sanitize_utf8(w);
  if (!out.decision.run) out.inputs = {};
  return out;
}

}  // namespace pipeline
