#include "platform/real_file_system.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>
#include <vector>

#include "util/error.hpp"

#ifdef _WIN32
#include <windows.h>
#else
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace pipeline {
namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& p, const std::error_code& ec) {
  throw FileError("cannot " + what + " " + p.string() + ": " + ec.message());
}

[[noreturn]] void fail_errno(const std::string& what, const fs::path& p) {
  fail(what, p, std::error_code(errno, std::generic_category()));
}

[[noreturn]] void fail_not_regular(const std::string& what, const fs::path& p) {
  throw FileError("cannot " + what + " " + p.string() +
                  ": not a regular file (a folder, FIFO, socket or device is never data)");
}

[[noreturn]] void fail_too_large(const fs::path& p, std::size_t max_bytes) {
  throw FileError("cannot read " + p.string() + ": it holds more than " +
                  std::to_string(max_bytes) + " bytes");
}

#ifdef _WIN32

class NativeFile {
 public:
  ~NativeFile() {
    if (h_ != INVALID_HANDLE_VALUE) CloseHandle(h_);
  }
  bool open_exclusive(const fs::path& p) {
    h_ = CreateFileW(p.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL,
                     nullptr);
    return h_ != INVALID_HANDLE_VALUE;
  }
  bool write_all(std::string_view data) {
    while (!data.empty()) {
      DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(data.size(), 1 << 30)), done = 0;
      if (!WriteFile(h_, data.data(), chunk, &done, nullptr)) return false;
      data.remove_prefix(done);
    }
    return true;
  }
  bool sync() { return FlushFileBuffers(h_) != 0; }

 private:
  HANDLE h_ = INVALID_HANDLE_VALUE;
};

bool replace_file(const fs::path& from, const fs::path& to) {
  return MoveFileExW(from.c_str(), to.c_str(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) != 0;
}
void sync_directory(const fs::path&) {}  // MOVEFILE_WRITE_THROUGH already made it durable

// Without MOVEFILE_REPLACE_EXISTING the move itself refuses an existing target.
std::error_code native_rename_no_replace(const fs::path& from, const fs::path& to) {
  if (MoveFileExW(from.c_str(), to.c_str(), MOVEFILE_WRITE_THROUGH)) return {};
  DWORD e = GetLastError();
  if (e == ERROR_NOT_SAME_DEVICE) return std::make_error_code(std::errc::cross_device_link);
  if (e == ERROR_ALREADY_EXISTS || e == ERROR_FILE_EXISTS)
    return std::make_error_code(std::errc::file_exists);
  return std::error_code(static_cast<int>(e), std::system_category());
}

class NativeAppendFile final : public AppendFile {
 public:
  explicit NativeAppendFile(const fs::path& p) : path_(p) {
    h_ = CreateFileW(p.c_str(), FILE_APPEND_DATA, FILE_SHARE_READ, nullptr, OPEN_ALWAYS,
                     FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h_ == INVALID_HANDLE_VALUE)
      fail("open", p, std::error_code(GetLastError(), std::system_category()));
  }
  ~NativeAppendFile() override { CloseHandle(h_); }
  bool append(std::string_view data) override {
    DWORD done = 0;
    if (!WriteFile(h_, data.data(), static_cast<DWORD>(data.size()), &done, nullptr) ||
        done != data.size()) {
      error_ = std::error_code(GetLastError(), std::system_category()).message();
      return false;
    }
    return true;
  }
  std::string error() const override { return error_; }

 private:
  fs::path path_;
  HANDLE h_;
  std::string error_;
};

#else

/// A descriptor closed on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Opens a regular file for reading without ever blocking: O_NONBLOCK makes opening a FIFO
// return at once, and fstat on the open descriptor (not the name, which may change) refuses
// anything but a regular file. O_NONBLOCK means nothing for the reads of a regular file.
int open_regular(const fs::path& p, struct ::stat& st) {
  int fd = ::open(p.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) fail_errno("read", p);
  if (::fstat(fd, &st) != 0) {
    int saved = errno;
    ::close(fd);
    fail("read", p, std::error_code(saved, std::generic_category()));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail_not_regular("read", p);
  }
  return fd;
}

class NativeFile {
 public:
  ~NativeFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool open_exclusive(const fs::path& p) {
    fd_ = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    return fd_ >= 0;
  }
  bool write_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) errno = ENOSPC;
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  bool sync() { return ::fsync(fd_) == 0; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

bool replace_file(const fs::path& from, const fs::path& to) {
  return ::rename(from.c_str(), to.c_str()) == 0;
}

// renameat2(RENAME_NOREPLACE) refuses an existing target in the same step as the rename, so
// a target created at the same moment is never replaced. File systems without it (EINVAL)
// fall back to link + unlink, which is just as exclusive for files.
std::error_code native_rename_no_replace(const fs::path& from, const fs::path& to) {
#ifdef RENAME_NOREPLACE
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return {};
  if (errno != EINVAL && errno != ENOSYS) return {errno, std::generic_category()};
#endif
  if (::link(from.c_str(), to.c_str()) != 0) return {errno, std::generic_category()};
  if (::unlink(from.c_str()) != 0) {
    std::error_code ec(errno, std::generic_category());
    ::unlink(to.c_str());
    return ec;
  }
  return {};
}

void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // the data is written; the rename's durability is best effort here
  ::fsync(fd);
  ::close(fd);
}

class NativeAppendFile final : public AppendFile {
 public:
  explicit NativeAppendFile(const fs::path& p) {
    fd_ = ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) fail_errno("open", p);
  }
  ~NativeAppendFile() override { ::close(fd_); }
  bool append(std::string_view data) override {
    // Where the record starts: a write cut short (a full disk) is cut back to here, so the
    // file never ends in a torn record.
    off_t start = ::lseek(fd_, 0, SEEK_END);
    ssize_t n;
    do {
      n = ::write(fd_, data.data(), data.size());
    } while (n < 0 && errno == EINTR);
    if (n >= 0 && static_cast<std::size_t>(n) == data.size()) return true;
    error_ = n < 0 ? std::strerror(errno)
                   : "short write (" + std::to_string(n) + " of " + std::to_string(data.size()) +
                         " bytes; device full?)";
    if (n > 0 && start >= 0 && ::ftruncate(fd_, start) != 0) {
      error_ += "; and the partial record could not be cut back";
    }
    return false;
  }
  std::string error() const override { return error_; }

 private:
  int fd_;
  std::string error_;
};

