#pragma once
/// The state store in SQLite (`state/state.db`): what only the runner knows and no report can
/// rebuild: the outbox of alerts not delivered yet (SPEC 9), the run counters of the metrics
/// (SPEC 10), the state of every time window (SPEC 11) and the failures in a row of the
/// inputs of stages with quarantine (SPEC 12). Every change is synced
/// before it returns: an alert kept is kept through a crash or a power cut.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ports/alert_outbox.hpp"
#include "ports/input_failures.hpp"
#include "ports/window_store.hpp"

namespace pipeline {

/// Opens (creating when missing) the store at db; throws std::runtime_error with the reason
/// when it cannot be used (not a database, another schema, a full disk).
std::unique_ptr<AlertOutbox> open_sqlite_outbox(const std::filesystem::path& db);

/// The time windows of the windowed stages (SPEC 11), in the same store; throws
/// std::runtime_error when it cannot be used.
std::unique_ptr<WindowStore> open_sqlite_window_store(const std::filesystem::path& db);

/// The consecutive failures of the inputs of stages with `quarantine` (SPEC 12), in the same
/// store; throws std::runtime_error when it cannot be used.
std::unique_ptr<InputFailureStore> open_sqlite_input_failures(const std::filesystem::path& db);

/// Why the store at db (which exists) is damaged beyond use: not a database, another schema,
/// pages that SQLite's quick_check finds broken; nullopt when it is whole. Throws
/// std::runtime_error when it cannot be read for another reason (permissions, a lock), which
/// moving it aside would not mend.
std::optional<std::string> state_store_damage(const std::filesystem::path& db);

/// Moves a damaged store (and its WAL) aside to `<db>.damaged-<stamp>`, kept for a post-mortem;
/// returns where. Throws std::filesystem::filesystem_error when it cannot.
std::filesystem::path move_state_store_aside(const std::filesystem::path& db,
                                             const std::string& stamp);

/// Counts one more run of `status` in the store's run counters and returns them all: counters
/// that only grow (pipeline_runner_runs_total), which retention pruning the history cannot
/// lower. A store without counters starts from `seed` (the history's counts, this run
/// included). Throws std::runtime_error when the store cannot be used.
std::map<std::string, std::uint64_t> count_run(const std::filesystem::path& db,
                                               const std::string& status,
                                               const std::map<std::string, std::size_t>& seed);

}  // namespace pipeline
