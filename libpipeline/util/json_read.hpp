#pragma once
/// Reads JSON the runner does not control (a manifest a producer dropped, a report or lock
/// record on disk that may be damaged) with a bounded nesting depth, so that no input can make
/// the runner recurse, allocate or print without limit. Callers bound the size by reading at
/// most so many bytes.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace pipeline {

/// Nesting deeper than this is refused: the runner's own files nest 5 levels at most.
inline constexpr std::size_t kMaxJsonDepth = 32;

/// The parsed value, or a discarded value with *error saying why (invalid JSON, too deep).
nlohmann::json parse_untrusted_json(std::string_view text, std::string* error = nullptr,
                                    std::size_t max_depth = kMaxJsonDepth);

/// What a JSON library error says, for a person: "cannot use value() with number", without
/// the library's "[json.exception.type_error.306] " tag.
std::string json_error_text(const nlohmann::json::exception& e);

}  // namespace pipeline
