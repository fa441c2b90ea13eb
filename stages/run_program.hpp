#pragma once
// Runs another program from a stage, without a shell, and waits for it. One file per
// platform: run_program_posix.cpp (posix_spawnp), run_program_win32.cpp (CreateProcessW).

#include <optional>
#include <string>
#include <vector>

namespace stage {

/// Runs argv[0] (looked up in PATH) with the arguments argv[1..], with this stage's
/// environment, stdin, stdout and stderr; returns its exit code (128 + N when signal N ended
/// it), or nothing when it could not be started or waited for.
std::optional<int> run_program(const std::vector<std::string>& argv);

}  // namespace stage
