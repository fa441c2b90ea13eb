#pragma once
/// The file system as the orchestrator sees it: a small interface so that decisions, lifecycle
/// and records can be tested in memory. The real one is RealFileSystem.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pipeline {

namespace fs = std::filesystem;

/// What a decision or a lifecycle check needs to know of a file.
struct FileStat {
  bool is_directory = false;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  ///< modification time, nanoseconds since the epoch
  friend bool operator==(const FileStat&, const FileStat&) = default;
};

/// One name in a folder listing.
struct DirEntry {
  std::string name;
  bool is_directory = false;
};

/// A file opened for appending whole records: one write per record (events, JSONL).
class AppendFile {
 public:
  virtual ~AppendFile() = default;
  /// Appends data in one write; false (with errno-style reason in error()) when it failed or
  /// was cut short.
  virtual bool append(std::string_view data) = 0;
  virtual std::string error() const = 0;
};

/// Every file operation the orchestrator and its services use. Failures throw FileError with
/// a message that names the path; "not found" is a value (nullopt, empty list), not an error.
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual std::optional<FileStat> stat(const fs::path& p) const = 0;
  /// Names in a folder, unsorted; empty when the folder does not exist.
  virtual std::vector<DirEntry> list_dir(const fs::path& dir) const = 0;
  virtual std::string read_file(const fs::path& p) const = 0;
  virtual void create_directories(const fs::path& dir) = 0;
  /// Writes a file for another process to read now (no sync: not a record that must survive
  /// a crash). Replaces an existing file.
  virtual void write_file(const fs::path& p, std::string_view content) = 0;
  /// Writes a file so that a reader sees the old content or the new, never a torn one, and
  /// it survives a crash once this returns.
  virtual void write_atomic(const fs::path& p, std::string_view content) = 0;
  virtual std::unique_ptr<AppendFile> open_append(const fs::path& p) = 0;
  virtual void remove(const fs::path& p) = 0;
  /// Moves a file; never replaces an existing target; across devices copies, syncs, removes.
  virtual void move(const fs::path& from, const fs::path& to) = 0;
  /// The path with every symlink and `..` resolved, or nullopt when it does not exist.
  virtual std::optional<fs::path> real_path(const fs::path& p) const = 0;

  bool exists(const fs::path& p) const { return stat(p).has_value(); }
};

}  // namespace pipeline
