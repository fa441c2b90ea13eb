#pragma once
/// The native half of RealFileSystem, shared by real_file_system.cpp and one of
/// real_file_system_posix.cpp / real_file_system_win32.cpp. Each call returns what went wrong
/// as a std::error_code taken at the failing call, never errno read afterwards.

#include <memory>
#include <string_view>
#include <system_error>

#include "ports/file_system.hpp"

namespace pipeline::native {

/// Creates `path` (never an existing file), writes content and syncs it to disk. On failure
/// the partial file is removed.
std::error_code write_new_synced(const fs::path& path, std::string_view content);

/// Creates or truncates `path` and writes content (no sync: a plain write).
std::error_code write_truncated(const fs::path& path, std::string_view content);

/// Replaces `to` by `from` in one step, durably where the platform can.
std::error_code replace_file(const fs::path& from, const fs::path& to);

/// Renames `from` to `to` unless `to` exists, in one step; errc::cross_device_link when the
/// two are on different file systems, errc::file_exists when `to` is there.
std::error_code rename_no_replace(const fs::path& from, const fs::path& to);

/// Makes the entries of `dir` durable (a rename into it). Best effort.
void sync_directory(const fs::path& dir);

/// Opens p for appending records that are never torn; throws FileError.
std::unique_ptr<AppendFile> open_append(const fs::path& p);

[[noreturn]] void fail(const std::string& what, const fs::path& p, const std::error_code& ec);
[[noreturn]] void fail_not_regular(const std::string& what, const fs::path& p);
[[noreturn]] void fail_too_large(const fs::path& p, std::size_t max_bytes);

}  // namespace pipeline::native
