#pragma once
/// `batch submit`: a producer's manifest, written the way a run will accept it.

#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "ports/file_system.hpp"
#include "util/time_format.hpp"

namespace pipeline {

/// `batch submit`: writes `<hotfolder>/<id>_MANIFEST.json` atomically (a temp name a run never
/// picks up, then a rename), after validating it exactly as a run would. Paths are absolute
/// (or relative to root); they are recorded relative to root. Returns the manifest's path.
fs::path submit_batch(const Config& config, FileSystem& files, const std::string& id,
                      const std::vector<std::pair<std::string, fs::path>>& named_files,
                      const std::vector<fs::path>& raw_data, TimePoint now);

}  // namespace pipeline
