#pragma once
/// `batch list`: every batch the folders know of, from the hot folder, archive and error
/// folder, read only.

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "ports/file_system.hpp"

namespace pipeline {

/// One line of `batch list`.
struct BatchListing {
  std::string state;  ///< "ready", "processing", "archived", "failed"
  std::string id;
  std::string path;    ///< the manifest or folder, relative to root
  std::string detail;  ///< run id, error, or what is wrong with it
  std::int64_t mtime_ns = 0;
};

/// Every batch the folders know of: ready and processing in the hot folder, archived, failed.
std::vector<BatchListing> list_batches(const Config& config, const FileSystem& files);

}  // namespace pipeline
