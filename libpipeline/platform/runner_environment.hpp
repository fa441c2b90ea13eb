#pragma once
/// Facts about the runner's own process: its environment, host name and pid.

#include <cstdint>
#include <map>
#include <string>

namespace pipeline {

std::map<std::string, std::string> current_environment();
std::string host_name();
std::int64_t current_pid();

}  // namespace pipeline
