#include "records/retention.hpp"

#include <algorithm>
#include <map>

#include "records/audit_store.hpp"
#include "records/record_layout.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"
#include "util/run_id.hpp"

namespace pipeline {
namespace {

struct RunRecords {
  std::vector<fs::path> files;
  std::vector<fs::path> trees;  ///< stage log folders
  std::optional<fs::path> report;
};

// Removes a folder and everything in it, deepest first; counts the files.
void remove_tree(FileSystem& files, const fs::path& dir, std::size_t& removed) {
  for (const auto& e : files.list_dir(dir)) {
    if (e.is_directory()) {
      remove_tree(files, dir / path_from_text(e.name), removed);
    } else {
      files.remove(dir / path_from_text(e.name));
      ++removed;
    }
  }
  files.remove(dir);
}

// A batch this run handled is still in the error folder: its records stay with it. A report
// that cannot be read holds nothing back.
bool has_batch_in_error(const Config& config, const FileSystem& files, const fs::path& report) {
  if (!config.batches) return false;
  RunReport r;
  try {
    r = AuditStore(files, report.parent_path()).load({"", report});
  } catch (const Error&) {
    return false;
  }
  return std::any_of(r.batches.begin(), r.batches.end(), [&](const BatchRecord& b) {
    if (b.moved_to.empty()) return false;
    fs::path where = resolve_path(config.root, b.moved_to);
    return is_within(where, config.batches->error) && files.exists(where);
  });
}

}  // namespace

RetentionResult prune_runs(const Config& config, FileSystem& files, TimePoint now,
                           const std::string& current_run_id) {
  RetentionResult result;
  if (!config.retention_keep_days && !config.retention_keep_runs) return result;

  std::map<std::string, RunRecords, std::greater<>> runs;  // newest first
  const RecordLayout layout(config);
  for (const auto& e : files.list_dir(layout.reports_dir())) {
    if (auto id = RecordLayout::run_id_in_name(e.name, ".json"); id && !e.is_directory()) {
      runs[*id].files.push_back(layout.reports_dir() / path_from_text(e.name));
      runs[*id].report = layout.reports_dir() / path_from_text(e.name);
    }
  }
  for (const auto& e : files.list_dir(layout.events_dir())) {
    if (auto id = RecordLayout::run_id_in_name(e.name, ".jsonl"); id && !e.is_directory()) {
      runs[*id].files.push_back(layout.events_dir() / path_from_text(e.name));
    }
  }
  for (const auto& e : files.list_dir(config.logs)) {
    if (auto id = RecordLayout::run_id_in_name(e.name, ".log"); id && !e.is_directory()) {
      runs[*id].files.push_back(config.logs / path_from_text(e.name));
    }
  }
  for (const auto& e : files.list_dir(layout.stage_logs_root())) {
    if (e.is_directory() && is_run_id(e.name)) {
      runs[e.name].trees.push_back(layout.stage_logs_root() / path_from_text(e.name));
    }
  }
  // ${inputs_file} lists a run wrote under state when its logs could not take them.
  for (const auto& e : files.list_dir(layout.inputs_fallback_root())) {
    if (e.is_directory() && is_run_id(e.name)) {
      runs[e.name].trees.push_back(layout.inputs_fallback_root() / path_from_text(e.name));
    }
  }

  std::optional<TimePoint> cutoff;
  if (config.retention_keep_days) {
    auto keep = std::chrono::hours(24) * *config.retention_keep_days;
    cutoff = now - keep;
    // The newest run before this one: if the clock moved more than keep_days since then
    // (either way), every run would look old at once. That is a clock jump far more often
    // than not.
    auto previous = std::find_if(runs.begin(), runs.end(),
                                 [&](const auto& run) { return run.first != current_run_id; });
    auto previous_time = previous == runs.end() ? std::nullopt : run_id_time(previous->first);
    if (previous_time) {
      auto moved = now > *previous_time ? now - *previous_time : *previous_time - now;
      if (moved > keep) {
        result.age_skipped =
            "the clock moved " +
            std::to_string(std::chrono::duration_cast<std::chrono::hours>(moved).count() / 24) +
            " days since the previous run (more than keep_days " +
            std::to_string(*config.retention_keep_days) + "); nothing is pruned by age this run";
        cutoff.reset();
      }
    }
  }
  std::size_t rank = 0;
  for (auto& [id, records] : runs) {
    ++rank;
    if (id == current_run_id) continue;
    auto started = run_id_time(id);
    bool too_old = cutoff && started && *started < *cutoff;
    bool too_many =
        config.retention_keep_runs && rank > static_cast<std::size_t>(*config.retention_keep_runs);
    if (!too_old && !too_many) continue;
    try {
      if (records.report && has_batch_in_error(config, files, *records.report)) {
        result.kept_for_batches.push_back(id);
        continue;
      }
      // The report goes last: while it exists the run is on record and will be pruned again.
      const std::optional<fs::path>& report = records.report;
      std::stable_partition(records.files.begin(), records.files.end(),
                            [&report](const fs::path& p) { return p != report; });
      for (const auto& t : records.trees) remove_tree(files, t, result.files_removed);
      for (const auto& f : records.files) {
        files.remove(f);
        ++result.files_removed;
      }
      result.pruned.push_back(id);
    } catch (const FileError& e) {
      result.errors.push_back(e.what());
    }
  }
  return result;
}

}  // namespace pipeline
