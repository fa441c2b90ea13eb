#pragma once
/// Hands each event to every subscriber in order: the JSONL event log, the human run log,
/// and whatever subscribes next (notifications, metrics).

#include <string>
#include <utility>
#include <vector>

#include "ports/event_sink.hpp"

namespace pipeline {

class EventFanout final : public EventSink {
 public:
  explicit EventFanout(std::vector<EventSink*> subscribers)
      : subscribers_(std::move(subscribers)) {}

  void emit(const std::string& source, const std::string& name, const std::string& msg,
            nlohmann::json data = nlohmann::json::object()) override {
    for (std::size_t i = 0; i < subscribers_.size(); ++i) {
      // The last one takes the data; the others get a copy.
      if (i + 1 == subscribers_.size()) {
        subscribers_[i]->emit(source, name, msg, std::move(data));
      } else {
        subscribers_[i]->emit(source, name, msg, data);
      }
    }
  }

  void set_batch(std::string id) override {
    for (EventSink* s : subscribers_) s->set_batch(id);
  }

 private:
  std::vector<EventSink*> subscribers_;
};

}  // namespace pipeline
