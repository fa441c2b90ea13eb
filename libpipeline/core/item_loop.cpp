#include "core/item_loop.hpp"

#include "core/stage_runner.hpp"
#include "records/report_json.hpp"
#include "util/paths.hpp"

namespace pipeline {

StageStatus ItemLoop::run(const StageConfig& stage, const DecisionResult& decided,
                          const PlaceholderValues& values, const fs::path& stage_logs,
                          const std::string& batch, InputSnapshot& succeeded) {
  const InputSnapshot& inputs = decided.inputs;
  const std::size_t n = inputs.files.size();
  nlohmann::json data = decision_to_json(decided.decision);
  data["inputs_count"] = n;
  data["items"] = n;
  s_.events.emit(stage.name, event::kDecision,
                 decided.decision.reason + "; one process per input (" + std::to_string(n) +
                     (n == 1 ? " item)" : " items)"),
                 std::move(data));
  const fs::path item_logs = stage_logs / path_from_text(stage.name);
  std::size_t failed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& path = inputs.files[i];
    const ItemRef item{i + 1, display_path(path_from_text(path), s_.config.root)};
    StageRecord rec;
    if (run_.stopped()) {
      rec.name = stage.name;
      rec.status = StageStatus::kNotStarted;
      rec.inputs_count = 1;
      rec.inputs = {item.input};
      rec.decision = {false, "the run was stopped before this item", {}};
    } else {
      PlaceholderValues item_values = values;
      item_values.scalars["input"] = path;
      InputSnapshot one;
      one.files = {path};
      if (i < inputs.stats.size()) one.stats = {inputs.stats[i]};
      rec = StageRunner(run_, nullptr, &item).run(stage, one, item_values, item_logs);
      rec.decision = {
          true,
          "item " + std::to_string(item.index) + " of " + std::to_string(n) + ": " + item.input,
          decided.decision.warnings};
      if (rec.status == StageStatus::kSucceeded) {
        succeeded.files.push_back(path);
        if (!one.stats.empty()) succeeded.stats.push_back(one.stats.front());
      }
    }
    if (rec.status != StageStatus::kSucceeded) ++failed;
    rec.item = item;
    rec.batch = batch;
    run_.report.stages.push_back(std::move(rec));
  }
  return failed == 0 ? StageStatus::kSucceeded : StageStatus::kFailed;
}

}  // namespace pipeline
