#pragma once
/// An InputFailureStore in memory; `broken` makes every call throw, as a store that cannot
/// be written does.

#include <map>
#include <stdexcept>
#include <utility>

#include "ports/input_failures.hpp"

namespace pipeline::testing {

class FakeInputFailureStore final : public InputFailureStore {
 public:
  std::optional<InputFailures> get(const std::string& stage, const std::string& path) override {
    check();
    auto it = rows.find({stage, path});
    if (it == rows.end()) return std::nullopt;
    return it->second;
  }
  void put(const InputFailures& row) override {
    check();
    rows[{row.stage, row.path}] = row;
  }
  void erase(const std::string& stage, const std::string& path) override {
    check();
    rows.erase({stage, path});
  }

  std::map<std::pair<std::string, std::string>, InputFailures> rows;
  bool broken = false;

 private:
  void check() const {
    if (broken) throw std::runtime_error("state.db: disk I/O error");
  }
};

}  // namespace pipeline::testing
