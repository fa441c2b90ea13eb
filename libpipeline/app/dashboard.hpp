#pragma once
/// The HTML dashboard (SPEC 10): one self-contained page (no script, font or image from
/// anywhere: inline CSS and SVG), rewritten at the end of every run at
/// logs/dashboard/index.html and by `pipeline_runner dashboard --out DIR`. The status and
/// streak at the top, a timeline of the last runs coloured by status, a year of runs by day,
/// each stage's durations, the latest failures with their stderr, batches, and the recent
/// runs with their stages, attempts and links to their report and logs. Old runs are
/// summarised by day, so a year of runs every 15 minutes stays far under 1 MiB.

#include <filesystem>
#include <string>
#include <vector>

#include "app/machine.hpp"
#include "app/pipeline_status.hpp"
#include "batches/batch_listing.hpp"
#include "config/config.hpp"
#include "records/run_history.hpp"

namespace pipeline {

/// Runs drawn one by one on the timeline and the duration charts: two days at 15 minutes. At
/// 500 the page cost an idle run over a 35,000-run history 6 ms more (17.8 ms, not 11.9).
inline constexpr std::size_t kDashboardTimelineRuns = 200;
/// Runs listed with their stages and links.
inline constexpr std::size_t kDashboardListedRuns = 100;
/// Failing runs shown with their stderr.
inline constexpr std::size_t kDashboardFailures = 8;
/// Lines of a failing stage's stderr shown.
inline constexpr std::size_t kDashboardStderrLines = 20;
/// Days of the year view.
inline constexpr std::size_t kDashboardDays = 400;

struct DashboardData {
  PipelineStatus status;
  std::string host;
  std::vector<std::string> stage_names;  ///< the config's, in its order
  std::vector<RunSummary> runs;          ///< newest first, at most kDashboardTimelineRuns
  std::vector<StageTiming> timings;      ///< the same runs' stages, oldest first
  std::vector<DayCount> days;
  std::vector<RunReport> failures;  ///< the newest failing runs' reports, newest first
  std::vector<BatchListing> failed_batches;
  fs::path out_dir;  ///< where the page is: its links are relative to it
  fs::path logs;     ///< the config's logs folder
};

/// The page.
std::string render_dashboard(const DashboardData& data);

/// The runs, stage timings and days the page shows, from a history.
void fill_from_history(DashboardData& data, RunHistory& history);

/// Everything the page shows besides the status, from the history, the reports and the batch
/// folders; throws Error when the history cannot be read.
DashboardData gather_dashboard(const Machine& machine, const Config& config,
                               const fs::path& out_dir, PipelineStatus status);

/// Gathers and writes out_dir/index.html atomically; returns its path.
fs::path write_dashboard(Machine& machine, const Config& config, const fs::path& out_dir,
                         PipelineStatus status);

/// The page's folder when none is given: logs/dashboard.
fs::path default_dashboard_dir(const Config& config);

}  // namespace pipeline
