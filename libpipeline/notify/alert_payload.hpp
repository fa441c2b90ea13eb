#pragma once
/// What an alert says (SPEC 9): the JSON payload `pipeline_runner.notify/1` that a webhook
/// receives, a command finds in PIPELINE_NOTIFY_JSON and a mail carries, and the mail's
/// subject and text for people.

#include <nlohmann/json.hpp>
#include <string>

#include "notify/alert_policy.hpp"
#include "records/run_report.hpp"

namespace pipeline {

/// Lines of a failing stage's stderr an alert carries.
inline constexpr std::size_t kAlertStderrLines = 20;

/// {schema, event, pipeline, host, run_id, status, exit_code, started_at, duration_ms,
///  streak {since_run_id, since, failed_runs}, stages [{name, batch?, status, reason,
///  stderr_tail}], errors, report}: the stages that ran, each with why it ended.
nlohmann::json alert_payload(const Alert& alert, const RunReport& run, const std::string& report);

/// "[pipeline_runner] sales: failure on host1 (3 failed runs since 2026-11-02T10:15:00Z)"
std::string alert_subject(const nlohmann::json& payload);
/// The payload for people: what happened, which stages, their stderr, where the report is.
std::string alert_text(const nlohmann::json& payload);

}  // namespace pipeline
