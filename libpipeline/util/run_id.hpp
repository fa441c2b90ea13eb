#pragma once
/// Run ids: UUID version 7 (RFC 9562), time-ordered so that ids sort by start.

#include <optional>
#include <string>
#include <string_view>

#include "util/time_format.hpp"

namespace pipeline {

/// A new UUIDv7 for a run started at t: 48-bit Unix milliseconds, then random bits.
std::string make_run_id(TimePoint t);

/// True for a canonical lower-case UUID text (8-4-4-4-12 hex digits).
bool is_run_id(std::string_view text);

/// When the run with this (v7) id started, from its 48-bit millisecond field; nullopt when it
/// is not a run id.
std::optional<TimePoint> run_id_time(std::string_view id);

/// True for text that can only be the start of a run id: 1-36 of [0-9a-f-].
bool is_run_id_prefix(std::string_view text);

}  // namespace pipeline
