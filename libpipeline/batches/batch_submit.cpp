#include "batches/batch_submit.hpp"

#include "batches/manifest.hpp"
#include "records/report_json.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"
#include "util/time_format.hpp"

namespace pipeline {

using nlohmann::json;

fs::path submit_batch(const Config& config, FileSystem& files, const std::string& id,
                      const std::vector<std::pair<std::string, fs::path>>& named_files,
                      const std::vector<fs::path>& raw_data, TimePoint now) {
  const BatchConfig& b = *config.batches;
  auto relative = [&](const fs::path& p) {
    return display_path(p.lexically_normal(), config.root);
  };
  json doc = {{"batch_id", id},
              {"creation_timestamp", format_rfc3339(now)},
              {"status", kReadyStatus},
              {"files", json::object()},
              {"raw_data", json::array()}};
  for (const auto& [name, path] : named_files) {
    if (doc["files"].contains(name)) throw UsageError("--file " + name + " is given twice");
    doc["files"][name] = relative(path);
  }
  for (const auto& p : raw_data) doc["raw_data"].push_back(relative(p));
  validate_manifest(doc, files, config);  // a run would reject it: say so now
  if (files.exists(b.archive / path_from_text(id))) {
    throw UsageError("batch " + id + " was already archived in " +
                     display_path(b.archive / path_from_text(id), config.root) +
                     "; use a new batch id");
  }
  fs::path target = b.hotfolder / path_from_text(id + std::string(kManifestSuffix));
  if (files.exists(target) ||
      files.exists(b.hotfolder / path_from_text(id + std::string(kProcessingSuffix)))) {
    throw UsageError("batch " + id + " is already in the hot folder " + path_text(b.hotfolder));
  }
  files.create_directories(b.hotfolder);
  files.write_atomic(target, dump_json(doc, 2) + "\n");
  return target;
}

}  // namespace pipeline
