// Windows: wide Win32 calls behind native_file.hpp. Unbuilt until issue 9 (the Windows lane).
#include <windows.h>

#include <fstream>

#include "platform/native_file.hpp"
#include "platform/real_file_system.hpp"
#include "util/paths.hpp"

namespace pipeline {
namespace native {
namespace {

std::error_code last_error() {
  return {static_cast<int>(GetLastError()), std::system_category()};
}

class NativeFile {
 public:
  ~NativeFile() {
    if (h_ != INVALID_HANDLE_VALUE) CloseHandle(h_);
  }
  std::error_code open(const fs::path& p, DWORD disposition) {
    h_ = CreateFileW(p.c_str(), GENERIC_WRITE, 0, nullptr, disposition, FILE_ATTRIBUTE_NORMAL,
                     nullptr);
    return h_ == INVALID_HANDLE_VALUE ? last_error() : std::error_code{};
  }
  std::error_code write_all(std::string_view data) {
    while (!data.empty()) {
      DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(data.size(), 1 << 30)), done = 0;
      if (!WriteFile(h_, data.data(), chunk, &done, nullptr)) return last_error();
      data.remove_prefix(done);
    }
    return {};
  }
  std::error_code sync() { return FlushFileBuffers(h_) ? std::error_code{} : last_error(); }

 private:
  HANDLE h_ = INVALID_HANDLE_VALUE;
};

class NativeAppendFile final : public AppendFile {
 public:
  explicit NativeAppendFile(const fs::path& p) {
    h_ = CreateFileW(p.c_str(), FILE_APPEND_DATA, FILE_SHARE_READ, nullptr, OPEN_ALWAYS,
                     FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h_ == INVALID_HANDLE_VALUE) fail("open", p, last_error());
  }
  ~NativeAppendFile() override { CloseHandle(h_); }
  bool append(std::string_view data) override {
    DWORD done = 0;
    if (!WriteFile(h_, data.data(), static_cast<DWORD>(data.size()), &done, nullptr) ||
        done != data.size()) {
      error_ = last_error().message();
      return false;
    }
    return true;
  }
  std::string error() const override { return error_; }

