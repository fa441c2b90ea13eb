#include "util/paths.hpp"

#include <algorithm>

namespace pipeline {

fs::path resolve_path(const fs::path& base, const std::string& text) {
  fs::path path(text);
  return (path.is_absolute() ? path : base / path).lexically_normal();
}

bool is_within(const fs::path& p, const fs::path& dir) {
  auto [d, q] = std::mismatch(dir.begin(), dir.end(), p.begin(), p.end());
  return d == dir.end() && q != p.end();
}

std::string display_path(const fs::path& p, const fs::path& root) {
  fs::path rel = p.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return p.string();
  return rel.generic_string();
}

}  // namespace pipeline
