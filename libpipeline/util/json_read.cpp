#include "util/json_read.hpp"

#include <algorithm>

namespace pipeline {
namespace {

// The deepest nesting of arrays and objects, brackets inside strings not counted; stops
// counting once past limit. Linear and allocation-free: it runs before the parser does.
std::size_t nesting_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

nlohmann::json parse_untrusted_json(std::string_view text, std::string* error,
                                    std::size_t max_depth) {
  if (nesting_depth(text, max_depth) > max_depth) {
    if (error) *error = "it nests deeper than " + std::to_string(max_depth) + " levels";
    return nlohmann::json::value_t::discarded;
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    if (error) *error = json_error_text(e);
    return nlohmann::json::value_t::discarded;
  }
}

std::string json_error_text(const nlohmann::json::exception& e) {
  std::string_view what = e.what();
  if (!what.empty() && what[0] == '[') {
    if (auto close = what.find("] "); close != std::string_view::npos)
      what.remove_prefix(close + 2);
  }
  return std::string(what);
}

}  // namespace pipeline
