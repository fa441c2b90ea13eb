// Windows: LockFileEx on the lock file. Unbuilt until issue 9 (the Windows lane).
#include <windows.h>

#include "platform/file_run_lock.hpp"
#include "util/error.hpp"

namespace pipeline {

bool FileRunLock::try_lock() {
  if (handle_ == -1) {
    HANDLE h =
        CreateFileW(path_.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                    nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
      throw Error(exit_code::kInternal, "cannot open lock file " + path_.generic_string());
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

}  // namespace pipeline
