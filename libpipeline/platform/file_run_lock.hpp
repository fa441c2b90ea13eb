#pragma once
/// The run lock on a file: flock (POSIX) / LockFileEx (Windows), with the owner record in
/// the file. The polling and the record are shared; the native calls are in the _posix and
/// _win32 files.

#include <cstdint>
#include <filesystem>
#include <string>

#include "ports/run_lock.hpp"

namespace pipeline {

/// flock (POSIX) / LockFileEx (Windows) on a file.
class FileRunLock final : public RunLock {
 public:
  explicit FileRunLock(std::filesystem::path path);
  ~FileRunLock() override;
  bool acquire(Millis wait, Clock& clock, const std::string& owner) override;
  std::string holder() const override;
  const std::string& previous_owner() const override { return previous_; }
  void update(const std::string& owner) override;
  void release() override;

 private:
  bool try_lock();
  std::string read_held() const;
  std::string previous_;
  std::filesystem::path path_;
  std::intptr_t handle_ = -1;
  bool held_ = false;
};

}  // namespace pipeline
