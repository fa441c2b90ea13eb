#pragma once
/// The Prometheus textfile (SPEC 10) for node_exporter's textfile collector: the status as
/// gauges, every series labelled with the pipeline, in the text exposition format 0.0.4.

#include <cstdint>
#include <map>
#include <string>

#include "app/pipeline_status.hpp"
#include "config/config.hpp"

namespace pipeline {

/// The file's text. runs_total: runs by status, counted for ever (records/sqlite_state).
std::string metrics_text(const PipelineStatus& status, const Config& config,
                         const std::map<std::string, std::uint64_t>& runs_total);

/// A label value escaped for the exposition format (\\, \", \n).
std::string prometheus_label(const std::string& value);

}  // namespace pipeline
