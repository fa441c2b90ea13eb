#include "glob.hpp"

#include <algorithm>

namespace pipeline {
namespace {

// Matches one bracket expression at pattern[p] against c; advances p past it.
bool match_bracket(std::string_view pattern, std::size_t& p, char c, bool& valid) {
  std::size_t i = p + 1;
  bool negate = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
  if (negate) ++i;
  bool matched = false;
  bool first = true;
  while (i < pattern.size() && (first || pattern[i] != ']')) {
    first = false;
    char lo = pattern[i];
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      char hi = pattern[i + 2];
      if (lo <= c && c <= hi) matched = true;
      i += 3;
    } else {
      if (lo == c) matched = true;
      ++i;
    }
  }
  if (i >= pattern.size()) {  // no closing ']': the '[' is a literal
    valid = false;
    return c == '[';
  }
  valid = true;
  p = i + 1;
  return matched != negate;
}

void walk(const FileSystem& files, const fs::path& dir, const std::vector<std::string>& segs,
          std::size_t k, std::vector<fs::path>& out) {
  if (k == segs.size()) return;
  const std::string& seg = segs[k];
  bool last = k + 1 == segs.size();
  if (seg == "**") {
    walk(files, dir, segs, k + 1, out);  // zero folders
    for (const auto& e : files.list_dir(dir)) {
      if (e.is_directory && e.name[0] != '.') walk(files, dir / e.name, segs, k, out);
    }
    return;
  }
  if (!has_wildcard(seg)) {
    fs::path next = dir / seg;
    auto st = files.stat(next);
    if (!st) return;
    if (last && !st->is_directory) out.push_back(next);
    if (!last && st->is_directory) walk(files, next, segs, k + 1, out);
    return;
  }
  for (const auto& e : files.list_dir(dir)) {
    if (e.name[0] == '.' && seg[0] != '.') continue;
    if (!glob_match_segment(seg, e.name)) continue;
    if (last && !e.is_directory) out.push_back(dir / e.name);
    if (!last && e.is_directory) walk(files, dir / e.name, segs, k + 1, out);
  }
}

}  // namespace

void sort_unique_paths(std::vector<fs::path>& paths) {
  // By the native string: path::compare walks components and is ~10x slower on 100k files.
  auto less = [](const fs::path& a, const fs::path& b) { return a.native() < b.native(); };
  auto same = [](const fs::path& a, const fs::path& b) { return a.native() == b.native(); };
  std::sort(paths.begin(), paths.end(), less);
  paths.erase(std::unique(paths.begin(), paths.end(), same), paths.end());
}

bool has_wildcard(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

bool glob_match_segment(std::string_view pattern, std::string_view name) {
  // Iterative matcher with one backtrack point for the last '*': linear in practice.
  std::size_t p = 0, n = 0, star_p = std::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        star_p = p++;
        star_n = n;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++n;
        continue;
      }
      if (pc == '[') {
        std::size_t q = p;
        bool valid = false;
        bool ok = match_bracket(pattern, q, name[n], valid);
        if (ok) {
          p = valid ? q : p + 1;
          ++n;
          continue;
        }
      } else if (pc == name[n]) {
        ++p;
        ++n;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<fs::path> glob_files(const FileSystem& files, const fs::path& pattern) {
  std::vector<fs::path> out;
  std::vector<std::string> segs;
  for (const auto& part : pattern.relative_path()) {
    if (!part.empty()) segs.push_back(part.string());
  }
  walk(files, pattern.root_path(), segs, 0, out);
  sort_unique_paths(out);
  return out;
}

}  // namespace pipeline
