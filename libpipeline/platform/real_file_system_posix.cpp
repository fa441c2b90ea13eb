#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "platform/native_file.hpp"
#include "platform/real_file_system.hpp"

namespace pipeline {
namespace native {
namespace {

std::error_code errno_code() {
  return {errno, std::generic_category()};
}

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
  if (fd < 0) fail("read", p, errno_code());
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

/// A file being written; each step says what went wrong at the call that failed.
class NativeFile {
 public:
  ~NativeFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  std::error_code open(const fs::path& p, int flags) {
    fd_ = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
    return fd_ < 0 ? errno_code() : std::error_code{};
  }
  std::error_code write_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_code();
      if (n == 0) return std::make_error_code(std::errc::no_space_on_device);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
  }
  std::error_code sync() { return ::fsync(fd_) == 0 ? std::error_code{} : errno_code(); }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace

std::error_code write_new_synced(const fs::path& path, std::string_view content) {
  NativeFile f;
  if (auto ec = f.open(path, O_EXCL)) return ec;
  std::error_code ec = f.write_all(content);
  if (!ec) ec = f.sync();
  if (ec) ::unlink(path.c_str());
  return ec;
}

std::error_code write_truncated(const fs::path& path, std::string_view content) {
  NativeFile f;
  if (auto ec = f.open(path, O_TRUNC)) return ec;
  return f.write_all(content);
}

std::error_code replace_file(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return errno_code();
  return {};
}

// renameat2(RENAME_NOREPLACE) refuses an existing target in the same step as the rename, so
// a target created at the same moment is never replaced. File systems without it (EINVAL)
// fall back to link + unlink, which is just as exclusive for files.
std::error_code rename_no_replace(const fs::path& from, const fs::path& to) {
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

namespace {

class NativeAppendFile final : public AppendFile {
 public:
  explicit NativeAppendFile(const fs::path& p) {
    fd_ = ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("open", p, errno_code());
  }
  ~NativeAppendFile() override { ::close(fd_); }
  bool append(std::string_view data) override {
    // Where the record starts: a write cut short (a full disk) is cut back to here, so the
    // file never ends in a torn record. Asked of the file once, then counted: each file is
    // written by one run only (a syscall less per event).
    if (end_ < 0) end_ = ::lseek(fd_, 0, SEEK_END);
    ssize_t n;
    do {
      n = ::write(fd_, data.data(), data.size());
    } while (n < 0 && errno == EINTR);
    if (n >= 0 && static_cast<std::size_t>(n) == data.size()) {
      if (end_ >= 0) end_ += n;
      return true;
    }
    error_ = n < 0 ? std::strerror(errno)
                   : "short write (" + std::to_string(n) + " of " + std::to_string(data.size()) +
                         " bytes; device full?)";
    if (n > 0 && (end_ < 0 || ::ftruncate(fd_, end_) != 0)) {
      error_ += "; and the partial record could not be cut back";
      end_ = -1;  // asked again next time
    }
    return false;
  }
  std::string error() const override { return error_; }

 private:
  int fd_;
  off_t end_ = -1;  ///< where the file ends, once known
  std::string error_;
};

}  // namespace

std::unique_ptr<AppendFile> open_append(const fs::path& p) {
  return std::make_unique<NativeAppendFile>(p);
}

namespace {

FileKind kind_of_mode(mode_t mode) {
  if (S_ISREG(mode)) return FileKind::kFile;
  if (S_ISDIR(mode)) return FileKind::kDirectory;
  return FileKind::kOther;
}

}  // namespace
}  // namespace native

using native::errno_code;
using native::Fd;
using native::kind_of_mode;
using native::NativeFile;
using native::open_regular;

std::optional<FileStat> RealFileSystem::stat(const fs::path& p) const {
  struct ::stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;  // one call: decisions stat every input
  FileStat out;
  out.kind = kind_of_mode(st.st_mode);
  out.size = out.is_file() ? static_cast<std::uint64_t>(st.st_size) : 0;
  out.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return out;
}

std::vector<DirEntry> RealFileSystem::list_dir(const fs::path& dir) const {
  std::vector<DirEntry> out;
  // readdir gives the type without a stat or a path object per entry: a decision over a
  // folder of 100,000 files is mostly this loop.
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT || errno == ENOTDIR) return out;
    native::fail("list", dir, errno_code());
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
  if (saved != 0) native::fail("list", dir, std::error_code(saved, std::generic_category()));
  return out;
}

std::string RealFileSystem::read_file(const fs::path& p, std::size_t max_bytes) const {
  struct ::stat st {};
  Fd fd(open_regular(p, st));
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) native::fail_too_large(p, max_bytes);
  std::string data;
  data.reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) native::fail("read", p, errno_code());
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > max_bytes) native::fail_too_large(p, max_bytes);  // it grew while we read
  }
  return data;
}

void RealFileSystem::copy_new(const fs::path& from, const fs::path& to) {
  struct ::stat st {};
  Fd in(open_regular(from, st));
  NativeFile out;
  if (auto ec = out.open(to, O_EXCL)) native::fail("create", to, ec);
  std::error_code ec;
  std::vector<char> buf(1 << 20);
  while (!ec) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ec = errno_code();
    if (n <= 0) break;
    ec = out.write_all(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
  // The copy carries from's modification time: the next run tells its own finished copy
  // from an unrelated file by size and time.
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (!ec && ::futimens(out.fd(), times) != 0) ec = errno_code();
  if (!ec) ec = out.sync();
  if (ec) {
    ::unlink(to.c_str());
    native::fail("copy " + from.string() + " to", to, ec);
  }
}

}  // namespace pipeline
