// Windows: LockFileEx on one byte of the lock file far past its end. A Windows lock is
// mandatory: over the owner record it would stop another run from reading who holds the lock.
#include <windows.h>

#include "platform/file_run_lock.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"

namespace pipeline {

namespace {

/// The locked byte: at 2^62, where no owner record reaches.
OVERLAPPED lock_byte() {
  OVERLAPPED ov{};
  ov.Offset = 0;
  ov.OffsetHigh = 0x40000000;
  return ov;
}

}  // namespace

bool FileRunLock::try_lock() {
  if (handle_ == -1) {
    HANDLE h =
        CreateFileW(path_.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                    nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
      throw Error(exit_code::kInternal, "cannot open lock file " + path_text(path_));
    }
    handle_ = reinterpret_cast<std::intptr_t>(h);
  }
  OVERLAPPED ov = lock_byte();
  return LockFileEx(reinterpret_cast<HANDLE>(handle_),
                    LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov) != 0;
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
    SetFilePointer(h, 0, nullptr, FILE_BEGIN);  // no owner any more
    SetEndOfFile(h);
    OVERLAPPED ov = lock_byte();
    UnlockFileEx(h, 0, 1, 0, &ov);  // the lock would go with the close anyway
  }
  CloseHandle(h);
  handle_ = -1;
  held_ = false;
}

}  // namespace pipeline
