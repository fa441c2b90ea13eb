#pragma once
/// One run at a time (SPEC 7): an OS lock on state/runner.lock held for the whole run, so a
/// runner that dies never leaves a lock behind. The file records who holds it.

#include <string>

#include "ports/clock.hpp"

namespace pipeline {

class RunLock {
 public:
  virtual ~RunLock() = default;
  /// Tries to take the lock, waiting up to `wait` (polling through clock); on success writes
  /// owner (a JSON object) into the lock file. False when another run holds it.
  virtual bool acquire(Millis wait, Clock& clock, const std::string& owner) = 0;
  /// What the lock file says about its holder (for the "held by" message).
  virtual std::string holder() const = 0;
  /// What the lock file held when acquire took it. A clean release empties the file, so
  /// anything here is the record of a run that died holding the lock.
  virtual const std::string& previous_owner() const = 0;
  /// Rewrites the owner record while the lock is held (the running stage's process group).
  virtual void update(const std::string& owner) = 0;
  virtual void release() = 0;
};

}  // namespace pipeline
