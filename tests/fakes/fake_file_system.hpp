#pragma once
/// In-memory FileSystem for tests: files with contents and a modification time, folders,
/// and a record of what was removed and moved; operations can be made to fail on demand.

#include <map>
#include <set>
#include <string>

#include "ports/file_system.hpp"

namespace pipeline::testing {

class FakeFileSystem final : public FileSystem {
 public:
  void add_file(const fs::path& p, std::string content = "", std::int64_t mtime_ns = 1);
  std::string content(const fs::path& p) const { return files_.at(p.lexically_normal()); }
  bool has_file(const fs::path& p) const { return files_.count(p.lexically_normal()) > 0; }

  /// A symbolic link: real_path() follows it (a relative target is taken from link's folder).
  void add_symlink(const fs::path& link, const fs::path& target) {
    links_[link.lexically_normal()] = target;
  }

  /// A name that is not a regular file: kOther (a FIFO, socket or device: stat says so, and
  /// reading it throws) or kBroken (a dangling link or a loop: listed, but stat finds nothing).
  void add_special(const fs::path& p, FileKind kind) {
    create_directories(p.lexically_normal().parent_path());
    specials_[p.lexically_normal()] = kind;
  }
  /// Everything under dir is on another file system: a rename across it reports so.
  void add_device(const fs::path& dir) { devices_.insert(dir.lexically_normal()); }
  /// Listing dir fails (a folder the runner may not read).
  void fail_listing(const fs::path& dir) { unlistable_.insert(dir.lexically_normal()); }

  /// The next remove/move of this path throws FileError(reason).
  void fail_on(const fs::path& p, std::string reason) { failures_[p.lexically_normal()] = reason; }
  /// The failure set by fail_on is gone (the disk has room again).
  void heal(const fs::path& p) { failures_.erase(p.lexically_normal()); }
  /// Every append to this path fails (a full device).
  void fail_appends(const fs::path& p) { full_.insert(p.lexically_normal()); }

  std::vector<fs::path> removed;
  std::vector<std::pair<fs::path, fs::path>> moved;   ///< renames that happened
  std::vector<std::pair<fs::path, fs::path>> copied;  ///< copies across file systems
  std::map<fs::path, std::string> appended;           ///< what open_append wrote, per file

  std::optional<FileStat> stat(const fs::path& p) const override;
  std::vector<DirEntry> list_dir(const fs::path& dir) const override;
  std::string read_file(const fs::path& p, std::size_t max_bytes = kNoSizeLimit) const override;
  void create_directories(const fs::path& dir) override;
  void write_file(const fs::path& p, std::string_view content) override {
    write_atomic(p, content);
  }
  void write_atomic(const fs::path& p, std::string_view content) override;
  std::unique_ptr<AppendFile> open_append(const fs::path& p) override;
  void remove(const fs::path& p) override;
  bool rename_no_replace(const fs::path& from, const fs::path& to) override;
  void copy_new(const fs::path& from, const fs::path& to) override;
  std::optional<fs::path> real_path(const fs::path& p) const override;

 private:
  void check_failure(const fs::path& p);
  fs::path device_of(const fs::path& p) const;
  std::map<fs::path, std::string> files_;
  std::map<fs::path, std::int64_t> mtimes_;
  std::set<fs::path> dirs_{"/"};
  std::map<fs::path, std::string> failures_;
  std::set<fs::path> full_;
  std::map<fs::path, fs::path> links_;
  std::map<fs::path, FileKind> specials_;
  std::set<fs::path> devices_;
  std::set<fs::path> unlistable_;
};

}  // namespace pipeline::testing
