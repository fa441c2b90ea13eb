#pragma once
/// A user's regular expression over one line of a stage's output (`completion`, `progress`),
/// run by RE2: matching takes time linear in the line and bounded memory, whatever the
/// pattern, so no pattern and no output can stall or crash the runner. What RE2 cannot run
/// that way (backreferences, lookaround) it refuses to compile, and `config check` with it.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace pipeline {

class LinePattern {
 public:
  /// Compiles source; throws std::invalid_argument saying why when RE2 cannot run it, or when
  /// it does not have exactly `captures` capture groups (when captures >= 0).
  explicit LinePattern(const std::string& source, int captures = -1);
  ~LinePattern();
  LinePattern(LinePattern&&) noexcept;
  LinePattern& operator=(LinePattern&&) noexcept;

  /// True when the pattern matches somewhere in line.
  bool search(std::string_view line) const;
  /// The first capture group of the first match, or nullopt when there is no match (or the
  /// group took no part in it).
  std::optional<std::string_view> capture(std::string_view line) const;

 private:
  std::unique_ptr<re2::RE2> re_;
};

/// Why source is not a pattern the runner can use ("" when it is): what `config check` says.
std::string line_pattern_error(const std::string& source, int captures = -1);

}  // namespace pipeline
