#include "platform/file_run_lock.hpp"

#include <fstream>

#include "util/error.hpp"

namespace pipeline {

namespace {
constexpr Millis kPoll{100};
}

FileRunLock::FileRunLock(std::filesystem::path path) : path_(std::move(path)) {}

FileRunLock::~FileRunLock() {
  release();
}

std::string FileRunLock::holder() const {
  std::ifstream in(path_, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

bool FileRunLock::acquire(Millis wait, Clock& clock, const std::string& owner) {
  auto deadline = clock.now() + wait;
  while (!try_lock()) {
    if (clock.now() >= deadline) return false;
    if (!clock.sleep_for(kPoll)) return false;
  }
  held_ = true;
  previous_ = read_held();
  update(owner);
  return true;
}

}  // namespace pipeline