 private:
  HANDLE h_;
  std::string error_;
};

}  // namespace

std::error_code write_new_synced(const fs::path& path, std::string_view content) {
  std::error_code ec;
  {
    NativeFile f;
    if ((ec = f.open(path, CREATE_NEW))) return ec;
    ec = f.write_all(content);
    if (!ec) ec = f.sync();
  }
  if (ec) DeleteFileW(path.c_str());
  return ec;
}

std::error_code write_truncated(const fs::path& path, std::string_view content) {
  NativeFile f;
  if (auto ec = f.open(path, CREATE_ALWAYS)) return ec;
  return f.write_all(content);
}

std::error_code replace_file(const fs::path& from, const fs::path& to) {
  if (MoveFileExW(from.c_str(), to.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
    return {};
  return last_error();
}

// Without MOVEFILE_REPLACE_EXISTING the move itself refuses an existing target.
std::error_code rename_no_replace(const fs::path& from, const fs::path& to) {
  if (MoveFileExW(from.c_str(), to.c_str(), MOVEFILE_WRITE_THROUGH)) return {};
  DWORD e = GetLastError();
  if (e == ERROR_NOT_SAME_DEVICE) return std::make_error_code(std::errc::cross_device_link);
  if (e == ERROR_ALREADY_EXISTS || e == ERROR_FILE_EXISTS)
    return std::make_error_code(std::errc::file_exists);
  return {static_cast<int>(e), std::system_category()};
}

void sync_directory(const fs::path&) {}  // MOVEFILE_WRITE_THROUGH already made it durable

std::unique_ptr<AppendFile> open_append(const fs::path& p) {
  return std::make_unique<NativeAppendFile>(p);
}

}  // namespace native

namespace {

/// 100 ns ticks between 1601-01-01 (FILETIME's epoch) and 1970-01-01.
constexpr std::int64_t kUnixEpochTicks = 116444736000000000;

std::int64_t unix_ns(const FILETIME& t) {
  const std::int64_t ticks = (static_cast<std::int64_t>(t.dwHighDateTime) << 32) |
                             static_cast<std::int64_t>(t.dwLowDateTime);
  return (ticks - kUnixEpochTicks) * 100;
}

}  // namespace

// One GetFileAttributesExW: kind, size and a modification time to 100 ns. (The C runtime's
// stat, under std::filesystem here, gives whole seconds, and the reports folder's stamp must
// see a change within the second.) A link is followed the long way.
std::optional<FileStat> RealFileSystem::stat(const fs::path& p) const {
  WIN32_FILE_ATTRIBUTE_DATA data{};
  if (!GetFileAttributesExW(p.c_str(), GetFileExInfoStandard, &data)) return std::nullopt;
  FileStat out;
  if ((data.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0) {
    out.kind = (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? FileKind::kDirectory
               : (data.dwFileAttributes & FILE_ATTRIBUTE_DEVICE)  ? FileKind::kOther
                                                                  : FileKind::kFile;
    if (out.is_file()) {
      out.size = (static_cast<std::uintmax_t>(data.nFileSizeHigh) << 32) | data.nFileSizeLow;
    }
    out.mtime_ns = unix_ns(data.ftLastWriteTime);
    return out;
  }
  std::error_code ec;
  auto st = fs::status(p, ec);
  if (ec || !fs::exists(st)) return std::nullopt;
  out.kind = fs::is_directory(st)      ? FileKind::kDirectory
             : fs::is_regular_file(st) ? FileKind::kFile
                                       : FileKind::kOther;
  if (out.is_file()) {
    auto size = fs::file_size(p, ec);
    if (!ec) out.size = size;
  }
  auto mtime = fs::last_write_time(p, ec);
  if (!ec) {
    out.mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::file_clock::to_sys(mtime).time_since_epoch())
                       .count();
  }
  return out;
}

std::vector<DirEntry> RealFileSystem::list_dir(const fs::path& dir) const {
  std::vector<DirEntry> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) return out;
    native::fail("list", dir, ec);
  }
  for (; it != end; it.increment(ec)) {
    if (ec) native::fail("list", dir, ec);
    std::error_code type_ec;
    auto st = it->status(type_ec);
    FileKind kind = type_ec || !fs::exists(st) ? FileKind::kBroken
                    : fs::is_directory(st)     ? FileKind::kDirectory
                    : fs::is_regular_file(st)  ? FileKind::kFile
                                               : FileKind::kOther;
    out.push_back({path_text(it->path().filename()), kind});
  }
  return out;
}

std::string RealFileSystem::read_file(const fs::path& p, std::size_t max_bytes) const {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) {
    if (!fs::exists(p, ec))
      native::fail("read", p, std::make_error_code(std::errc::no_such_file_or_directory));
    native::fail_not_regular("read", p);
  }
  std::ifstream in(p, std::ios::binary);
  // The C runtime under the stream sets errno for a file it cannot open or read.
  if (!in) native::fail("read", p, std::error_code(errno, std::generic_category()));
  std::string data;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
    if (data.size() > max_bytes) native::fail_too_large(p, max_bytes);
  }
  if (in.bad()) native::fail("read", p, std::error_code(errno, std::generic_category()));
  return data;
}

void RealFileSystem::copy_new(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (!fs::is_regular_file(from, ec)) native::fail_not_regular("copy", from);
  if (!fs::copy_file(from, to, fs::copy_options::none, ec))
    native::fail("copy " + path_text(from) + " to", to, ec);
  // copy_file keeps the modification time; flush the copy to disk.
  HANDLE h = CreateFileW(to.c_str(), GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr);
  if (h != INVALID_HANDLE_VALUE) {
    FlushFileBuffers(h);
    CloseHandle(h);
  }
}

}  // namespace pipeline
