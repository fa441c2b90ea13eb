#include "core/data_lifecycle.hpp"

#include "util/error.hpp"
#include "util/paths.hpp"

namespace pipeline {

namespace {
/// The list is appended in chunks of about this size: one write per chunk, not per file.
constexpr std::size_t kListChunk = std::size_t{256} * 1024;
}  // namespace

std::vector<LifecycleRecord> DataLifecycle::apply(
    const std::map<std::string, StageStatus>& outcomes,
    const std::map<std::string, InputSnapshot>& snapshots, const PlaceholderValues& values,
    const Guards& guards) {
  std::vector<LifecycleRecord> records;
  const std::size_t count_before = summary_.count;
  std::optional<bool> may_delete;  // asked of guards.can_record at the first delete
  bool stopped = false;
  for (const auto& rule : config_.lifecycle) {
    if (stopped) break;
    bool all_succeeded = true;
    for (const auto& s : rule.when_succeeded) {
      // A `foreach: input` stage's own inputs go per item: its snapshot holds the inputs
      // whose item succeeded, whatever became of the others.
      const StageConfig* own = s == rule.stage ? config_.find_stage(s) : nullptr;
      if (own && own->per_input) continue;
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
      stopped = guards.stop.requested();
      if (stopped) break;
      // Without the snapshot's stats nothing proves the file is unchanged: leave it.
      const FileStat* taken = i < inputs.stats.size() ? &inputs.stats[i] : nullptr;
      record(act(rule, inputs.files[i], taken, to_dir, may_delete.value_or(true)), guards.list,
             records);
    }
  }
  finish_pass(guards.list, count_before);
  return records;
}

void DataLifecycle::record(LifecycleRecord rec, const fs::path& list,
                           std::vector<LifecycleRecord>& listed) {
  ++summary_.count;
  ++summary_.results[rec.result];
  nlohmann::json data = {{"action", rec.action}, {"path", rec.path}, {"result", rec.result}};
  if (!rec.to.empty()) data["to"] = rec.to;
  if (!rec.error.empty()) data["error"] = rec.error;
  if (list_error_.empty()) {
    list_buffer_ += data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    list_buffer_ += '\n';
    if (list_buffer_.size() >= kListChunk) flush_list(list);
  }
  if (summary_.count > kListedLifecycle) return;
  events_.emit(event_source::kLifecycle, event::kAction,
               rec.action + " " + rec.path + ": " + rec.result +
                   (rec.error.empty() ? "" : " (" + rec.error + ")"),
               std::move(data));
  listed.push_back(std::move(rec));
}

void DataLifecycle::flush_list(const fs::path& list) {
  if (list_buffer_.empty() || !list_error_.empty()) return;
  try {
    if (!list_file_) {
      files_.create_directories(list.parent_path());
      list_file_ = files_.open_append(list);
    }
    if (!list_file_->append(list_buffer_))
      list_error_ = path_text(list) + ": " + list_file_->error();
  } catch (const FileError& e) {
    list_error_ = e.what();
  }
  list_buffer_.clear();
}

void DataLifecycle::finish_pass(const fs::path& list, std::size_t count_before) {
  if (summary_.count == count_before) return;
  flush_list(list);
  summary_.list = list_error_.empty() ? display_path(list, config_.root) : std::string();
  if (summary_.count <= kListedLifecycle) return;
  nlohmann::json data = {
      {"count", summary_.count},
      {"listed", kListedLifecycle},
      {"results", summary_.results},
      {"list", summary_.list.empty() ? nlohmann::json() : nlohmann::json(summary_.list)}};
  std::string msg = std::to_string(summary_.count - kListedLifecycle) + " more of " +
                    std::to_string(summary_.count) + " records not shown one by one";
  if (list_error_.empty()) {
    msg += "; every one is in " + summary_.list;
  } else {
    data["error"] = "the lifecycle list could not be written: " + list_error_;
    msg += "; " + data["error"].get<std::string>();
  }
  events_.emit(event_source::kLifecycle, event::kSummary, msg, std::move(data));
}

LifecycleRecord DataLifecycle::act(const LifecycleRule& rule, const std::string& input,
                                   const FileStat* snap, const fs::path& to_dir, bool may_delete) {
  const fs::path file = path_from_text(input);
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

void DataLifecycle::quarantine(const std::string& input, const FileStat& snap,
                               const fs::path& to_dir, const std::string& why,
                               QuarantineRecord& rec) {
  const fs::path file = path_from_text(input);
  auto now = files_.stat(file);
  if (!now || *now != snap) {
    rec.result = "changed";
    rec.move_error = now ? "the file changed after the stage's inputs were taken; left in place"
                         : "the file is gone";
    return;
  }
  try {
    files_.create_directories(to_dir);
    // A reason whose write a run that died never finished: its temporary file goes (under
    // the run lock, any is a dead run's).
    remove_unfinished_writes(files_, to_dir);
    const std::string name = path_text(file.filename());
    fs::path target = to_dir / file.filename();
    // A name is taken by a file, not by a reason alone: a reason without its file is one a
    // run that died left (its move was rolled back by this run's recovery), and this
    // quarantine writes it anew, instead of moving the file to name.1 beside it.
    for (int n = 1; files_.exists(target); ++n) {
      target = to_dir / path_from_text(name + "." + std::to_string(n));
    }
    // The reason first: a run that dies between the two leaves a reason without its file
    // (taken over as above), never a quarantined file without its reason.
    files_.write_atomic(path_from_text(path_text(target) + ".error.txt"), why);
    mover_.move(file, target);
    rec.to = display_path(target, config_.root);
    rec.result = "quarantined";
  } catch (const FileError& e) {
    rec.result = "failed";
    rec.move_error = e.what();
  }
}

}  // namespace pipeline
