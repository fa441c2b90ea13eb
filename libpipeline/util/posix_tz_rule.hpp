#pragma once
/// A POSIX TZ rule ("EST5EDT,M3.2.0,M11.1.0"), as a compiled zone file states it for the years
/// after its last transition, read and applied by the date library's ptz.h. That header is
/// ambiguous under C++20 (its unqualified hh_mm_ss meets std::chrono's), so its one user,
/// posix_tz_rule.cpp, is compiled as C++17, and nothing of the library shows here.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pipeline {

class PosixTzRule {
 public:
  /// The rule, or nullptr when the library cannot read it.
  static std::shared_ptr<const PosixTzRule> parse(const std::string& rule);
  ~PosixTzRule();

  /// Seconds east of UTC at an instant (Unix seconds).
  std::int64_t offset_at(std::int64_t unix_seconds) const;

  /// The instants at which the wall clock reads `local` (as TimeZone::Instants).
  struct Instants {
    std::int64_t first = 0;
    std::optional<std::int64_t> second;
    bool gap = false;
  };
  Instants instants(std::int64_t local_seconds) const;

  /// strftime-style text of an instant on this rule's wall clock (the date library's flags).
  std::string format(std::int64_t unix_seconds, std::string_view fmt) const;

  struct Impl;

 private:
  explicit PosixTzRule(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipeline
