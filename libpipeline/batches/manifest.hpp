#pragma once
/// A batch's manifest (SPEC 8): its names in the hot folder, its batch id, reading it within
/// bounds, and the checks a run makes before it trusts a single path in it.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "ports/file_system.hpp"

namespace pipeline {

inline constexpr std::string_view kManifestSuffix = "_MANIFEST.json";
inline constexpr std::string_view kProcessingSuffix = "_PROCESSING.json";
/// The status a manifest is submitted with, and the only one a run claims.
inline constexpr std::string_view kReadyStatus = "READY_FOR_PROCESSING";
/// A manifest lists a few dozen paths: one larger than this is refused unread.
inline constexpr std::size_t kMaxManifestBytes = 1 << 20;

/// True for a batch id we accept: 1-64 of A-Z a-z 0-9 _ . -, not starting with '.' or '-'.
bool valid_batch_id(std::string_view id);

/// A manifest's content once validated: every path resolved, inside root, and a file.
struct ManifestContent {
  std::string id;
  std::vector<std::pair<std::string, fs::path>> files;  ///< "files": name -> path, as listed
  std::vector<fs::path> raw_data;
  /// Every listed file once, in manifest order (files first, then raw_data).
  std::vector<fs::path> all_files() const;
};

/// Checks a parsed manifest against SPEC 8 and 14; throws UsageError saying what is wrong.
/// Relative paths are taken from root; every path must resolve (symlinks and `..` followed)
/// to an existing regular file inside root that is data: never the runner's own files (the
/// config, logs, state, the hot folder's claims, finished batches) and never a manifest.
ManifestContent validate_manifest(const nlohmann::json& doc, const FileSystem& files,
                                  const Config& config);

/// What a hot-folder name is: a ready manifest, a claimed one, or neither (nullopt).
enum class ManifestKind { kReady, kProcessing };
std::optional<ManifestKind> manifest_kind(std::string_view name);
/// A manifest is a regular file: a FIFO, socket, folder or dangling link of that name is not.
std::optional<ManifestKind> manifest_kind(const DirEntry& e);

/// The name a manifest's claim goes by before its content is trusted: its batch id when that
/// is valid, else the part of the file name before the suffix, made safe.
std::string claim_key(const nlohmann::json& doc, const std::string& file_name,
                      std::string_view suffix);

/// A string field, or fallback when it is missing, null or not a string (a manifest is
/// outside input, and the runner itself writes "error": null).
std::string string_field(const nlohmann::json& doc, const char* key, std::string fallback = "");

/// A manifest as read from disk, bounded in size and depth: its document (null when it could
/// not be read or is not JSON), and why.
struct LoadedManifest {
  nlohmann::json doc;
  std::string read_error, parse_error;
  /// Not there (any more): another runner took it meanwhile.
  bool gone(const FileSystem& files, const fs::path& p) const {
    return !read_error.empty() && !files.exists(p);
  }
};
LoadedManifest load_manifest(const FileSystem& files, const fs::path& p);

}  // namespace pipeline
