#include "records/file_mover.hpp"

#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/json_read.hpp"
#include "util/paths.hpp"
#include "util/sha256.hpp"

namespace pipeline {
namespace {

using nlohmann::json;

constexpr std::string_view kJournalSuffix = ".move.json";

// The name of the copy beside the target while it is being written: hidden, and a name a
// glob of the target folder does not match.
fs::path copy_name_for(const fs::path& to) {
  return to.parent_path() / path_from_text("." + path_text(to.filename()) + ".moving");
}

}  // namespace

void FileMover::move(const fs::path& from, const fs::path& to) {
  auto st = files_.stat(from);
  if (st && !st->is_file()) {
    throw FileError("cannot move " + path_text(from) +
                    ": not a regular file (a folder, FIFO, socket or device is never data)");
  }
  if (files_.rename_no_replace(from, to)) return;
  // Another file system: journal first, so a death at any later step is settled next run.
  if (files_.exists(to)) {
    throw FileError("cannot move " + path_text(from) + " to " + path_text(to) + ": File exists");
  }
  fs::path copy = copy_name_for(to);
  fs::path entry =
      journal_ / path_from_text(sha256_hex(path_text(from) + '\n' + path_text(to)).substr(0, 32) +
                                std::string(kJournalSuffix));
  files_.create_directories(journal_);
  files_.write_atomic(
      entry,
      json{{"from", path_text(from)}, {"to", path_text(to)}, {"copy", path_text(copy)}}.dump());
  try {
    files_.copy_new(from, copy);
    if (!files_.rename_no_replace(copy, to)) {
      throw FileError("cannot move " + path_text(copy) + " to " + path_text(to) +
                      ": they are on different file systems");
    }
  } catch (const FileError&) {
    settle(from, to, copy);  // roll back now: the journal entry is then no longer needed
    files_.remove(entry);
    throw;
  }
  files_.remove(from);
  files_.remove(entry);
}

std::string FileMover::settle(const fs::path& from, const fs::path& to, const fs::path& copy) {
  auto copy_st = files_.stat(copy);
  if (copy_st) {
    // The copy never took the target's name: it is incomplete or unsynced. The original stays.
    if (copy_st->is_file()) files_.remove(copy);
    return "rolled back the move of " + path_text(from) + " to " + path_text(to) +
           " (the copy was not finished)";
  }
  auto from_st = files_.stat(from), to_st = files_.stat(to);
  if (!from_st) return "the move of " + path_text(from) + " to " + path_text(to) + " was complete";
  if (!to_st) {
    return "rolled back the move of " + path_text(from) + " to " + path_text(to) +
           " (no copy was made)";
  }
  // Both are there: the copy took the target's name, so it is whole; only the original's
  // removal is missing. Same size and time (copy_new keeps the time) prove it is our copy.
  if (from_st->is_file() && to_st->is_file() && from_st->size == to_st->size &&
      from_st->mtime_ns == to_st->mtime_ns) {
    files_.remove(from);
    return "finished the move of " + path_text(from) + " to " + path_text(to) +
           " (the original was still there)";
  }
  return "left " + path_text(from) + " and " + path_text(to) +
         " both in place: the target is not the copy that was being made";
}

std::vector<std::string> FileMover::recover() {
  std::vector<std::string> out;
  std::vector<DirEntry> entries;
  try {
    entries = files_.list_dir(journal_);
  } catch (const FileError& e) {
    out.push_back(std::string("cannot read the move journal: ") + e.what());
    return out;
  }
  for (const auto& e : entries) {
    if (!e.is_file() || !std::string_view(e.name).ends_with(kJournalSuffix)) continue;
    fs::path entry = journal_ / path_from_text(e.name);
    try {
      json j = parse_untrusted_json(files_.read_file(entry, std::size_t{64} * 1024));
      if (j.is_object() && j.value("from", json()).is_string() &&
          j.value("to", json()).is_string() && j.value("copy", json()).is_string()) {
        out.push_back(settle(path_from_text(j["from"].get<std::string>()),
                             path_from_text(j["to"].get<std::string>()),
                             path_from_text(j["copy"].get<std::string>())));
      } else {
        out.push_back("dropped a damaged move journal entry " + path_text(entry));
      }
      files_.remove(entry);
    } catch (const FileError& err) {
      out.push_back(std::string("a journaled move is not settled yet: ") + err.what());
    }
  }
  return out;
}

}  // namespace pipeline
