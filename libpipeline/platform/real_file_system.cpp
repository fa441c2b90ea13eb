#include "platform/real_file_system.hpp"

#include "platform/native_file.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"

namespace pipeline {

namespace native {

void fail(const std::string& what, const fs::path& p, const std::error_code& ec) {
  throw FileError("cannot " + what + " " + path_text(p) + ": " + ec.message());
}

void fail_not_regular(const std::string& what, const fs::path& p) {
  throw FileError("cannot " + what + " " + path_text(p) +
                  ": not a regular file (a folder, FIFO, socket or device is never data)");
}

void fail_too_large(const fs::path& p, std::size_t max_bytes) {
  throw FileError("cannot read " + path_text(p) + ": it holds more than " +
                  std::to_string(max_bytes) + " bytes");
}

}  // namespace native

using native::fail;

void RealFileSystem::create_directories(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("create folder", dir, ec);
}

void RealFileSystem::write_file(const fs::path& p, std::string_view content) {
  if (auto ec = native::write_truncated(p, content)) fail("write", p, ec);
}

void RealFileSystem::write_atomic(const fs::path& p, std::string_view content) {
  fs::path tmp = p.parent_path() / path_from_text(temp_name_for(p));
  if (auto ec = native::write_new_synced(tmp, content)) fail("write", tmp, ec);
  if (auto ec = native::replace_file(tmp, p)) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    fail("replace", p, ec);
  }
  native::sync_directory(p.parent_path());
}

std::unique_ptr<AppendFile> RealFileSystem::open_append(const fs::path& p) {
  return native::open_append(p);
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
  std::error_code ec = native::rename_no_replace(from, to);
  if (ec == std::errc::cross_device_link) return false;
  if (ec) fail("move " + path_text(from) + " to", to, ec);
  native::sync_directory(to.parent_path());
  if (from.parent_path() != to.parent_path()) native::sync_directory(from.parent_path());
  return true;
}

}  // namespace pipeline
