#pragma once
/// A fresh folder for one test, removed with everything in it afterwards.

#include <filesystem>
#include <string>

namespace pipeline::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// The whole content of a file ("" when it does not exist).
std::string slurp(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& content);

}  // namespace pipeline::testing
