#pragma once
/// Durations as users write them: "1h30m", "250ms", "0s"; a bare number is refused.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pipeline {

using Millis = std::chrono::milliseconds;

/// Parses a duration with units (ms, s, m, h, d), combinable; nullopt when malformed.
std::optional<Millis> parse_duration(std::string_view text);

/// Formats a duration the way parse_duration reads it ("1h30m", "250ms", "0s").
std::string format_duration(Millis d);

}  // namespace pipeline
