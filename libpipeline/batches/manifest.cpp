#include "batches/manifest.hpp"

#include <algorithm>
#include <set>

#include "util/error.hpp"
#include "util/json_read.hpp"
#include "util/paths.hpp"

namespace pipeline {
namespace {

using nlohmann::json;

// The characters of a batch id: A-Z a-z 0-9 _ . -
bool id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

[[noreturn]] void invalid(const std::string& why) {
  throw UsageError(why);
}

// The folders and files that belong to the runner, never to a batch: a manifest naming one
// would have the runner archive its own lock, history or config.
struct RunnerFiles {
  std::vector<std::pair<fs::path, std::string>> folders;  ///< real path, what it is
  std::optional<fs::path> config;

  RunnerFiles(const Config& c, const FileSystem& files) {
    auto add = [&](const fs::path& p, const std::string& what) {
      folders.emplace_back(files.real_path(p).value_or(p), what);
    };
    add(c.logs, "the runner's logs");
    add(c.state, "the runner's state");
    add(c.batches->hotfolder / ".claims", "the hot folder's claims");
    add(c.batches->archive, "the archive of finished batches");
    add(c.batches->error, "the error folder of failed batches");
    config = files.real_path(c.file).value_or(c.file);
  }

  // Why real (a resolved path) is not data, or "" when it may be.
  std::string refuse(const fs::path& real) const {
    if (config && real == *config) return "is the pipeline's config";
    std::string name = path_text(real.filename());
    if (manifest_kind(name)) return "is a manifest, not data";
    for (const auto& [dir, what] : folders) {
      if (real == dir || is_within(real, dir)) return "is inside " + what;
    }
    return {};
  }
};

}  // namespace

std::optional<ManifestKind> manifest_kind(std::string_view name) {
  if (name.empty() || name[0] == '.') return std::nullopt;
  if (name.ends_with(kProcessingSuffix)) return ManifestKind::kProcessing;
  if (name.ends_with(kManifestSuffix)) return ManifestKind::kReady;
  return std::nullopt;
}

std::optional<ManifestKind> manifest_kind(const DirEntry& e) {
  return e.is_file() ? manifest_kind(e.name) : std::nullopt;
}

std::string claim_key(const json& doc, const std::string& file_name, std::string_view suffix) {
  if (doc.is_object()) {
    auto it = doc.find("batch_id");
    if (it != doc.end() && it->is_string() && valid_batch_id(it->get<std::string>())) {
      return it->get<std::string>();
    }
  }
  std::string stem = file_name.substr(0, file_name.size() - suffix.size());
  for (char& c : stem) {
    if (!id_char(c)) c = '_';
  }
  if (stem.empty() || stem[0] == '.' || stem[0] == '-') stem = "manifest" + stem;
  return stem.substr(0, 64);
}

std::string string_field(const json& doc, const char* key, std::string fallback) {
  if (!doc.is_object()) return fallback;
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : fallback;
}

LoadedManifest load_manifest(const FileSystem& files, const fs::path& p) {
  LoadedManifest m;
  try {
    m.doc = parse_untrusted_json(files.read_file(p, kMaxManifestBytes), &m.parse_error);
    if (m.doc.is_discarded()) m.doc = nullptr;
  } catch (const FileError& e) {
    m.read_error = e.what();
  }
  return m;
}

bool valid_batch_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id[0] == '.' || id[0] == '-') return false;
  return std::all_of(id.begin(), id.end(), id_char);
}

std::vector<fs::path> ManifestContent::all_files() const {
  std::vector<fs::path> out;
  for (const auto& [name, path] : files) out.push_back(path);
  out.insert(out.end(), raw_data.begin(), raw_data.end());
  return out;
}

ManifestContent validate_manifest(const json& doc, const FileSystem& files, const Config& config) {
  const fs::path& root = config.root;
  if (!doc.is_object()) invalid("the manifest is not a JSON object");
  ManifestContent m;
  auto id = doc.find("batch_id");
  if (id == doc.end() || !id->is_string()) invalid("\"batch_id\" (a string) is missing");
  m.id = id->get<std::string>();
  if (!valid_batch_id(m.id)) {
    invalid("batch_id \"" + m.id +
            "\" must be 1-64 of A-Z, a-z, 0-9, '_', '.' and '-', not starting with '.' or '-'");
  }
  auto status = doc.find("status");
  if (status == doc.end() || !status->is_string()) invalid("\"status\" (a string) is missing");
  if (*status != kReadyStatus) {
    invalid("status is \"" + status->get<std::string>() + "\", not \"" + std::string(kReadyStatus) +
            "\"");
  }
  if (auto ts = doc.find("creation_timestamp"); ts != doc.end() && !ts->is_string()) {
    invalid("\"creation_timestamp\" must be a string");
  }
  auto file_map = doc.find("files");
  if (file_map == doc.end() || !file_map->is_object()) {
    invalid("\"files\" (an object of name: path) is missing");
  }
  auto raw = doc.find("raw_data");
  if (raw == doc.end() || !raw->is_array()) invalid("\"raw_data\" (a list of paths) is missing");

  std::optional<fs::path> real_root = files.real_path(root);
  if (!real_root) invalid("the pipeline root " + path_text(root) + " does not exist");
  RunnerFiles runner(config, files);
  std::set<fs::path> seen_real;
  std::set<std::string> seen_names;
  auto check_path = [&](const json& value, const std::string& where) {
    if (!value.is_string() || value.get<std::string>().empty()) {
      invalid(where + " must be a non-empty path string");
    }
    std::string text = value.get<std::string>();
    fs::path path = resolve_path(root, text);
    // Resolving symlinks and `..` first: a link inside root that leads out of it is outside.
    std::optional<fs::path> real = files.real_path(path);
    if (!real) {
      if (!is_within(path, root)) invalid(where + " \"" + text + "\" is outside the root");
      invalid(where + " \"" + text + "\" does not exist");
    }
    if (!is_within(*real, *real_root)) {
      invalid(where + " \"" + text + "\" resolves to " + path_text(*real) + ", outside the root " +
              path_text(*real_root));
    }
    auto st = files.stat(*real);
    if (!st || !st->is_file()) {
      invalid(where + " \"" + text +
              "\" is not a regular file (a folder, FIFO, socket or device is never data)");
    }
    if (std::string why = runner.refuse(*real); !why.empty()) {
      invalid(where + " \"" + text + "\" " + why + ": a manifest lists data files only");
    }
    if (!seen_real.insert(*real).second) invalid(where + " \"" + text + "\" is listed twice");
    if (!seen_names.insert(path_text(path.filename())).second) {
      invalid(where + " \"" + text + "\": another listed file has the name " +
              path_text(path.filename()) + " (they would collide in the archive)");
    }
    return path;
  };
  for (const auto& [name, value] : file_map->items()) {
    if (name.empty()) invalid("\"files\" has an empty name");
    m.files.emplace_back(name, check_path(value, "files." + name));
  }
  for (std::size_t i = 0; i < raw->size(); ++i) {
    m.raw_data.push_back(check_path((*raw)[i], "raw_data[" + std::to_string(i) + "]"));
  }
  if (m.files.empty() && m.raw_data.empty()) invalid("the manifest lists no files");
  return m;
}

}  // namespace pipeline