FileKind kind_of_mode(mode_t mode) {
  if (S_ISREG(mode)) return FileKind::kFile;
  if (S_ISDIR(mode)) return FileKind::kDirectory;
  return FileKind::kOther;
}

#endif

// Writes content to a fresh file beside `target` and syncs it; returns its path.
fs::path write_synced_temp(const fs::path& target, std::string_view content) {
  fs::path tmp = target.parent_path() / temp_name_for(target);
  NativeFile f;
  if (!f.open_exclusive(tmp)) fail_errno("create", tmp);
  if (!f.write_all(content) || !f.sync()) {
    int saved = errno;
    std::error_code ignored;
    fs::remove(tmp, ignored);
    fail("write", tmp, std::error_code(saved, std::generic_category()));
  }
  return tmp;
}

}  // namespace

std::optional<FileStat> RealFileSystem::stat(const fs::path& p) const {
#ifdef _WIN32
  std::error_code ec;
  auto st = fs::status(p, ec);
  if (ec || !fs::exists(st)) return std::nullopt;
  FileStat out;
  out.kind = fs::is_directory(st)      ? FileKind::kDirectory
             : fs::is_regular_file(st) ? FileKind::kFile
                                       : FileKind::kOther;
  if (out.is_file()) {
    auto size = fs::file_size(p, ec);
    if (!ec) out.size = size;
  }
  auto mtime = fs::last_write_time(p, ec);
  if (!ec) {
    out.mtime_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
  }
  return out;
#else
  struct ::stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;  // one call: decisions stat every input
  FileStat out;
  out.kind = kind_of_mode(st.st_mode);
  out.size = out.is_file() ? static_cast<std::uint64_t>(st.st_size) : 0;
  out.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return out;
#endif
}

std::vector<DirEntry> RealFileSystem::list_dir(const fs::path& dir) const {
  std::vector<DirEntry> out;
#ifdef _WIN32
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) return out;
    fail("list", dir, ec);
  }
  for (; it != end; it.increment(ec)) {
    if (ec) fail("list", dir, ec);
    std::error_code type_ec;
    auto st = it->status(type_ec);
    FileKind kind = type_ec || !fs::exists(st) ? FileKind::kBroken
                    : fs::is_directory(st)     ? FileKind::kDirectory
                    : fs::is_regular_file(st)  ? FileKind::kFile
                                               : FileKind::kOther;
    out.push_back({it->path().filename().string(), kind});
  }
