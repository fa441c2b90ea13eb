#include "ports/run_lock.hpp"

#include <cerrno>
#include <fstream>
#include <system_error>

#include "util/error.hpp"

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

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

#ifdef _WIN32

bool FileRunLock::try_lock() {
  if (handle_ == -1) {
    HANDLE h =
        CreateFileW(path_.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                    nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
      throw Error(exit_code::kInternal, "cannot open lock file " + path_.string());
    }
    handle_ = reinterpret_cast<std::intptr_t>(h);
  }
  OVERLAPPED ov{};
  return LockFileEx(reinterpret_cast<HANDLE>(handle_),
                    LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, MAXDWORD, MAXDWORD,
                    &ov) != 0;
}

std::string FileRunLock::read_held() const {
  HANDLE h = reinterpret_cast<HANDLE>(handle_);
  SetFilePointer(h, 0, nullptr, FILE_BEGIN);
  std::string text;
  char buf[4096];
  DWORD got = 0;
  while (ReadFile(h, buf, sizeof buf, &got, nullptr) && got > 0) text.append(buf, got);
  return text;
}

// The owner record is a courtesy for the next run: the lock is held whatever happens here.
void FileRunLock::update(const std::string& owner) {
  std::string text = owner + "\n";
  HANDLE h = reinterpret_cast<HANDLE>(handle_);
  SetFilePointer(h, 0, nullptr, FILE_BEGIN);
  SetEndOfFile(h);
  DWORD done = 0;
  WriteFile(h, text.data(), static_cast<DWORD>(text.size()), &done, nullptr);
}

void FileRunLock::release() {
  if (handle_ == -1) return;
  HANDLE h = reinterpret_cast<HANDLE>(handle_);
  if (held_) {
    OVERLAPPED ov{};
    UnlockFileEx(h, 0, MAXDWORD, MAXDWORD, &ov);
  }
  CloseHandle(h);
  handle_ = -1;
  held_ = false;
}

#else

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

#endif

}  // namespace pipeline
