#include "records/lock_record.hpp"

#include "records/report_json.hpp"
#include "util/json_read.hpp"

namespace pipeline {
namespace {

using nlohmann::json;

std::string text_at(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

json lock_owner_to_json(const LockOwner& o) {
  json j = {{"pid", o.pid}, {"host", o.host}};
  if (!o.command.empty()) j["command"] = o.command;
  if (!o.run_id.empty()) {
    j["run_id"] = o.run_id;
    j["started_at"] = o.started_at;
    j["stage_processes"] = o.stage_processes;
  }
  return j;
}

std::string lock_owner_to_text(const LockOwner& owner) {
  return dump_json(lock_owner_to_json(owner));
}

std::optional<LockOwner> lock_owner_from_text(std::string_view text) {
  json j = parse_untrusted_json(text);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  LockOwner o;
  if (auto pid = j.find("pid"); pid != j.end() && pid->is_number_integer()) {
    o.pid = pid->get<std::int64_t>();
  }
  o.host = text_at(j, "host");
  o.run_id = text_at(j, "run_id");
  o.started_at = text_at(j, "started_at");
  o.command = text_at(j, "command");
  if (auto it = j.find("stage_processes"); it != j.end() && it->is_array()) {
    for (const auto& s : *it) {
      if (s.is_string()) o.stage_processes.push_back(s.get<std::string>());
    }
  }
  return o;
}

std::string describe(const std::optional<LockOwner>& o) {
  if (!o) return "owner unknown";
  auto or_unknown = [](const std::string& s) { return s.empty() ? std::string("?") : s; };
  std::string who = o->run_id.empty() && !o->command.empty() ? "`" + o->command + "`"
                                                             : "run " + or_unknown(o->run_id);
  return who + ", pid " + std::to_string(o->pid) + " on " + or_unknown(o->host) + ", since " +
         or_unknown(o->started_at);
}

}  // namespace pipeline
