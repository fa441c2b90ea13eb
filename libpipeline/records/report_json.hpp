#pragma once
/// The audit report's JSON form (schema pipeline_runner.report/1), written and read back.

#include <nlohmann/json.hpp>
#include <string>

#include "records/run_report.hpp"

namespace pipeline {

inline constexpr const char* kReportSchema = "pipeline_runner.report/1";
inline constexpr const char* kRunnerVersion = "0.1.0";

nlohmann::json report_to_json(const RunReport& report);

/// A stage's decision: {run, reason} and its warnings when there are any.
nlohmann::json decision_to_json(const StageDecision& decision);

/// Serialises JSON we write to disk: invalid UTF-8 is replaced, never thrown on.
std::string dump_json(const nlohmann::json& j, int indent = -1);

}  // namespace pipeline
