#include "records/run_records.hpp"

#include <algorithm>
#include <set>

#include "records/audit_store.hpp"
#include "records/record_layout.hpp"
#include "util/error.hpp"
#include "util/json_read.hpp"
#include "util/run_id.hpp"

namespace pipeline {
namespace {

using nlohmann::json;

bool stage_ran(const json& s, const std::string& name) {
  if (!s.is_object() || s.value("name", std::string()) != name) return false;
  std::string status = s.value("status", std::string());
  return status != "skipped" && status != "not_started";
}

// The shape query_runs answers in, from a full report.
json summary(const json& r, const std::string& path) {
  json stages = json::array();
  for (const auto& s : r.value("stages", json::array())) {
    std::string status = s.value("status", std::string());
    if (status == "skipped" || status == "not_started") continue;
    stages.push_back({{"name", s.value("name", std::string())},
                      {"status", status},
                      {"batch", s.value("batch", json())}});
  }
  return {{"run_id", r.value("run_id", std::string())},
          {"status", r.value("status", std::string())},
          {"exit_code", r.value("exit_code", json())},
          {"started_at", r.value("started_at", std::string())},
          {"duration_ms", r.value("duration_ms", json())},
          {"report", path},
          {"stages", stages}};
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
      json r = store.load(f);
      if (r.value("run_id", json()) != f.run_id) continue;  // not the run its name says
      history.record(r, f.path.string());
    } catch (const Error&) {
      // A damaged report stays out of the history; `audit show` says what is wrong with it.
    } catch (const json::exception&) {
      // Valid JSON with a field of the wrong type: damaged too.
    }
  }
}

}  // namespace

std::vector<std::pair<json, std::string>> load_reports(const Config& config,
                                                       const FileSystem& files, const Warn& warn) {
  AuditStore store(files, RecordLayout(config).reports_dir());
  std::vector<std::pair<json, std::string>> out;
  auto all = store.list();
  std::reverse(all.begin(), all.end());
  for (const auto& f : all) {
    try {
      out.emplace_back(store.load(f), f.path.string());
    } catch (const Error& e) {
      if (warn) warn(std::string(e.what()) + " (left out of the history)");
    }
  }
  return out;
}

std::size_t rebuild_history_from_reports(const Config& config, const FileSystem& files,
                                         const Warn& warn) {
  auto reports = load_reports(config, files, warn);
  return rebuild_history(RecordLayout(config).history_db(), reports)->count();
}

std::optional<std::string> record_run(const Config& config, const FileSystem& files,
                                      const json& report, const std::string& path,
                                      const std::vector<std::string>& pruned, const Warn& warn) {
  fs::path db = RecordLayout(config).history_db();
  try {
    try {
      auto history = open_history(db, false);
      history->record(report, path);
      if (!pruned.empty()) history->forget(pruned);
      add_missing_runs(config, files, *history);
      return std::nullopt;
    } catch (const HistoryUnusable& e) {
      bool existed = fs::exists(db);
      std::size_t runs = rebuild_history_from_reports(config, files, warn);
      if (!existed && runs <= 1) return std::nullopt;  // a first run: nothing to rebuild
      return "the run history could not be used (" + std::string(e.what()) +
             "); rebuilt it from the reports: " + std::to_string(runs) + " runs";
    }
  } catch (const std::exception& e) {
    if (warn) {
      warn("the run history " + db.string() + " is not updated: " + e.what() +
           " (the reports are complete; `pipeline_runner history rebuild` restores it)");
    }
    return std::nullopt;
  }
}

std::vector<json> query_runs(const Config& config, const FileSystem& files,
                             const HistoryQuery& query, const Warn& warn) {
  try {
    return open_history(RecordLayout(config).history_db(), false)->list(query);
  } catch (const std::exception& e) {
    if (warn) {
      warn(std::string(e.what()) +
           "; reading the reports instead (`pipeline_runner history rebuild` restores it)");
    }
  }
  AuditStore store(files, RecordLayout(config).reports_dir());
  std::vector<json> out;
  for (const auto& f : store.list()) {
    if (out.size() >= query.limit) break;
    if (query.since) {
      auto started = run_id_time(f.run_id);
      if (started && *started < *query.since) break;  // newest first: the rest are older
    }
    try {
      json r = store.load(f);
      if (!query.status.empty() && r.value("status", std::string()) != query.status) continue;
      if (!query.stage.empty()) {
        const json stages = r.value("stages", json::array());
        if (std::none_of(stages.begin(), stages.end(),
                         [&](const json& s) { return stage_ran(s, query.stage); })) {
          continue;
        }
      }
      out.push_back(summary(r, f.path.string()));
    } catch (const Error& e) {
      if (warn) warn(e.what());
    } catch (const json::exception& e) {  // a field of the wrong type: one damaged report
      if (warn) {
        warn("report " + f.path.string() + " is damaged (" + json_error_text(e) + "); left out");
      }
    }
  }
  return out;
}

fs::path find_report(const Config& config, const FileSystem& files, const std::string& ref) {
  AuditStore store(files, RecordLayout(config).reports_dir());
  if (ref == "latest" || is_run_id_prefix(ref)) {
    try {
      auto hits = open_history(RecordLayout(config).history_db(), false)
                      ->find(ref == "latest" ? "" : ref, 2);
      bool unique = hits.size() == 1 || (ref == "latest" && !hits.empty());
      if (unique && files.exists(hits.front().second)) return hits.front().second;
    } catch (const std::exception&) {
      // The reports answer, and say exactly what is wrong with ref.
    }
  }
  return store.resolve(ref).path;
}

}  // namespace pipeline
