#pragma once
/// File globs over any FileSystem: `*`, `?`, `[abc]`, `[!a-z]` within one path segment, and
/// `**` for any number of folders. Portable: no shell, no POSIX glob().

#include <string>
#include <string_view>
#include <vector>

#include "ports/file_system.hpp"

namespace pipeline {

/// True when name matches one segment pattern (no '/').
bool glob_match_segment(std::string_view pattern, std::string_view name);

/// True when the pattern has any wildcard character.
bool has_wildcard(std::string_view pattern);

/// Sorts paths by their text and drops duplicates.
void sort_unique_paths(std::vector<std::string>& paths);

/// Regular files matching an absolute pattern, sorted and without duplicates. Hidden names
/// (leading '.') match only a pattern segment that starts with '.'. Nothing else ever
/// matches: a FIFO, socket or device is passed over, and a dangling symlink, a symlink loop
/// or a folder that cannot be listed is passed over with a line in *warnings (when given).
/// Paths come back as text (a std::filesystem::path per file costs a list of its components:
/// most of the time and memory of a 100,000-file decision).
std::vector<std::string> glob_files(const FileSystem& files, const fs::path& pattern,
                                    std::vector<std::string>* warnings = nullptr);

}  // namespace pipeline
