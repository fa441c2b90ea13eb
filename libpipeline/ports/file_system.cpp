#include "ports/file_system.hpp"

#include <algorithm>
#include <random>

#include "util/error.hpp"
#include "util/paths.hpp"

namespace pipeline {

namespace {
constexpr std::string_view kTempMarker = ".tmp";
}

std::string temp_name_for(const fs::path& p) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return "." + path_text(p.filename()) + std::string(kTempMarker) +
         std::to_string(rng() % 1'000'000'000);
}

bool is_temp_name(std::string_view name) {
  if (name.size() < 2 || name[0] != '.') return false;
  std::size_t marker = name.rfind(kTempMarker);
  if (marker == std::string_view::npos || marker < 2) return false;
  std::string_view digits = name.substr(marker + kTempMarker.size());
  return !digits.empty() && digits.size() <= 9 &&
         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> remove_unfinished_writes(FileSystem& files, const fs::path& dir,
                                                  std::optional<std::int64_t> written_before_ns) {
  std::vector<std::string> removed;
  std::vector<DirEntry> entries;
  try {
    entries = files.list_dir(dir);
  } catch (const FileError&) {
    return removed;
  }
  for (const auto& e : entries) {
    if (!e.is_file() || !is_temp_name(e.name)) continue;
    if (written_before_ns) {
      auto st = files.stat(dir / path_from_text(e.name));
      if (!st || st->mtime_ns > *written_before_ns) continue;
    }
    try {
      files.remove(dir / path_from_text(e.name));
      removed.push_back("removed " + path_text(dir / path_from_text(e.name)) +
                        ", the unfinished write of a run that died");
    } catch (const FileError&) {
    }
  }
  return removed;
}

}  // namespace pipeline
