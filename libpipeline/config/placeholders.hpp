#pragma once
/// Config strings with `${...}` placeholders: parsed and checked once when the config loads,
/// expanded when a run or a stage starts.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/source_mark.hpp"
#include "util/time_format.hpp"
#include "util/time_zone.hpp"

namespace pipeline {

/// Where a template is used decides which placeholders it may name.
enum class PlaceholderScope {
  kRoot,     ///< root and paths: ${env.*}, ${root} (paths only), ${$$}
  kRun,      ///< run-level strings: + ${paths.*}, ${logs}, ${state}, ${run_id}, ${date}, ...
  kNotify,   ///< notification strings: + ${notify.event}, ${notify.status}, ${notify.pipeline}
  kStage,    ///< stage strings: + ${stage}, ${inputs_file}, ${inputs_count}
  kCommand,  ///< command elements: + ${inputs} as a whole element
};

/// What a config declares that placeholders may refer to.
struct KnownNames {
  std::vector<std::string> paths;  ///< the names under `paths`
  bool batch_mode = false;         ///< `batches` is configured: ${batch.*} have values
  /// The runner's environment: a ${env.NAME} without a default must be set in it, so an
  /// unset variable is found when the config loads, before any stage starts. Unset: not
  /// checked.
  std::function<std::optional<std::string>(const std::string&)> env;
  bool windowed = false;   ///< the stage has `windows`: ${window.*} have values
  bool per_input = false;  ///< the stage has `foreach: input`: ${input} has a value
};

/// A string with placeholders, split into literal text and placeholder names.
class Template {
 public:
  struct Part {
    bool placeholder = false;
    std::string text;  ///< literal text, or the placeholder's name ("paths.raw", "date")
    std::string arg;   ///< the strftime format of ${date:FMT} / ${prev_month:FMT} /
                       ///< ${window.start:FMT}; for ${env.NAME:-default}, "-default"
  };

  Template() = default;
  /// Parses text; throws UsageError at mark for a malformed `${`.
  Template(std::string text, SourceMark mark);

  const std::string& source() const { return source_; }
  const SourceMark& mark() const { return mark_; }
  const std::vector<Part>& parts() const { return parts_; }
  /// True when the whole string is exactly the placeholder `name`.
  bool is_exactly(std::string_view name) const;
  /// True when the placeholder `name` appears anywhere in the string.
  bool mentions(std::string_view name) const;

  /// Throws UsageError at mark when a placeholder is unknown or not allowed in scope.
  void check(PlaceholderScope scope, const KnownNames& known) const;

 private:
  std::string source_;
  SourceMark mark_;
  std::vector<Part> parts_;
};

/// The time window a stage runs for (SPEC 11): ${window.start[:FMT]}, ${window.end[:FMT]}
/// on the zone's wall clock, ${window.id}.
struct WindowValue {
  TimePoint start;
  TimePoint end;
  std::string id;
  const TimeZone* zone = nullptr;
};

/// The values placeholders expand to at one moment of a run.
struct PlaceholderValues {
  std::map<std::string, std::string> scalars;  ///< "root", "paths.raw", "run_id", "stage", ...
  std::optional<TimePoint> run_start;          ///< for ${date:...} and ${prev_month:...}
  const std::vector<std::string>* inputs = nullptr;
  const std::vector<std::string>* batch_raw_data = nullptr;  ///< ${batch.raw_data}
  const WindowValue* window = nullptr;                       ///< ${window.*}
  std::function<std::optional<std::string>(const std::string&)> env;
};

/// Expands a template to one string; throws UsageError at its mark when a value is missing.
std::string expand(const Template& t, const PlaceholderValues& values);

/// Expands a command element: `${inputs}` or `${batch.raw_data}` alone adds one element per
/// file (maybe none).
void expand_into_argv(const Template& t, const PlaceholderValues& values,
                      std::vector<std::string>& argv);

}  // namespace pipeline
