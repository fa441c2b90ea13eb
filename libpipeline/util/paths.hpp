#pragma once
/// Paths as the config and the records spell them: resolved against the root, compared by
/// components, and shown relative to the root when they are under it.
///
/// A path becomes text in its generic form, with '/' between names on every platform
/// (`generic_string()`): Windows takes '/' everywhere a path goes, and so a record, an event,
/// an input list and a message spell one path one way, never "C:\data\raw/a.csv".

#include <filesystem>
#include <string>
#include <string_view>

namespace pipeline {

namespace fs = std::filesystem;

/// A path as text: UTF-8 with '/' between names, on every platform. (generic_string() would
/// be the narrow encoding: on Windows, with GCC 12's libstdc++, each character cut to a byte.)
std::string path_text(const fs::path& p);

/// A path from UTF-8 text. (fs::path(std::string) on Windows, with GCC 12's libstdc++, takes
/// each byte as a character: "Données" would name "DonnÃ©es".) Every text that may hold a
/// name from outside (the config, the command line, a manifest, a folder listing) becomes a
/// path through this.
fs::path path_from_text(std::string_view text);

/// A path from the config: absolute as given, else under base (the root); normalised.
fs::path resolve_path(const fs::path& base, const std::string& text);

/// True for a UNC path (\\server\share\..., //server/share/...) that std::filesystem here
/// cannot keep. libstdc++ on Windows (GCC 12) knows drive letters but no UNC root name: it
/// reads the path as \server\share on the current drive, C:\server\share, and would write
/// there. False on POSIX (where "//x" is "/x") and wherever the library has the root name.
bool unc_path_unsupported(std::string_view text);

/// True when p is strictly inside dir (both normalised, compared by components).
bool is_within(const fs::path& p, const fs::path& dir);

/// p relative to root when it is under root (generic separators), else p as it is.
std::string display_path(const fs::path& p, const fs::path& root);

}  // namespace pipeline
