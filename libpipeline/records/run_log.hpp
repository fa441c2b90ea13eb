#pragma once
/// The human log of a run (SPEC 6: `logs/pipeline_<stamp>_<run_id>.log`, and stderr): one
/// line per event that a person wants to read, at a level, made from the event alone. It is
/// an EventSink subscriber, so nothing is said twice by hand; where the lines go (a file, the
/// terminal) is the writer's business, given by the composition root.

#include <functional>
#include <string>

#include "ports/event_sink.hpp"

namespace pipeline {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

class RunLog final : public EventSink {
 public:
  using Writer = std::function<void(LogLevel, const std::string&)>;

  RunLog(std::string run_id, Writer writer)
      : run_id_(std::move(run_id)), writer_(std::move(writer)) {}

  void emit(const std::string& source, const std::string& name, const std::string& msg,
            nlohmann::json data = nlohmann::json::object()) override;
  void set_batch(std::string id) override { batch_ = std::move(id); }

 private:
  void stage_line(const std::string& stage, const std::string& name, const std::string& msg,
                  const nlohmann::json& data);
  void pipeline_line(const std::string& name, const std::string& msg, const nlohmann::json& data);
  void write(LogLevel level, const std::string& text) const { writer_(level, text); }

  std::string run_id_;
  Writer writer_;
  std::string batch_;
};

}  // namespace pipeline
