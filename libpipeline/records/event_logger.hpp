#pragma once
/// The run's structured events (SPEC 5): one JSON object per line, one write per line, on an
/// append-only file. A failing event log never stops or changes the run: the first failure is
/// reported once through `warn`, later events are dropped.

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ports/clock.hpp"
#include "ports/event_sink.hpp"
#include "ports/file_system.hpp"

namespace pipeline {

class EventLogger final : public EventSink {
 public:
  using Warn = std::function<void(const std::string&)>;

  /// Opens (creates) the events file; a file that cannot be opened only warns. An empty path
  /// makes a logger that records nothing.
  EventLogger(FileSystem& files, const Clock& clock, fs::path path, std::string run_id, Warn warn);

  /// Appends {run_id, seq, timestamp, stage, event, msg, data}; event is "<stage>.<name>"
  /// for stages and "pipeline.<name>" for run-level events.
  void emit(const std::string& stage, const std::string& name, const std::string& msg,
            nlohmann::json data = nlohmann::json::object()) override;

  /// In batch mode, the batch the following events belong to (a "batch" field); "" for none.
  void set_batch(std::string id) override { batch_ = std::move(id); }

  bool healthy() const { return file_ != nullptr && !failed_; }

 private:
  void fail(const std::string& why);

  const Clock& clock_;
  fs::path path_;
  std::string run_id_;
  Warn warn_;
  std::unique_ptr<AppendFile> file_;
  std::string batch_;
  std::uint64_t seq_ = 0;
  bool failed_ = false;
};

}  // namespace pipeline
