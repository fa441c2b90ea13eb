#include "util/paths.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

namespace pipeline {

fs::path resolve_path(const fs::path& base, const std::string& text) {
  fs::path path(text);
  return (path.is_absolute() ? path : base / path).lexically_normal();
}

bool unc_path_unsupported(std::string_view text) {
  if constexpr (fs::path::preferred_separator == '/') {
    return false;
  } else {
    auto sep = [&](std::size_t i) {
      return i < text.size() && (text[i] == '/' || text[i] == '\\');
    };
    return sep(0) && sep(1) && text.size() > 2 && !sep(2) && !fs::path(text).has_root_name();
  }
}

bool non_ascii_path_unsupported(std::string_view text) {
  const bool ascii = std::all_of(text.begin(), text.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return false;
  // U+00E9 written in UTF-8 read back as a path: the same character only if the library
  // reads UTF-8 (or, on POSIX, keeps the bytes as they are).
  static const bool reads_utf8 = fs::path(std::string("\xC3\xA9")).u8string() == u8"\u00E9";
  return !reads_utf8;
}

bool is_within(const fs::path& p, const fs::path& dir) {
  auto [d, q] = std::mismatch(dir.begin(), dir.end(), p.begin(), p.end());
  return d == dir.end() && q != p.end();
}

namespace {

// The part of p after root and a separator, when that is what lexically_relative would give:
// p spelt as root, '/', then names that are neither empty, "." nor "..". The common case
// (an input under the root) then costs a string compare instead of two component lists.
// POSIX only: on Windows a path is wide text with two separators, and takes the long way.
// (A template, so that the discarded branch is not compiled where native() is wide.)
template <class Path>
std::optional<std::string_view> plain_tail(const Path& p, const Path& root) {
  if constexpr (Path::preferred_separator != '/') {
    return std::nullopt;
  } else {
    const std::string_view whole(p.native());
    std::string_view base(root.native());
    while (base.size() > 1 && base.back() == '/') base.remove_suffix(1);
    if (base.empty() || whole.size() <= base.size() + 1 || whole.substr(0, base.size()) != base) {
      return std::nullopt;
    }
    std::string_view tail = whole.substr(base.size());
    if (base != "/") {
      if (tail.front() != '/') return std::nullopt;
      tail.remove_prefix(1);
    }
    for (std::size_t start = 0; start <= tail.size();) {
      std::size_t end = std::min(tail.find('/', start), tail.size());
      std::string_view name = tail.substr(start, end - start);
      if (name.empty() || name == "." || name == "..") return std::nullopt;
      start = end + 1;
    }
    return tail;
  }
}

}  // namespace

std::string display_path(const fs::path& p, const fs::path& root) {
  if (auto tail = plain_tail(p, root)) return std::string(*tail);
  fs::path rel = p.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return p.generic_string();
  return rel.generic_string();
}

}  // namespace pipeline