#else
  // readdir gives the type without a stat or a path object per entry: a decision over a
  // folder of 100,000 files is mostly this loop.
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT || errno == ENOTDIR) return out;
    fail_errno("list", dir);
  }
  while (true) {
    errno = 0;  // readdir says "end" and "error" alike with nullptr; errno tells them apart
    dirent* e = ::readdir(d);
    if (!e) break;
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    FileKind kind = FileKind::kOther;
    switch (e->d_type) {
      case DT_REG:
        kind = FileKind::kFile;
        break;
      case DT_DIR:
        kind = FileKind::kDirectory;
        break;
      case DT_LNK:
      case DT_UNKNOWN: {  // follow links, as stat would; a link to nothing is broken
        struct ::stat st {};
        kind = ::fstatat(::dirfd(d), e->d_name, &st, 0) == 0 ? kind_of_mode(st.st_mode)
                                                             : FileKind::kBroken;
        break;
      }
      default:
        break;  // FIFO, socket, device
    }
    out.push_back({std::string(name), kind});
  }
  int saved = errno;
  ::closedir(d);
  if (saved != 0) fail("list", dir, std::error_code(saved, std::generic_category()));
#endif
  return out;
}

std::string RealFileSystem::read_file(const fs::path& p, std::size_t max_bytes) const {
#ifdef _WIN32
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) {
    if (!fs::exists(p, ec))
      fail("read", p, std::make_error_code(std::errc::no_such_file_or_directory));
    fail_not_regular("read", p);
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) fail_errno("read", p);
  std::string data;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
    if (data.size() > max_bytes) fail_too_large(p, max_bytes);
  }
  if (in.bad()) fail_errno("read", p);
  return data;
#else
  struct ::stat st {};
  Fd fd(open_regular(p, st));
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) fail_too_large(p, max_bytes);
  std::string data;
  data.reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("read", p);
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > max_bytes) fail_too_large(p, max_bytes);  // it grew while we read
  }
  return data;
#endif
}

void RealFileSystem::create_directories(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("create folder", dir, ec);
}

void RealFileSystem::write_file(const fs::path& p, std::string_view content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) fail_errno("write", p);
}

void RealFileSystem::write_atomic(const fs::path& p, std::string_view content) {
  fs::path tmp = write_synced_temp(p, content);
  if (!replace_file(tmp, p)) {
    int saved = errno;
    std::error_code ignored;
    fs::remove(tmp, ignored);
    fail("replace", p, std::error_code(saved, std::generic_category()));
  }
  sync_directory(p.parent_path());
}

std::unique_ptr<AppendFile> RealFileSystem::open_append(const fs::path& p) {
  return std::make_unique<NativeAppendFile>(p);
}

void RealFileSystem::remove(const fs::path& p) {
  std::error_code ec;
  if (!fs::remove(p, ec) && !ec) ec = std::make_error_code(std::errc::no_such_file_or_directory);
  if (ec) fail("delete", p, ec);
}

std::optional<fs::path> RealFileSystem::real_path(const fs::path& p) const {
  std::error_code ec;
  fs::path resolved = fs::canonical(p, ec);
  if (ec) return std::nullopt;
  return resolved;
}

bool RealFileSystem::rename_no_replace(const fs::path& from, const fs::path& to) {
  std::error_code ec = native_rename_no_replace(from, to);
  if (ec == std::errc::cross_device_link) return false;
  if (ec) fail("move " + from.string() + " to", to, ec);
  sync_directory(to.parent_path());
  if (from.parent_path() != to.parent_path()) sync_directory(from.parent_path());
  return true;
}

void RealFileSystem::copy_new(const fs::path& from, const fs::path& to) {
#ifdef _WIN32
  std::error_code ec;
  if (!fs::is_regular_file(from, ec)) fail_not_regular("copy", from);
  if (!fs::copy_file(from, to, fs::copy_options::none, ec))
    fail("copy " + from.string() + " to", to, ec);
  // copy_file keeps the modification time; flush the copy to disk.
  HANDLE h = CreateFileW(to.c_str(), GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr);
  if (h != INVALID_HANDLE_VALUE) {
    FlushFileBuffers(h);
    CloseHandle(h);
  }
#else
  struct ::stat st {};
  Fd in(open_regular(from, st));
  NativeFile out;
  if (!out.open_exclusive(to)) fail_errno("create", to);
  bool ok = true;
  std::vector<char> buf(1 << 20);
  while (ok) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    ok = out.write_all(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
  // The copy carries from's modification time: the next run tells its own finished copy
  // from an unrelated file by size and time.
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (!ok || ::futimens(out.fd(), times) != 0 || !out.sync()) {
    int saved = errno;
    ::unlink(to.c_str());
    fail("copy " + from.string() + " to", to, std::error_code(saved, std::generic_category()));
  }
#endif
}

}  // namespace pipeline
