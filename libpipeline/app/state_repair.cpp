#include "app/state_repair.hpp"

#include <algorithm>

#include "records/record_layout.hpp"
#include "records/run_records.hpp"
#include "records/sqlite_state.hpp"
#include "util/paths.hpp"

namespace pipeline {
namespace {

bool any_stage(const Config& c, bool (*has)(const StageConfig&)) {
  return std::any_of(c.stages.begin(), c.stages.end(), has);
}

bool has_windows(const StageConfig& s) {
  return s.windows.has_value();
}
bool has_quarantine(const StageConfig& s) {
  return s.quarantine.has_value();
}

// What the store held that the reports cannot give back, for this config.
std::string lost_with_it(const Config& c) {
  std::vector<std::string> parts;
  if (any_stage(c, has_quarantine)) {
    parts.emplace_back("the failure counts of quarantine start again from zero");
  }
  if (c.notify) parts.emplace_back("alerts it kept for a later delivery, if any, are lost");
  if (c.metrics) {
    parts.emplace_back("pipeline_runner_runs_total starts again from the run history's counts");
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

std::string StateRepair::message() const {
  std::string msg;
  if (!damaged.empty()) {
    msg = "the state store could not be used (" + damaged + ")";
    msg += moved_to.empty() ? "; it could not be moved aside, so nothing that needs it runs"
                            : "; moved it aside to " + moved_to;
  } else {
    msg = "the state store was missing, though earlier runs kept one (deleted?)";
  }
  if (!restored.empty()) {
    msg += "; rebuilt the windows from the reports:";
    for (const auto& r : restored) {
      msg += " " + r.stage + " " + std::to_string(r.windows) + " windows (" +
             std::to_string(r.succeeded) + " succeeded)" + (&r == &restored.back() ? "" : ",");
    }
  }
  if (!lost.empty()) msg += "; " + lost;
  return msg;
}

nlohmann::json StateRepair::to_json() const {
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& r : restored) {
    windows.push_back({{"stage", r.stage},
                       {"windows", r.windows},
                       {"succeeded", r.succeeded},
                       {"from_reports", r.from_reports}});
  }
  return {{"damaged", damaged.empty() ? nlohmann::json(nullptr) : nlohmann::json(damaged)},
          {"moved_to", moved_to.empty() ? nlohmann::json(nullptr) : nlohmann::json(moved_to)},
          {"missing", missing},
          {"windows", windows},
          {"lost", lost}};
}

StateRepair repair_state_store(Machine& machine, const Config& config, TimePoint now) {
  StateRepair out;
  const bool windows = any_stage(config, has_windows);
  const std::string lost = lost_with_it(config);
  if (!windows && lost.empty()) return out;  // this config keeps nothing there
  const fs::path db = RecordLayout(config).state_db();
  if (machine.files.stat(db)) {
    std::optional<std::string> damage;
    try {
      damage = state_store_damage(db);
    } catch (const std::exception&) {
      return out;  // unreadable for another reason: opening it says why, in the run's errors
    }
    if (!damage) return out;
    out.damaged = *damage;
    try {
      out.moved_to = path_text(move_state_store_aside(db, file_stamp(now)));
    } catch (const std::exception& e) {
      out.damaged += "; moving it aside failed: " + std::string(e.what());
      return out;
    }
  }
  // Gone: earlier runs' reports say whether there was one, and what it held of the windows.
  const auto reports = load_reports(config, machine.files, {});
  if (reports.empty()) return out;  // a first run: nothing was lost
  out.missing = out.damaged.empty();
  out.lost = lost;
  if (windows) {
    try {
      out.restored = restore_windows(config, reports, *open_sqlite_window_store(db));
    } catch (const std::exception& e) {
      out.lost += std::string(out.lost.empty() ? "" : "; ") + "the windows could not be rebuilt (" +
                  e.what() + ")";
    }
  }
  // A lost store of a config that keeps only alerts or counters there is worth saying only
  // when something was in it; with windows, always.
  if (out.missing && out.restored.empty() && !any_stage(config, has_quarantine) && !config.notify) {
    out.missing = false;
  }
  return out;
}

}  // namespace pipeline
