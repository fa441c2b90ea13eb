#pragma once
/// Batch mode (SPEC 8): claims manifests one at a time, runs a pass over the stages for each
/// with its `${batch.*}` values, then finishes it (archive or error folder) by what the
/// stages did. A stop releases the batch it holds, for the next run to claim again.

#include <functional>
#include <string>
#include <vector>

#include "batches/batch_hotfolder.hpp"
#include "core/run_context.hpp"

namespace pipeline {

/// The run's values and a batch's: ${batch.id}, ${batch.manifest}, ${batch.files.NAME} and
/// ${batch.raw_data} (kept in `raw`, which must outlive the values).
PlaceholderValues with_batch(PlaceholderValues v, const ManifestContent& m,
                             const fs::path& manifest, std::vector<std::string>& raw);

class BatchLoop {
 public:
  /// One pass over the stages for a batch, appending to the report.
  using Pass = std::function<void(const PlaceholderValues& values, const std::string& batch_id)>;

  BatchLoop(RunContext& run, BatchHotfolder& hotfolder, Pass pass)
      : run_(run), s_(run.s), hotfolder_(hotfolder), pass_(std::move(pass)) {}

  /// Up to batches.max_per_run batches; sets the report's status from theirs.
  void run(const PlaceholderValues& values);

 private:
  /// Runs the stages for a claimed batch and finishes it; false when a stop ended the loop.
  bool process(ClaimedBatch& batch, const PlaceholderValues& values);
  void reject(const BatchRecord& r);
  void finish(ClaimedBatch& batch, bool succeeded, const std::string& error);

  RunContext& run_;
  const OrchestratorServices& s_;
  BatchHotfolder& hotfolder_;
  Pass pass_;
};

}  // namespace pipeline
