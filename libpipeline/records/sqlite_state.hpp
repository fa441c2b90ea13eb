#pragma once
/// The state store in SQLite (`state/state.db`): what only the runner knows and no report can
/// rebuild. Today the outbox of alerts not delivered yet (SPEC 9). Every change is synced
/// before it returns: an alert kept is kept through a crash or a power cut.

#include <filesystem>
#include <memory>

#include "ports/alert_outbox.hpp"

namespace pipeline {

/// Opens (creating when missing) the store at db; throws std::runtime_error with the reason
/// when it cannot be used (not a database, another schema, a full disk).
std::unique_ptr<AlertOutbox> open_sqlite_outbox(const std::filesystem::path& db);

}  // namespace pipeline
