#pragma once
/// How often each input of a `foreach: input` stage with `quarantine` has failed in a row
/// (SPEC 12), kept where later runs find it. An input is its path, as it was: a file whose
/// size or mtime changed since (a fixed file) starts again from zero.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pipeline {

struct InputFailures {
  std::string stage;
  std::string path;  ///< absolute, as the stage was given it
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  int failures = 0;               ///< consecutive runs whose item of it failed
  std::vector<std::string> runs;  ///< those runs' ids, oldest first
  std::string error;              ///< why its last item failed
};

class InputFailureStore {
 public:
  virtual ~InputFailureStore() = default;
  virtual std::optional<InputFailures> get(const std::string& stage, const std::string& path) = 0;
  /// Writes the row (durably, once this returns).
  virtual void put(const InputFailures& row) = 0;
  virtual void erase(const std::string& stage, const std::string& path) = 0;
};

}  // namespace pipeline
