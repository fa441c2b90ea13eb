#pragma once
/// The audit report's JSON form (schema pipeline_runner.report/1), written and read back.

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "records/run_report.hpp"
#include "util/redact.hpp"
#include "util/version.hpp"

namespace pipeline {

inline constexpr const char* kReportSchema = "pipeline_runner.report/1";

nlohmann::json report_to_json(const RunReport& report);

/// Reads back what report_to_json wrote: the one reader of schema /1. Throws ReportError,
/// naming the field ("stages[1].attempts[0].exit_code: expected a number"), for anything
/// else: another schema, a missing or mistyped field, a time or status it does not know.
/// A field that says only "nothing happened" (a false flag, no error, an empty list) may be
/// absent, as in a report an older runner of the same schema wrote; when present it is
/// checked like any other.
RunReport report_from_json(const nlohmann::json& j);

/// The report with every secret replaced by its name (SPEC 9), in every field: what is
/// written, recorded and sent.
RunReport redacted_report(const RunReport& report, const Redactor& redact);

class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A stage's decision: {run, reason} and its warnings when there are any.
nlohmann::json decision_to_json(const StageDecision& decision);

/// A windowed stage's standing as every record shows it: {stage, watermark, open, next_due}.
nlohmann::json window_summary_to_json(const WindowSummary& summary);

/// Serialises JSON we write to disk: invalid UTF-8 is replaced, never thrown on.
std::string dump_json(const nlohmann::json& j, int indent = -1);

}  // namespace pipeline
