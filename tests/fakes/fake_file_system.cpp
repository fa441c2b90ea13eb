#include "fakes/fake_file_system.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace pipeline::testing {

namespace {

class FakeAppendFile final : public AppendFile {
 public:
  FakeAppendFile(std::string& sink, bool full) : sink_(sink), full_(full) {}
  bool append(std::string_view data) override {
    if (full_) return false;
    sink_.append(data);
    return true;
  }
  std::string error() const override { return full_ ? "No space left on device" : ""; }

 private:
  std::string& sink_;
  bool full_;
};

}  // namespace

void FakeFileSystem::add_file(const fs::path& p, std::string content, std::int64_t mtime_ns) {
  fs::path n = p.lexically_normal();
  create_directories(n.parent_path());
  files_[n] = std::move(content);
  mtimes_[n] = mtime_ns;
}

std::optional<FileStat> FakeFileSystem::stat(const fs::path& p) const {
  fs::path n = p.lexically_normal();
  if (dirs_.count(n)) return FileStat{FileKind::kDirectory, 0, 0};
  if (auto special = specials_.find(n); special != specials_.end()) {
    if (special->second == FileKind::kBroken) return std::nullopt;
    return FileStat{special->second, 0, 0};
  }
  auto it = files_.find(n);
  if (it == files_.end()) return std::nullopt;
  return FileStat{FileKind::kFile, it->second.size(), mtimes_.at(n)};
}

std::vector<DirEntry> FakeFileSystem::list_dir(const fs::path& dir) const {
  fs::path n = dir.lexically_normal();
  if (unlistable_.count(n))
    throw FileError("cannot list " + n.generic_string() + ": Permission denied");
  std::vector<DirEntry> out;
  for (const auto& d : dirs_) {
    if (d != n && d.parent_path() == n)
      out.push_back({d.filename().generic_string(), FileKind::kDirectory});
  }
  for (const auto& [f, _] : files_) {
    if (f.parent_path() == n) out.push_back({f.filename().generic_string(), FileKind::kFile});
  }
  for (const auto& [f, kind] : specials_) {
    if (f.parent_path() == n) out.push_back({f.filename().generic_string(), kind});
  }
  return out;
}

std::string FakeFileSystem::read_file(const fs::path& p, std::size_t max_bytes) const {
  fs::path n = p.lexically_normal();
  if (specials_.count(n))
    throw FileError("cannot read " + p.generic_string() + ": not a regular file");
  auto it = files_.find(n);
  if (it == files_.end()) throw FileError("cannot read " + p.generic_string() + ": No such file");
  if (it->second.size() > max_bytes) {
    throw FileError("cannot read " + p.generic_string() + ": it holds more than " +
                    std::to_string(max_bytes) + " bytes");
  }
  return it->second;
}

fs::path FakeFileSystem::device_of(const fs::path& p) const {
  fs::path best;
  for (const auto& d : devices_) {
    if (std::mismatch(d.begin(), d.end(), p.begin(), p.end()).first == d.end()) best = d;
  }
  return best;
}

void FakeFileSystem::create_directories(const fs::path& dir) {
  for (fs::path d = dir.lexically_normal(); !d.empty() && d != d.root_path(); d = d.parent_path()) {
    if (auto it = failures_.find(d); it != failures_.end()) {
      throw FileError("cannot create folder " + d.generic_string() + ": " + it->second);
    }
    dirs_.insert(d);
  }
}

void FakeFileSystem::write_atomic(const fs::path& p, std::string_view content) {
  check_failure(p);
  add_file(p, std::string(content));
}

std::unique_ptr<AppendFile> FakeFileSystem::open_append(const fs::path& p) {
  fs::path n = p.lexically_normal();
  check_failure(n);
  return std::make_unique<FakeAppendFile>(appended[n], full_.count(n) > 0);
}

void FakeFileSystem::check_failure(const fs::path& p) {
  auto it = failures_.find(p.lexically_normal());
  if (it != failures_.end())
    throw FileError("cannot write " + p.generic_string() + ": " + it->second);
}

void FakeFileSystem::remove(const fs::path& p) {
  fs::path n = p.lexically_normal();
  if (auto it = failures_.find(n); it != failures_.end()) {
    throw FileError("cannot delete " + p.generic_string() + ": " + it->second);
  }
  if (dirs_.count(n)) {
    if (!list_dir(n).empty())
      throw FileError("cannot delete " + p.generic_string() + ": Not empty");
    dirs_.erase(n);
    removed.push_back(n);
    return;
  }
  if (!files_.erase(n)) throw FileError("cannot delete " + p.generic_string() + ": No such file");
  mtimes_.erase(n);
  removed.push_back(n);
}

std::optional<fs::path> FakeFileSystem::real_path(const fs::path& p) const {
  fs::path current = p.lexically_normal();
  for (int hops = 0; hops < 40; ++hops) {
    // Replace the longest prefix that is a link with its target, until none is.
    bool replaced = false;
    fs::path prefix;
    for (auto it = current.begin(); it != current.end(); ++it) {
      prefix /= *it;
      auto link = links_.find(prefix);
      if (link == links_.end()) continue;
      fs::path target =
          link->second.is_absolute() ? link->second : prefix.parent_path() / link->second;
      for (auto rest = std::next(it); rest != current.end(); ++rest) target /= *rest;
      current = target.lexically_normal();
      replaced = true;
      break;
    }
    if (!replaced) break;
  }
  if (!stat(current)) return std::nullopt;
  return current;
}

bool FakeFileSystem::rename_no_replace(const fs::path& from, const fs::path& to) {
  fs::path f = from.lexically_normal(), t = to.lexically_normal();
  if (auto it = failures_.find(f); it != failures_.end()) {
    throw FileError("cannot move " + from.generic_string() + ": " + it->second);
  }
  if (device_of(f) != device_of(t)) return false;
  if (files_.count(t) || dirs_.count(t))
    throw FileError("cannot move " + from.generic_string() + " to " + to.generic_string() +
                    ": File exists");
  auto node = files_.extract(f);
  if (node.empty()) throw FileError("cannot move " + from.generic_string() + ": No such file");
  node.key() = t;
  files_.insert(std::move(node));
  mtimes_[t] = mtimes_[f];
  mtimes_.erase(f);
  moved.emplace_back(f, t);
  return true;
}

void FakeFileSystem::copy_new(const fs::path& from, const fs::path& to) {
  fs::path f = from.lexically_normal(), t = to.lexically_normal();
  check_failure(t);
  if (files_.count(t)) throw FileError("cannot create " + to.generic_string() + ": File exists");
  std::string data = read_file(f);
  files_[t] = std::move(data);
  mtimes_[t] = mtimes_.at(f);
  copied.emplace_back(f, t);
}

}  // namespace pipeline::testing
