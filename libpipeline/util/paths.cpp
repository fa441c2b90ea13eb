#include "util/paths.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

#include "util/utf8.hpp"

namespace pipeline {

std::string path_text(const fs::path& p) {
  if constexpr (fs::path::preferred_separator == '/') {
    return p.generic_string();  // a POSIX name is its bytes
  } else {
    const std::wstring units = p.generic_wstring();  // UTF-16 on Windows
    return utf8_from_utf16(std::u16string(units.begin(), units.end()));
  }
}

fs::path path_from_text(std::string_view text) {
  if constexpr (fs::path::preferred_separator == '/') {
    return fs::path(text.begin(), text.end());  // a POSIX name is its bytes, UTF-8 or not
  } else {
    // UTF-16 names: text that is not UTF-8 (a damaged file, a hostile manifest) gets U+FFFD
    // where it breaks, instead of the library's exception.
    const std::string valid = sanitize_utf8(text);
    return fs::path(std::u8string(valid.begin(), valid.end()));
  }
}

fs::path resolve_path(const fs::path& base, const std::string& text) {
  fs::path path = path_from_text(text);
  return (path.is_absolute() ? path : base / path).lexically_normal();
}

bool unc_path_unsupported(std::string_view text) {
  if constexpr (fs::path::preferred_separator == '/') {
    return false;
  } else {
    auto sep = [&](std::size_t i) {
      return i < text.size() && (text[i] == '/' || text[i] == '\\');
    };
    return sep(0) && sep(1) && text.size() > 2 && !sep(2) && !path_from_text(text).has_root_name();
  }
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
  if (rel.empty() || *rel.begin() == "..") return path_text(p);
  return path_text(rel);
}

}  // namespace pipeline
