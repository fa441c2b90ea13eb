#include "core/item_loop.hpp"

#include "core/data_lifecycle.hpp"
#include "core/stage_runner.hpp"
#include "records/report_json.hpp"
#include "util/paths.hpp"
#include "util/time_format.hpp"

namespace pipeline {

void ItemLoop::count(const StageConfig& stage, const std::string& input, const FileStat& stat,
                     const StageRecord& rec, const PlaceholderValues& values) {
  InputFailureStore* store = s_.input_failures;
  // A stopped item says nothing about its input; a store that failed once is not asked again.
  if (!store || run_.aborted || store_failed_) return;
  try {
    if (rec.status == StageStatus::kSucceeded) {
      store->erase(stage.name, input);
      return;
    }
    std::optional<InputFailures> kept = store->get(stage.name, input);
    InputFailures row;
    row.stage = stage.name;
    row.path = input;
    row.size = stat.size;
    row.mtime_ns = stat.mtime_ns;
    if (kept && kept->size == stat.size && kept->mtime_ns == stat.mtime_ns) row = *kept;
    row.failures += 1;
    row.runs.push_back(run_.report.run_id);
    row.error = rec.attempts.empty() ? std::string(to_string(rec.status))
                                     : describe_attempt(rec.attempts.back());
    if (row.failures >= stage.quarantine->after) {
      if (quarantine(stage, input, stat, row, values)) {
        store->erase(stage.name, input);
        return;
      }
    }
    store->put(row);
  } catch (const std::exception& e) {
    store_failed_ = true;
    run_.report.errors.push_back("stage " + stage.name +
                                 ": the failures of its inputs cannot be kept (" + e.what() +
                                 "); no input of it is counted or quarantined in this run");
  }
}

bool ItemLoop::quarantine(const StageConfig& stage, const std::string& input, const FileStat& stat,
                          const InputFailures& row, const PlaceholderValues& values) {
  QuarantineRecord q;
  q.stage = stage.name;
  q.input = display_path(path_from_text(input), s_.config.root);
  q.failures = row.failures;
  q.runs = row.runs;
  q.error = row.error;
  std::string why = q.input + " was moved here by pipeline_runner: the item of stage " +
                    stage.name + " for it failed in " + std::to_string(row.failures) +
                    " consecutive runs.\nlast error: " + row.error + "\nruns:";
  for (const auto& r : row.runs) why += " " + r;
  why += "\nsize " + std::to_string(stat.size) + " bytes, modified " +
         format_rfc3339(from_unix_ns(stat.mtime_ns)) +
         "\nTo have it run again, put it back (fixed: a changed file starts again from zero).\n";
  try {
    const fs::path to = resolve_path(s_.config.root, expand(stage.quarantine->to, values));
    s_.lifecycle.quarantine(input, stat, to, why, q);
  } catch (const std::exception& e) {  // a placeholder without a value
    q.result = "failed";
    q.move_error = e.what();
  }
  nlohmann::json data = {
      {"input", q.input}, {"to", q.to},         {"failures", q.failures},    {"runs", q.runs},
      {"error", q.error}, {"result", q.result}, {"move_error", q.move_error}};
  const std::string msg = q.result == "quarantined"
                              ? q.input + " quarantined to " + q.to + " after " +
                                    std::to_string(q.failures) + " failed runs"
                              : q.input + " failed " + std::to_string(q.failures) +
                                    " runs in a row but was not quarantined: " + q.move_error;
  s_.events.emit(stage.name, event::kQuarantined, msg, std::move(data));
  const bool settled = q.result != "failed";
  run_.report.quarantined.push_back(std::move(q));
  return settled;
}

void ItemLoop::announce(const StageConfig& stage, const DecisionResult& decided) const {
  const std::size_t n = decided.inputs.files.size();
  nlohmann::json data = decision_to_json(decided.decision);
  data["inputs_count"] = n;
  data["items"] = n;
  data["workers"] = stage.workers;
  s_.events.emit(stage.name, event::kDecision,
                 decided.decision.reason + "; one process per input (" + std::to_string(n) +
                     (n == 1 ? " item" : " items") +
                     (stage.workers > 1 ? ", " + std::to_string(stage.workers) + " at once)" : ")"),
                 std::move(data));
}

StageRecord ItemLoop::unstarted(const StageConfig& stage, const ItemRef& item) const {
  StageRecord rec;
  rec.name = stage.name;
  rec.status = StageStatus::kNotStarted;
  rec.inputs_count = 1;
  rec.inputs = {item.input};
  rec.decision = {false, "the run was stopped before this item", {}};
  rec.item = item;
  return rec;
}

void ItemLoop::ended(const StageConfig& stage, const DecisionResult& decided, const ItemRef& item,
                     const std::string& path, const FileStat* stat, const PlaceholderValues& values,
                     StageRecord& rec) {
  rec.decision = {true,
                  "item " + std::to_string(item.index) + " of " +
                      std::to_string(decided.inputs.files.size()) + ": " + item.input,
                  decided.decision.warnings};
  rec.item = item;
  if (stage.quarantine && stat) count(stage, path, *stat, rec, values);
}

void ItemLoop::summarize(const StageConfig& stage, std::size_t first) const {
  for (const auto& o : items_outcomes(run_.report.stages, first)) {
    if (o.stage != stage.name) continue;
    s_.events.emit(stage.name, event::kItems, o.text(),
                   {{"outcome", o.outcome},
                    {"items", o.items},
                    {"succeeded", o.succeeded},
                    {"failed", o.failed()},
                    {"not_started", o.not_started}});
  }
}

}  // namespace pipeline
