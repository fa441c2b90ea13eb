#pragma once
/// Hands each event to every subscriber in order: the JSONL event log, the human run log,
/// and whatever subscribes next (notifications, metrics); with a Redactor, cleaned of every
/// secret first, so that no subscriber ever sees one.

#include <string>
#include <utility>
#include <vector>

#include "ports/event_sink.hpp"
#include "util/redact.hpp"

namespace pipeline {

class EventFanout final : public EventSink {
 public:
  explicit EventFanout(std::vector<EventSink*> subscribers, const Redactor* redact = nullptr)
      : subscribers_(std::move(subscribers)), redact_(redact) {}

  void emit(const std::string& source, const std::string& name, const std::string& text,
            nlohmann::json data = nlohmann::json::object()) override {
    if (subscribers_.empty()) return;
    const bool clean = redact_ != nullptr && !redact_->empty();
    if (clean) redact_->redact_json(data);
    const std::string msg = clean ? (*redact_)(text) : text;
    // Each but the last gets a copy; the last takes the data.
    for (std::size_t i = 0; i + 1 < subscribers_.size(); ++i) {
      subscribers_[i]->emit(source, name, msg, data);
    }
    subscribers_.back()->emit(source, name, msg, std::move(data));
  }

  void set_batch(std::string id) override {
    for (EventSink* s : subscribers_) s->set_batch(id);
  }

 private:
  std::vector<EventSink*> subscribers_;
  const Redactor* redact_;
};

}  // namespace pipeline
