#include "records/run_records.hpp"

#include <algorithm>
#include <set>

#include "records/audit_store.hpp"
#include "records/record_layout.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"
#include "util/run_id.hpp"

namespace pipeline {
namespace {

bool matches(const RunSummary& run, const HistoryQuery& query) {
  if (!query.status.empty() && run.status != query.status) return false;
  if (query.stage.empty()) return true;
  return std::any_of(run.stages.begin(), run.stages.end(),
                     [&](const RunSummary::Stage& s) { return s.name == query.stage; });
}

// The history converges to the reports: a run whose report was written but whose row was not
// (a runner killed in between, a full state disk) is added by the next run that records.
// One listing of the reports; the rows are read only when the counts differ.
void add_missing_runs(const Config& config, const FileSystem& files, RunHistory& history) {
  AuditStore store(files, RecordLayout(config).reports_dir());
  auto reports = store.list();
  if (reports.size() == history.count()) return;
  std::set<std::string> recorded;
  for (auto& e : history.entries()) recorded.insert(std::move(e.run_id));
  for (const auto& f : reports) {
    if (recorded.count(f.run_id)) continue;
    try {
      RunReport r = store.load(f);
      if (r.run_id != f.run_id) continue;  // not the run its name says
      history.record(r, path_text(f.path));
    } catch (const Error&) {
      // A damaged report stays out of the history; `audit show` says what is wrong with it.
    }
  }
}

// Report writes that never finished: a run writes its report under the run lock, so with
// the lock held any temporary file in the folder is a dead run's, whatever its age.
std::vector<std::string> remove_unfinished_reports(const Config& config, FileSystem& files) {
  return remove_unfinished_writes(files, RecordLayout(config).reports_dir());
}

}  // namespace

std::vector<ReportOnRecord> load_reports(const Config& config, const FileSystem& files,
                                         const Warn& warn) {
  AuditStore store(files, RecordLayout(config).reports_dir());
  std::vector<ReportOnRecord> out;
  auto all = store.list();
  std::reverse(all.begin(), all.end());
  for (const auto& f : all) {
    try {
      out.emplace_back(store.load(f), path_text(f.path));
    } catch (const Error& e) {
      if (warn) warn(std::string(e.what()) + " (left out of the history)");
    }
  }
  return out;
}

std::unique_ptr<RunHistory> rebuild_history_from_reports(const Config& config,
                                                         const FileSystem& files,
                                                         const Warn& warn) {
  return rebuild_history(config, load_reports(config, files, warn));
}

std::optional<std::int64_t> reports_mtime(const Config& config, const FileSystem& files) {
  auto st = files.stat(RecordLayout(config).reports_dir());
  if (!st || !st->is_directory()) return std::nullopt;
  return st->mtime_ns;
}

RecordOutcome record_run(const Config& config, FileSystem& files, const RunReport& report,
                         const std::string& path, const std::vector<std::string>& pruned,
                         std::optional<std::int64_t> reports_at_start, const Warn& warn) {
  RecordOutcome out;
  try {
    try {
      auto history = open_history(config, false);
      history->record(report, path);
      if (!pruned.empty()) history->forget(pruned);
      if (!reports_at_start || history->reports_stamp() != reports_at_start) {
        out.temp_removed = remove_unfinished_reports(config, files);
        add_missing_runs(config, files, *history);
      }
      if (auto now = reports_mtime(config, files)) history->set_reports_stamp(*now);
      return out;
    } catch (const HistoryUnusable& e) {
      out.temp_removed = remove_unfinished_reports(config, files);
      bool existed = history_exists(config);
      auto rebuilt = rebuild_history_from_reports(config, files, warn);
      const std::size_t runs = rebuilt->count();
      if (auto now = reports_mtime(config, files)) rebuilt->set_reports_stamp(*now);
      if (!existed && runs <= 1) return out;  // a first run: nothing to rebuild
      out.rebuilt = "the run history could not be used (" + std::string(e.what()) +
                    "); rebuilt it from the reports: " + std::to_string(runs) + " runs";
      return out;
    }
  } catch (const std::exception& e) {
    if (warn) {
      warn("the run history " + history_location(config) + " is not updated: " + e.what() +
           " (the reports are complete; `pipeline_runner history rebuild` restores it)");
    }
    return out;
  }
}

std::vector<RunSummary> query_runs(const Config& config, const FileSystem& files,
                                   const HistoryQuery& query, const Warn& warn) {
  try {
    return open_history(config, false)->list(query);
  } catch (const std::exception& e) {
    if (warn) {
      warn(std::string(e.what()) +
           "; reading the reports instead (`pipeline_runner history rebuild` restores it)");
    }
  }
  AuditStore store(files, RecordLayout(config).reports_dir());
  std::vector<RunSummary> out;
  for (const auto& f : store.list()) {
    if (out.size() >= query.limit) break;
    if (query.since) {
      auto started = run_id_time(f.run_id);
      if (started && *started < *query.since) break;  // newest first: the rest are older
    }
    try {
      RunSummary run = summary_of(store.load(f), path_text(f.path));
      if (matches(run, query)) out.push_back(std::move(run));
    } catch (const Error& e) {
      if (warn) warn(std::string(e.what()) + "; left out");
    }
  }
  return out;
}

std::map<std::string, std::map<std::string, std::int64_t>> query_last_counts(const Config& config) {
  std::map<std::string, std::map<std::string, std::int64_t>> out;
  try {
    auto history = open_history(config, false);
    for (const auto& stage : config.stages) {
      if (!stage.counts) continue;
      for (const auto& [name, pattern] : stage.counts->patterns) {
        if (auto v = history->last_count(stage.name, name)) out[stage.name][name] = *v;
      }
    }
  } catch (const std::exception&) {
    // The metrics then carry the last run's counts alone.
  }
  return out;
}

RunHealth query_health(const Config& config, const FileSystem& files, const std::string& excluding,
                       const Warn& warn) {
  try {
    return open_history(config, false)->health(excluding);
  } catch (const std::exception& e) {
    if (warn && history_exists(config)) {
      warn(std::string(e.what()) +
           "; reading the reports instead (`pipeline_runner history rebuild` restores it)");
    }
  }
  std::vector<RunSummary> runs;
  auto reports = load_reports(config, files, warn);
  for (auto it = reports.rbegin(); it != reports.rend(); ++it) {
    runs.push_back(summary_of(it->first, it->second));
  }
  return health_of(runs, excluding);
}

fs::path find_report(const Config& config, const FileSystem& files, const std::string& ref) {
  AuditStore store(files, RecordLayout(config).reports_dir());
  if (ref == "latest" || is_run_id_prefix(ref)) {
    try {
      auto hits = open_history(config, false)->find(ref == "latest" ? "" : ref, 2);
      bool unique = hits.size() == 1 || (ref == "latest" && !hits.empty());
      if (unique && files.exists(path_from_text(hits.front().second))) {
        return path_from_text(hits.front().second);
      }
    } catch (const std::exception&) {
      // The reports answer, and say exactly what is wrong with ref.
    }
  }
  return store.resolve(ref).path;
}

}  // namespace pipeline
