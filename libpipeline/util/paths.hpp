#pragma once
/// Paths as the config and the records spell them: resolved against the root, compared by
/// components, and shown relative to the root when they are under it.
///
/// A path becomes text in its generic form, with '/' between names on every platform
/// (`generic_string()`): Windows takes '/' everywhere a path goes, and so a record, an event,
/// an input list and a message spell one path one way, never "C:\data\raw/a.csv".

#include <filesystem>
#include <string>

namespace pipeline {

namespace fs = std::filesystem;

/// A path from the config: absolute as given, else under base (the root); normalised.
fs::path resolve_path(const fs::path& base, const std::string& text);

/// True when p is strictly inside dir (both normalised, compared by components).
bool is_within(const fs::path& p, const fs::path& dir);

/// p relative to root when it is under root (generic separators), else p as it is.
std::string display_path(const fs::path& p, const fs::path& root);

}  // namespace pipeline
