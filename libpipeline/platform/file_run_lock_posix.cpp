#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "platform/file_run_lock.hpp"
#include "util/error.hpp"

namespace pipeline {

bool FileRunLock::try_lock() {
  // A holder may remove its lock file as it lets go (a batch's claim): a lock taken on the
  // file it removed guards nothing, so the lock counts only while the path still names the
  // locked file; otherwise the file now at the path is opened and tried again.
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (handle_ == -1) {
      int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) {
        throw Error(exit_code::kInternal,
                    "cannot open lock file " + path_.string() + ": " +
                        std::error_code(errno, std::generic_category()).message());
      }
      handle_ = fd;
    }
    int fd = static_cast<int>(handle_);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        throw Error(exit_code::kInternal,
                    "cannot lock " + path_.string() + ": " +
                        std::error_code(errno, std::generic_category()).message());
      }
      return false;
    }
    struct ::stat locked = {};
    struct ::stat named = {};
    if (::fstat(fd, &locked) == 0 && ::stat(path_.c_str(), &named) == 0 &&
        locked.st_ino == named.st_ino && locked.st_dev == named.st_dev) {
      return true;
    }
    ::close(fd);  // removed while we waited: drop the lock and the stale file with it
    handle_ = -1;
  }
  return false;
}

std::string FileRunLock::read_held() const {
  std::string text;
  char buf[4096];
  off_t offset = 0;
  ssize_t got;
  while ((got = ::pread(static_cast<int>(handle_), buf, sizeof buf, offset)) > 0) {
    text.append(buf, static_cast<std::size_t>(got));
    offset += got;
  }
  return text;
}

// The owner record is a courtesy for the next run: the lock is held whatever happens here.
void FileRunLock::update(const std::string& owner) {
  std::string text = owner + "\n";
  int fd = static_cast<int>(handle_);
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) < 0) return;
}

void FileRunLock::release() {
  if (handle_ == -1) return;
  int fd = static_cast<int>(handle_);
  if (held_) ::ftruncate(fd, 0);  // no owner any more; the OS lock goes with the close
  ::close(fd);
  handle_ = -1;
  held_ = false;
}

}  // namespace pipeline
