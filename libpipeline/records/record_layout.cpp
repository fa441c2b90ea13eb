#include "records/record_layout.hpp"

#include "config/config.hpp"
#include "util/paths.hpp"
#include "util/run_id.hpp"

namespace pipeline {

namespace {
constexpr std::string_view kReportPrefix = "pipeline_report_";
constexpr std::string_view kReportSuffix = ".json";
constexpr std::size_t kStampLength = 16;  // YYYYMMDD_HHMMSS_
constexpr std::size_t kRunIdLength = 36;
}  // namespace

RecordLayout::RecordLayout(const Config& config) : RecordLayout(config.logs, config.state) {}

fs::path RecordLayout::run_log(const std::string& run_id, TimePoint started_at) const {
  return logs_ / path_from_text("pipeline_" + file_stamp(started_at) + "_" + run_id + ".log");
}

fs::path RecordLayout::event_log(const std::string& run_id) const {
  return events_dir() / path_from_text("pipeline_" + run_id + ".jsonl");
}

fs::path RecordLayout::report(const std::string& run_id, TimePoint started_at) const {
  return reports_dir() / path_from_text(std::string(kReportPrefix) + file_stamp(started_at) + "_" +
                                        run_id + ".json");
}

fs::path RecordLayout::stage_logs(const std::string& run_id, const std::string& batch) const {
  fs::path dir = stage_logs_root() / path_from_text(run_id);
  if (!batch.empty()) dir /= path_from_text(batch);
  return dir;
}

fs::path RecordLayout::stage_output(const fs::path& stage_logs, const std::string& stage,
                                    int attempt, std::string_view stream) {
  std::string suffix = attempt == 1 ? "" : ".attempt" + std::to_string(attempt);
  return stage_logs / path_from_text(stage + suffix + "." + std::string(stream) + ".log");
}

fs::path RecordLayout::lifecycle_list(const std::string& run_id) const {
  return stage_logs_root() / path_from_text(run_id) / "lifecycle.jsonl";
}

fs::path RecordLayout::inputs_file(const fs::path& stage_logs, const std::string& stage) {
  return stage_logs / path_from_text(stage + ".inputs");
}

fs::path RecordLayout::inputs_fallback(const std::string& run_id, const std::string& stage) const {
  return inputs_fallback_root() / path_from_text(run_id) / path_from_text(stage + ".inputs");
}

std::optional<std::string> RecordLayout::run_id_of_report(std::string_view name) {
  if (name.size() != kReportPrefix.size() + kStampLength + kRunIdLength + kReportSuffix.size()) {
    return std::nullopt;
  }
  if (name.substr(0, kReportPrefix.size()) != kReportPrefix) return std::nullopt;
  return run_id_in_name(name, kReportSuffix);
}

std::optional<std::string> RecordLayout::run_id_in_name(std::string_view name,
                                                        std::string_view ext) {
  if (name.size() < kRunIdLength + ext.size() + 1) return std::nullopt;
  if (name.substr(name.size() - ext.size()) != ext) return std::nullopt;
  std::string id(name.substr(name.size() - ext.size() - kRunIdLength, kRunIdLength));
  if (name[name.size() - ext.size() - kRunIdLength - 1] != '_' || !is_run_id(id)) {
    return std::nullopt;
  }
  return id;
}

}  // namespace pipeline
