#include "batches/batch_listing.hpp"

#include <algorithm>

#include "batches/manifest.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"

namespace pipeline {

using nlohmann::json;

std::vector<BatchListing> list_batches(const Config& config, const FileSystem& files) {
  const BatchConfig& b = *config.batches;
  std::vector<BatchListing> out;
  for (const auto& e : files.list_dir(b.hotfolder)) {
    auto kind = manifest_kind(e);
    if (!kind) continue;
    bool processing = *kind == ManifestKind::kProcessing;
    fs::path p = b.hotfolder / path_from_text(e.name);
    BatchListing l;
    l.state = processing ? "processing" : "ready";
    l.path = display_path(p, config.root);
    if (auto st = files.stat(p)) l.mtime_ns = st->mtime_ns;
    json doc = load_manifest(files, p).doc;
    l.id = claim_key(doc, e.name, processing ? kProcessingSuffix : kManifestSuffix);
    if (!doc.is_object()) {
      l.detail = "not valid JSON: it will be rejected";
    } else if (processing) {
      l.detail = "claimed by run " + string_field(doc.value("runner", json()), "claimed_by", "?");
    }
    out.push_back(std::move(l));
  }
  auto folders = [&](const fs::path& dir, const std::string& state) {
    for (const auto& e : files.list_dir(dir)) {
      if (!e.is_directory()) continue;
      BatchListing l;
      l.state = state;
      l.id = e.name;
      l.path = display_path(dir / path_from_text(e.name), config.root);
      if (auto st = files.stat(dir / path_from_text(e.name))) l.mtime_ns = st->mtime_ns;
      for (const auto& f : files.list_dir(dir / path_from_text(e.name))) {
        if (!f.is_file()) continue;
        try {
          if (f.name.ends_with(".error.txt")) {
            std::string text = files.read_file(
                dir / path_from_text(e.name) / path_from_text(f.name), kMaxManifestBytes);
            std::size_t nl = text.find('\n');
            l.detail = "rejected: " + text.substr(nl == std::string::npos ? 0 : nl + 1,
                                                  text.find('\n', nl + 1) - nl - 1);
          } else if (f.name.ends_with(kManifestSuffix) && l.detail.empty()) {
            json doc =
                load_manifest(files, dir / path_from_text(e.name) / path_from_text(f.name)).doc;
            if (!doc.is_object()) continue;
            l.id = string_field(doc, "batch_id", l.id);
            l.detail = "run " + string_field(doc, "run_id", "?") + " at " +
                       string_field(doc, "finished_at", "?");
            if (doc.contains("error") && doc["error"].is_string()) {
              l.detail += ": " + doc["error"].get<std::string>();
            }
          }
        } catch (const FileError&) {
        }
      }
      out.push_back(std::move(l));
    }
  };
  folders(b.archive, "archived");
  folders(b.error, "failed");
  std::stable_sort(out.begin(), out.end(), [](const BatchListing& x, const BatchListing& y) {
    return x.mtime_ns < y.mtime_ns;
  });
  return out;
}

}  // namespace pipeline
