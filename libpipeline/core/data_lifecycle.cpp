#include "core/data_lifecycle.hpp"

#include "util/error.hpp"
#include "util/paths.hpp"

namespace pipeline {

std::vector<LifecycleRecord> DataLifecycle::apply(
    const std::map<std::string, StageStatus>& outcomes,
    const std::map<std::string, InputSnapshot>& snapshots, const PlaceholderValues& values,
    const Guards& guards) {
  std::vector<LifecycleRecord> records;
  std::optional<bool> may_delete;  // asked of guards.can_record at the first delete
  for (const auto& rule : config_.lifecycle) {
    bool all_succeeded = true;
    for (const auto& s : rule.when_succeeded) {
      auto it = outcomes.find(s);
      if (it == outcomes.end() || it->second != StageStatus::kSucceeded) all_succeeded = false;
    }
    auto snap = snapshots.find(rule.stage);
    if (!all_succeeded || snap == snapshots.end()) continue;
    fs::path to_dir;
    if (rule.to) to_dir = resolve_path(config_.root, expand(*rule.to, values));
    if (rule.action == LifecycleRule::Action::kDelete && !may_delete) {
      may_delete = !guards.can_record || guards.can_record();
    }
    const InputSnapshot& inputs = snap->second;
    for (std::size_t i = 0; i < inputs.files.size(); ++i) {
      if (guards.stop.requested()) return records;
      // Without the snapshot's stats nothing proves the file is unchanged: leave it.
      const FileStat* taken = i < inputs.stats.size() ? &inputs.stats[i] : nullptr;
      LifecycleRecord rec = act(rule, inputs.files[i], taken, to_dir, may_delete.value_or(true));
      nlohmann::json data = {{"action", rec.action}, {"path", rec.path}, {"result", rec.result}};
      if (!rec.to.empty()) data["to"] = rec.to;
      if (!rec.error.empty()) data["error"] = rec.error;
      events_.emit(event_source::kLifecycle, event::kAction,
                   rec.action + " " + rec.path + ": " + rec.result +
                       (rec.error.empty() ? "" : " (" + rec.error + ")"),
                   std::move(data));
      records.push_back(std::move(rec));
    }
  }
  return records;
}

LifecycleRecord DataLifecycle::act(const LifecycleRule& rule, const fs::path& file,
                                   const FileStat* snap, const fs::path& to_dir, bool may_delete) {
  bool del = rule.action == LifecycleRule::Action::kDelete;
  LifecycleRecord rec;
  rec.action = del ? "delete" : "move";
  rec.path = display_path(file, config_.root);
  fs::path target = del ? fs::path() : to_dir / file.filename();
  if (!del) rec.to = display_path(target, config_.root);
  auto now = files_.stat(file);
  if (!now) {
    rec.result = "missing";
    return rec;
  }
  if (!snap || *now != *snap) {
    rec.result = "changed";
    rec.error = "the file changed after the stage's inputs were taken; left in place";
    return rec;
  }
  if (del && !may_delete) {
    rec.result = "kept";
    rec.error = "the run's report cannot be written, so no input is deleted by it";
    return rec;
  }
  try {
    if (del) {
      files_.remove(file);
      rec.result = "deleted";
    } else {
      files_.create_directories(to_dir);
      mover_.move(file, target);
      rec.result = "moved";
    }
  } catch (const FileError& e) {
    rec.result = "failed";
    rec.error = e.what();
  }
  return rec;
}

}  // namespace pipeline
