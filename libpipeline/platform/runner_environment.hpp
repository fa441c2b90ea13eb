#pragma once
/// Facts about the runner's own process: its environment, host name and pid, its own path,
/// its user, and the scheduler of the OS it runs on.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace pipeline {

/// The runner's own arguments as UTF-8. On Windows main's argv is in the ANSI code page (a
/// config path outside it arrives as '?'), so they are read again from the wide command line.
std::vector<std::string> command_line_arguments(int argc, char** argv);
/// Standard input, output and error open, on the null device where the runner was started
/// without them (cron with `>&-`, a daemon that closed them): else the first files the runner
/// opens take their numbers, and what it prints lands in its own records. First thing in main.
void open_standard_streams();
/// Console output as UTF-8 (Windows: the console's code page; elsewhere nothing to do).
void use_utf8_console();
std::map<std::string, std::string> current_environment();
std::string host_name();
std::int64_t current_pid();
/// The absolute path of the running program (empty if the OS does not say).
std::filesystem::path own_executable();
/// The name of the user the runner runs as (on Windows DOMAIN\\user).
std::string user_name();
/// The scheduler that starts programs on this machine: "systemd" where systemd is running,
/// else "cron"; "windows" on Windows.
std::string native_scheduler();

}  // namespace pipeline
