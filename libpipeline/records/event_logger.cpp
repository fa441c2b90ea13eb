#include "records/event_logger.hpp"

#include "records/report_json.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"

namespace pipeline {

EventLogger::EventLogger(FileSystem& files, const Clock& clock, fs::path path, std::string run_id,
                         Warn warn)
    : clock_(clock), path_(std::move(path)), run_id_(std::move(run_id)), warn_(std::move(warn)) {
  if (path_.empty()) return;  // a logger that records nothing (plan, dry run)
  try {
    files.create_directories(path_.parent_path());
    file_ = files.open_append(path_);
  } catch (const FileError& e) {
    fail(e.what());
  }
}

void EventLogger::fail(const std::string& why) {
  if (failed_) return;
  failed_ = true;
  if (warn_) warn_("events are not recorded: " + why + " (the run goes on)");
}

void EventLogger::emit(const std::string& stage, const std::string& name, const std::string& msg,
                       nlohmann::json data) {
  ++seq_;  // numbered even when dropped, so a gap shows that events were lost
  if (failed_ || !file_) return;
  nlohmann::ordered_json line = {{"run_id", run_id_},
                                 {"seq", seq_},
                                 {"timestamp", format_rfc3339(clock_.now())},
                                 {"stage", stage},
                                 {"event", stage + "." + name},
                                 {"msg", msg},
                                 {"data", std::move(data)}};
  if (!batch_.empty()) line["batch"] = batch_;
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (!file_->append(text)) fail("cannot write " + path_text(path_) + ": " + file_->error());
}

}  // namespace pipeline
