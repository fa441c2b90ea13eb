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
/// An alert stays a size every receiver takes (a chat webhook, a mail server): at most this
/// many stages (those that did not succeed first), each stderr line and each error cut to
/// this many bytes, at most this many errors; what is left out is counted ("and N more"),
/// and the report has it all. Under 64 KiB in all.
inline constexpr std::size_t kAlertStages = 10;
inline constexpr std::size_t kAlertLineBytes = 240;
inline constexpr std::size_t kAlertErrors = 10;

/// {schema, event, pipeline, host, run_id, status, exit_code, started_at, duration_ms,
///  streak {since_run_id, since, failed_runs}, stages [{name, batch?, status, reason,
///  stderr_tail}], stages_left_out, errors, errors_left_out, report}: the stages that ran,
///  each with why it ended, within the bounds above.
nlohmann::json alert_payload(const Alert& alert, const RunReport& run, const std::string& report);

/// "[pipeline_runner] sales: failure on host1 (3 failed runs since 2026-11-02T10:15:00Z)"
std::string alert_subject(const nlohmann::json& payload);
/// The payload for people: what happened, which stages, their stderr, where the report is.
std::string alert_text(const nlohmann::json& payload);

}  // namespace pipeline
