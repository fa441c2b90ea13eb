#include "core/glob.hpp"

#include <algorithm>

#include "util/error.hpp"
#include "util/paths.hpp"

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

struct Walk {
  const FileSystem& files;
  const std::vector<std::string>& segs;
  std::vector<std::string>& out;
  std::vector<std::string>* warnings;

  void warn(std::string line) const {
    if (warnings) warnings->push_back(std::move(line));
  }

  // One folder's names; a folder that cannot be listed is passed over with a warning (once:
  // `**` visits a folder once per remaining segment).
  std::vector<DirEntry> list(const fs::path& dir) const {
    try {
      return files.list_dir(dir);
    } catch (const FileError& e) {
      std::string line = std::string(e.what()) + "; passed over";
      if (!warnings || std::find(warnings->begin(), warnings->end(), line) == warnings->end()) {
        warn(std::move(line));
      }
      return {};
    }
  }

  // A name the pattern matched: a file is an input; a broken link, FIFO, socket or device is
  // worth a warning (someone may wonder why it was not processed); a folder is not.
  void take(std::string p, FileKind kind) const {
    if (kind == FileKind::kFile) {
      out.push_back(std::move(p));
    } else if (kind == FileKind::kBroken) {
      warn(p + " is a dangling symlink or a symlink loop; passed over");
    } else if (kind == FileKind::kOther) {
      warn(p + " is not a regular file (a FIFO, socket or device); passed over");
    }
  }

  void walk(const fs::path& dir, std::size_t k) const {
    if (k == segs.size()) return;
    const std::string& seg = segs[k];
    bool last = k + 1 == segs.size();
    if (seg == "**") {
      walk(dir, k + 1);  // zero folders
      for (const auto& e : list(dir)) {
        if (e.is_directory() && e.name[0] != '.') walk(dir / path_from_text(e.name), k);
      }
      return;
    }
    if (!has_wildcard(seg)) {
      fs::path next = dir / path_from_text(seg);
      auto st = files.stat(next);
      if (!st) return;
      if (last) take(path_text(next), st->kind);
      if (!last && st->is_directory()) walk(next, k + 1);
      return;
    }
    // A match is the folder's text, a separator and the name: no path object per file.
    std::string prefix = path_text(dir);
    if (prefix.empty() || prefix.back() != '/') prefix += '/';
    for (const auto& e : list(dir)) {
      if (e.name[0] == '.' && seg[0] != '.') continue;
      if (!glob_match_segment(seg, e.name)) continue;
      if (last) take(prefix + e.name, e.kind);
      if (!last && e.is_directory()) walk(dir / path_from_text(e.name), k + 1);
    }
  }
};

}  // namespace

void sort_unique_paths(std::vector<std::string>& paths) {
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
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

std::vector<std::string> glob_files(const FileSystem& files, const fs::path& pattern,
                                    std::vector<std::string>* warnings) {
  std::vector<std::string> out;
  std::vector<std::string> segs;
  for (const auto& part : pattern.relative_path()) {
    if (!part.empty()) segs.push_back(path_text(part));
  }
  Walk{files, segs, out, warnings}.walk(pattern.root_path(), 0);
  sort_unique_paths(out);
  return out;
}

}  // namespace pipeline
