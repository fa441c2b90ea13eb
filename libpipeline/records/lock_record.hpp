#pragma once
/// What the run lock file says about its holder (SPEC 7): written when the lock is taken,
/// updated with the identity of the running stage's processes, and read back by the next run
/// (to recover after a holder that died) or by one that finds the lock taken (to say who has
/// it). The file is written by another process, which may have died mid-write: reading it
/// never throws.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pipeline {

struct LockOwner {
  std::int64_t pid = 0;
  std::string host;
  std::string run_id;      ///< "" for a command that is not a run (`history rebuild`)
  std::string started_at;  ///< RFC 3339
  std::string command;     ///< what holds it, when it is not a run
  /// The running stage's process identities (ProcessSpec::on_started); empty between stages.
  std::vector<std::string> stage_processes;
};

/// {pid, host, run_id, started_at, stage_processes} for a run; {pid, host, command} otherwise.
nlohmann::json lock_owner_to_json(const LockOwner& owner);
std::string lock_owner_to_text(const LockOwner& owner);

/// The owner in a lock file's text; nullopt when it is not a JSON object. Fields of the wrong
/// type read as absent.
std::optional<LockOwner> lock_owner_from_text(std::string_view text);

/// "run R, pid P on H, since T", or "owner unknown".
std::string describe(const std::optional<LockOwner>& owner);

}  // namespace pipeline
