#pragma once
/// The time windows of a state store that was lost (deleted, or moved aside as damaged),
/// rebuilt from the reports, which name every window a run worked on and its outcome, and
/// each windowed stage's watermark when the run ended (SPEC 11, SPEC 14).

#include <cstddef>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "ports/window_store.hpp"
#include "records/run_history.hpp"

namespace pipeline {

/// What was written back for one stage.
struct RestoredWindows {
  std::string stage;
  std::size_t windows = 0;       ///< rows written
  std::size_t succeeded = 0;     ///< of them, succeeded
  std::size_t from_reports = 0;  ///< of them, windows a report ran
};

/// Writes back the windows of every windowed stage of `config` that the reports (oldest
/// first) know: each window a report ran keeps its last outcome (attempts and runs added up
/// over the reports), every window that ends by the newest watermark reported is succeeded,
/// and every other window up to the last one known is pending, so that none is run twice and
/// none is lost. Windows of another grid (the stage's `every`, `start` or zone changed) are
/// not this grid's and are left out. Stages the reports know nothing of are not written.
std::vector<RestoredWindows> restore_windows(const Config& config,
                                             const std::vector<ReportOnRecord>& reports,
                                             WindowStore& store);

}  // namespace pipeline
