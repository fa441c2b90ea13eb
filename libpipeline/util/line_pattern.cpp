#include "util/line_pattern.hpp"

#include <re2/re2.h>

#include <stdexcept>

namespace pipeline {
namespace {

RE2::Options options() {
  RE2::Options o;
  o.set_log_errors(false);  // errors are ours to report, as one sentence
  o.set_max_mem(8 << 20);   // bounds the compiled program and its DFA cache
  return o;
}

std::string why_not(const RE2& re, const std::string& source, int captures) {
  if (!re.ok()) {
    std::string why = re.error();
    if (re.error_code() == RE2::ErrorBadEscape || re.error_code() == RE2::ErrorBadPerlOp) {
      why +=
          " (backreferences and lookaround cannot be matched in bounded time, so they are "
          "not supported)";
    }
    return "'" + source + "' is not a regular expression the runner can run: " + why;
  }
  if (captures >= 0 && re.NumberOfCapturingGroups() != captures) {
    return "'" + source + "' must have exactly " + std::to_string(captures) +
           " capture group (the item's name), found " +
           std::to_string(re.NumberOfCapturingGroups());
  }
  return {};
}

}  // namespace

LinePattern::LinePattern(const std::string& source, int captures)
    : re_(std::make_unique<RE2>(source, options())) {
  if (std::string why = why_not(*re_, source, captures); !why.empty()) {
    throw std::invalid_argument(why);
  }
}

LinePattern::~LinePattern() = default;
LinePattern::LinePattern(LinePattern&&) noexcept = default;
LinePattern& LinePattern::operator=(LinePattern&&) noexcept = default;

bool LinePattern::search(std::string_view line) const {
  return RE2::PartialMatch(re2::StringPiece(line.data(), line.size()), *re_);
}

std::optional<std::string_view> LinePattern::capture(std::string_view line) const {
  re2::StringPiece text(line.data(), line.size());
  re2::StringPiece groups[2];  // the whole match, then the first group
  if (!re_->Match(text, 0, text.size(), RE2::UNANCHORED, groups, 2)) return std::nullopt;
  if (groups[1].data() == nullptr) return std::nullopt;
  return std::string_view(groups[1].data(), groups[1].size());
}

std::string line_pattern_error(const std::string& source, int captures) {
  RE2 re(source, options());
  return why_not(re, source, captures);
}

}  // namespace pipeline
