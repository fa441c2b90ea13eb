#pragma once
/// The manifest hot folder (SPEC section 8, seed 000). A producer drops
/// `<anything>_MANIFEST.json`; a run claims it by an atomic rename to
/// `<batch_id>_PROCESSING.json`, validates it, runs the stages for it, then moves the manifest
/// and every file it lists into `archive/<batch_id>/` or `error/<batch_id>/`.
///
/// Crash safety: the claimed manifest records each step. A `_PROCESSING.json` whose run died
/// is claimed again: before its outcome was written the stages run again; after, only the
/// remaining moves are made. A per-batch OS lock (`<hotfolder>/.claims/<id>.lock`), taken
/// before the rename and held to the end, tells a dead run's batch from a live one's, so two
/// runners sharing a hot folder never process one batch twice.

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "batches/manifest.hpp"
#include "config/config.hpp"
#include "ports/clock.hpp"
#include "ports/file_system.hpp"
#include "ports/run_lock.hpp"
#include "records/file_mover.hpp"
#include "records/run_report.hpp"

namespace pipeline {

using LockFactory = std::function<std::unique_ptr<RunLock>(const fs::path&)>;

/// A manifest in the hot folder a run would try to claim, a regular file.
struct ManifestCandidate {
  fs::path path;
  bool processing = false;  ///< `_PROCESSING.json`: claimed by a run (live, or one that died)
  std::int64_t mtime_ns = 0;
};

/// The hot folder's manifests in the order a run tries them: those left claimed first, then
/// ready ones, each oldest first. Names that look like manifests but are not regular files
/// (a FIFO, a dangling link) are skipped with a line in *warnings; so is an unlistable folder.
/// A ready manifest modified within batches.settle of `now` is left for a later run (its
/// producer may still be writing it), counted in *settling.
std::vector<ManifestCandidate> pending_manifests(const Config& config, const FileSystem& files,
                                                 TimePoint now, std::vector<std::string>* warnings,
                                                 std::size_t* settling);

/// "2 manifests still settling (modified within 30s; left for a later run)".
std::string settling_text(std::size_t manifests, Millis settle);

/// A batch the next run would take, as `plan` and `--dry-run` show it: read, never claimed.
struct BatchPreview {
  std::string id;
  fs::path manifest;
  fs::path claimed_as;      ///< the `_PROCESSING.json` it has while it runs: ${batch.manifest}
  bool processing = false;  ///< already claimed (a live run's, or a dead run's)
  std::optional<std::string> decided;      ///< a dead run decided it: only the moves remain
  std::optional<ManifestContent> content;  ///< valid; unset when the run would reject it
  std::string rejected;                    ///< why the run would reject it
};

struct BatchPreviews {
  std::vector<BatchPreview> batches;  ///< the first `limit`, in claim order
  std::size_t later = 0;              ///< how many more wait for later runs
  std::vector<std::string> warnings;  ///< names skipped, as a run would warn of them
  std::size_t settling = 0;           ///< ready manifests still within batches.settle
};

/// The first `limit` batches a run at `now` would claim, validated as the run validates them.
BatchPreviews preview_batches(const Config& config, const FileSystem& files, std::size_t limit,
                              TimePoint now);

/// A batch this run holds: its claim lock stays taken until finish() or release().
struct ClaimedBatch {
  ManifestContent content;
  fs::path manifest;  ///< the claimed `<id>_PROCESSING.json`
  nlohmann::json document;
  bool reclaimed = false;  ///< left behind by a run that died
  /// A dead run had already decided this outcome ("COMPLETED"/"FAILED"); only moves remain.
  std::optional<std::string> decided;
  std::unique_ptr<RunLock> lock;
  fs::path lock_path;
};

class BatchHotfolder {
 public:
  BatchHotfolder(const Config& config, FileSystem& files, FileMover& mover, Clock& clock,
                 LockFactory make_lock)
      : config_(config),
        batches_(*config.batches),
        files_(files),
        mover_(mover),
        clock_(clock),
        make_lock_(std::move(make_lock)) {}

  /// What the next claim produced: a batch to run, or a manifest rejected on the way (already
  /// moved to error/ with its .error.txt).
  struct Claim {
    std::optional<ClaimedBatch> batch;
    BatchRecord rejected;
  };

  /// Claims the next manifest: those left by dead runs first, then ready ones oldest first.
  /// The hot folder is listed once, at the first call. nullopt when none is left.
  std::optional<Claim> next(const std::string& run_id, TimePoint now);

  /// Ends a batch: records the outcome in the claimed manifest, moves every listed file and
  /// the manifest (status, run_id, finished_at, error) into archive/ or error/, and lets the
  /// claim go. Files already moved by a run that died are found where it put them. When a
  /// file cannot be moved (a full disk) the batch is INCOMPLETE: its claimed manifest stays,
  /// with the outcome, and the next run makes the remaining moves.
  BatchRecord finish(ClaimedBatch& batch, bool succeeded, const std::string& error,
                     const std::string& run_id, TimePoint now);

  /// The run stopped in the middle of the batch: the claimed manifest stays for the next run.
  void release(ClaimedBatch& batch);

  /// Names in the hot folder that look like manifests but are not regular files (a FIFO, a
  /// dangling link): skipped, never opened. Filled by the first next().
  const std::vector<std::string>& warnings() const { return warnings_; }
  /// Ready manifests left for a later run by batches.settle. Counted by the first next().
  std::size_t settling() const { return settling_; }

 private:
  std::optional<Claim> try_claim(const ManifestCandidate& c, const std::string& run_id,
                                 TimePoint now);
  /// Moves a manifest that cannot be run to error/ with a .error.txt saying why.
  BatchRecord reject(const fs::path& manifest, const std::string& original_name,
                     const std::string& key, const std::string& why, std::unique_ptr<RunLock> lock,
                     const fs::path& lock_path, const std::string& run_id, TimePoint now);
  fs::path free_error_folder(const std::string& key) const;
  void let_go(std::unique_ptr<RunLock>& lock, const fs::path& lock_path);
  /// Removes the claim lock files nobody holds (left by runs killed as they let a claim go).
  void sweep_claims();

  const Config& config_;
  const BatchConfig& batches_;
  FileSystem& files_;
  FileMover& mover_;
  Clock& clock_;
  LockFactory make_lock_;
  std::vector<std::string> warnings_;
  std::size_t settling_ = 0;
  std::optional<std::vector<ManifestCandidate>> pending_;
  std::size_t cursor_ = 0;
  bool swept_ = false;
};

}  // namespace pipeline
