#pragma once
/// Moves data files so that a file is never in two places, however the runner dies. A move
/// within one file system is one atomic rename. A move across file systems (copy, sync,
/// rename into place, remove the original) is written down first in a journal folder, and
/// the next run finishes it (the copy is complete: the original goes) or rolls it back (the
/// copy is not: it goes, the original stays) before anything else touches the files.

#include <string>
#include <vector>

#include "ports/file_system.hpp"

namespace pipeline {

class FileMover {
 public:
  /// journal: a folder of the runner's own (state/moves), created when first needed.
  FileMover(FileSystem& files, fs::path journal) : files_(files), journal_(std::move(journal)) {}

  /// Moves a regular file; never replaces an existing target. Throws FileError.
  void move(const fs::path& from, const fs::path& to);

  /// Settles every move a dead run left in the journal; one line per move it settled, for the
  /// run's records. Never throws: a move it cannot settle stays for the next run (and says so).
  std::vector<std::string> recover();

 private:
  /// Settles one journaled move; returns what it did.
  std::string settle(const fs::path& from, const fs::path& to, const fs::path& copy);

  FileSystem& files_;
  fs::path journal_;
};

}  // namespace pipeline
