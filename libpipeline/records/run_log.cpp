#include "records/run_log.hpp"

#include <algorithm>

namespace pipeline {
namespace {

using nlohmann::json;

std::string text_of(const json& data, const char* key, const char* otherwise = "?") {
  auto it = data.find(key);
  if (it == data.end() || it->is_null()) return otherwise;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

bool is(const std::string& name, const char* event_name) {
  return name == event_name;
}

bool is_source(const std::string& source) {
  return std::any_of(event_source::kAll.begin(), event_source::kAll.end(),
                     [&](const char* s) { return source == s; });
}

}  // namespace

void RunLog::emit(const std::string& source, const std::string& name, const std::string& msg,
                  nlohmann::json data) {
  if (source == event_source::kPipeline) return pipeline_line(name, msg, data);
  if (!is_source(source)) return stage_line(source, name, msg, data);
  if (source == event_source::kLifecycle) {
    bool done = text_of(data, "error", "").empty();
    return write(done ? LogLevel::kInfo : LogLevel::kWarn, "lifecycle: " + msg);
  }
  if (source == event_source::kBatch) {
    LogLevel level = LogLevel::kInfo;
    if (is(name, event::kError)) level = LogLevel::kError;
    if (is(name, event::kWarning) || is(name, event::kInterrupted)) level = LogLevel::kWarn;
    return write(level, msg);
  }
  if (source == event_source::kRetention) {
    return write(is(name, event::kPruned) ? LogLevel::kInfo : LogLevel::kWarn, "retention: " + msg);
  }
  if (source == event_source::kNotify) {
    return write(is(name, event::kSent) ? LogLevel::kInfo : LogLevel::kWarn, "notify: " + msg);
  }
  write(LogLevel::kWarn, msg);  // history: rebuilt
}

void RunLog::stage_line(const std::string& stage, const std::string& name, const std::string& msg,
                        const nlohmann::json& data) {
  // An item's lines (foreach) say which: with `workers` they interleave.
  std::string item;
  if (auto it = data.find("item"); it != data.end() && it->is_number()) {
    item = " [item " + it->dump() + ": " + text_of(data, "input") + "]";
  }
  const std::string who = (batch_.empty() ? "" : "batch " + batch_ + ": ") + stage + item + ": ";
  if (is(name, event::kDecision)) {
    bool runs = data.value("run", false);
    write(LogLevel::kInfo, who + (runs ? "runs (" : "skipped (") + msg + ")");
    if (auto w = data.find("warnings"); w != data.end() && w->is_array()) {
      for (const auto& warning : *w) {
        write(LogLevel::kWarn,
              who + (warning.is_string() ? warning.get<std::string>() : warning.dump()));
      }
    }
  } else if (is(name, event::kSuccess) || is(name, event::kFailure) || is(name, event::kTimeout) ||
             is(name, event::kHang)) {
    write(is(name, event::kSuccess) ? LogLevel::kInfo : LogLevel::kError,
          who + msg + " (attempt " + text_of(data, "attempt") + ", " +
              text_of(data, "duration_ms") + " ms)");
  } else if (is(name, event::kItems)) {
    write(text_of(data, "outcome") == "succeeded" ? LogLevel::kInfo : LogLevel::kWarn, who + msg);
  } else if (is(name, event::kRetry) || is(name, event::kWarning)) {
    write(LogLevel::kWarn, who + msg);
  } else if (is(name, event::kTerminate) || is(name, event::kKill)) {
    write(LogLevel::kInfo, who + msg);
  } else if (is(name, event::kStart)) {
    write(LogLevel::kDebug, who + msg);
  }
  // progress (one an item), metric and skipped (the decision said it) stay in the event log.
}

void RunLog::pipeline_line(const std::string& name, const std::string& msg,
                           const nlohmann::json& data) {
  if (is(name, event::kStart)) {
    write(LogLevel::kInfo, "run " + run_id_ + " of " + text_of(data, "pipeline") +
                               " started (config " + text_of(data, "config") + ")");
  } else if (is(name, event::kRecovered) || is(name, event::kMoveRecovered) ||
             is(name, event::kWarning)) {
    write(LogLevel::kWarn, msg);
  } else if (data.contains("exit_code")) {  // the run's status, its last event
    std::string report = text_of(data, "report", "");
    write(LogLevel::kInfo, "run " + run_id_ + " finished: " + name + " (exit " +
                               text_of(data, "exit_code") + ", " + text_of(data, "duration_ms") +
                               " ms)" + (report.empty() ? "" : "; report " + report));
  } else {
    write(LogLevel::kInfo, msg);  // temp_removed
  }
}

}  // namespace pipeline
