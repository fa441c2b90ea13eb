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

/// What a name is once symlinks are followed. Only a regular file is ever data: an input, a
/// manifest, a file a batch lists. FIFOs, sockets and devices are never opened, moved or
/// deleted as data (opening a FIFO blocks for ever).
enum class FileKind : std::uint8_t {
  kFile,       ///< a regular file
  kDirectory,  ///< a folder
  kOther,      ///< a FIFO, socket or device
  kBroken,     ///< listings only: a dangling symlink, a symlink loop, a name stat refuses
};

/// What a decision or a lifecycle check needs to know of a file.
struct FileStat {
  FileKind kind = FileKind::kFile;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  ///< modification time, nanoseconds since the epoch
  bool is_directory() const { return kind == FileKind::kDirectory; }
  bool is_file() const { return kind == FileKind::kFile; }
  friend bool operator==(const FileStat&, const FileStat&) = default;
};

/// One name in a folder listing, with its kind (links followed).
struct DirEntry {
  std::string name;
  FileKind kind = FileKind::kFile;
  bool is_directory() const { return kind == FileKind::kDirectory; }
  bool is_file() const { return kind == FileKind::kFile; }
};

/// No limit on what read_file returns.
inline constexpr std::size_t kNoSizeLimit = static_cast<std::size_t>(-1);

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
  /// Names in a folder, unsorted; empty when the folder does not exist. One entry that cannot
  /// be examined (a dangling link, a loop) is listed as kBroken, never an error of the listing.
  virtual std::vector<DirEntry> list_dir(const fs::path& dir) const = 0;
  /// The bytes of a regular file; throws FileError for anything else (never blocks on a FIFO)
  /// and when the file holds more than max_bytes.
  virtual std::string read_file(const fs::path& p, std::size_t max_bytes = kNoSizeLimit) const = 0;
  virtual void create_directories(const fs::path& dir) = 0;
  /// Writes a file for another process to read now (no sync: not a record that must survive
  /// a crash). Replaces an existing file.
  virtual void write_file(const fs::path& p, std::string_view content) = 0;
  /// Writes a file so that a reader sees the old content or the new, never a torn one, and
  /// it survives a crash once this returns.
  virtual void write_atomic(const fs::path& p, std::string_view content) = 0;
  virtual std::unique_ptr<AppendFile> open_append(const fs::path& p) = 0;
  virtual void remove(const fs::path& p) = 0;
  /// Renames a file in one atomic step that never replaces an existing target, and makes it
  /// durable. False when from and to are on different file systems (nothing was done);
  /// throws FileError for every other failure.
  virtual bool rename_no_replace(const fs::path& from, const fs::path& to) = 0;
  /// Copies a regular file into a new file `to` (never replacing one), with from's
  /// modification time, synced to disk; a copy that fails leaves no `to` behind.
  virtual void copy_new(const fs::path& from, const fs::path& to) = 0;
  /// The path with every symlink and `..` resolved, or nullopt when it does not exist.
  virtual std::optional<fs::path> real_path(const fs::path& p) const = 0;

  bool exists(const fs::path& p) const { return stat(p).has_value(); }
};

/// The name of the temporary file that write_atomic writes beside p before renaming it over
/// p: `.NAME.tmpNNNNNNNNN`. A writer that dies leaves one behind.
std::string temp_name_for(const fs::path& p);

/// True for a name temp_name_for makes: what a sweep of a dead writer's leftovers removes.
bool is_temp_name(std::string_view name);

/// Removes the temporary files of writes that never finished in dir: all of them, or only
/// those last modified before written_before_ns (another writer may be at work on a newer
/// one). One line per file removed; a folder that cannot be listed is left alone.
std::vector<std::string> remove_unfinished_writes(
    FileSystem& files, const fs::path& dir,
    std::optional<std::int64_t> written_before_ns = std::nullopt);

}  // namespace pipeline
