#pragma once
/// The file system of the machine, with durable writes (fsync before rename), renames that
/// never replace, and reads that open only regular files and never block.

#include "ports/file_system.hpp"

namespace pipeline {

class RealFileSystem final : public FileSystem {
 public:
  std::optional<FileStat> stat(const fs::path& p) const override;
  std::vector<DirEntry> list_dir(const fs::path& dir) const override;
  std::string read_file(const fs::path& p, std::size_t max_bytes = kNoSizeLimit) const override;
  void create_directories(const fs::path& dir) override;
  void write_file(const fs::path& p, std::string_view content) override;
  void write_atomic(const fs::path& p, std::string_view content) override;
  std::unique_ptr<AppendFile> open_append(const fs::path& p) override;
  void remove(const fs::path& p) override;
  bool rename_no_replace(const fs::path& from, const fs::path& to) override;
  void copy_new(const fs::path& from, const fs::path& to) override;
  std::optional<fs::path> real_path(const fs::path& p) const override;
};

}  // namespace pipeline
