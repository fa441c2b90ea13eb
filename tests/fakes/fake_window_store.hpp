#pragma once
/// A WindowStore in memory, with the same rules as the SQLite one (the integration test runs
/// one suite on both), and a switch that makes every write fail, as a full disk would.

#include <map>
#include <stdexcept>
#include <tuple>

#include "ports/window_store.hpp"

namespace pipeline::testing {

class FakeWindowStore final : public WindowStore {
 public:
  std::optional<std::int64_t> known_until(const WindowKey& key) override {
    auto it = known_.find(id(key));
    if (it == known_.end()) return std::nullopt;
    return it->second;
  }
  void add(const WindowKey& key, const std::vector<std::pair<std::int64_t, std::int64_t>>& windows,
           std::int64_t until) override {
    check_write();
    auto& rows = rows_[id(key)];
    for (const auto& [start, end] : windows) {
      if (rows.count(start)) continue;
      WindowRow row;
      row.start = start;
      row.end = end;
      rows[start] = row;
    }
    known_[id(key)] = until;
  }
  std::vector<WindowRow> open(const WindowKey& key, std::size_t limit) override {
    std::vector<WindowRow> out;
    for (const auto& [start, row] : rows_[id(key)]) {
      if (out.size() == limit) break;
      if (row.state != WindowState::kSucceeded) out.push_back(row);
    }
    return out;
  }
  std::size_t open_count(const WindowKey& key, std::int64_t due_by) override {
    std::size_t n = 0;
    for (const auto& r : open(key, SIZE_MAX)) n += r.end <= due_by ? 1 : 0;
    return n;
  }
  std::vector<WindowRow> overlapping(const WindowKey& key, std::int64_t from,
                                     std::int64_t until) override {
    std::vector<WindowRow> out;
    for (const auto& [start, row] : rows_[id(key)]) {
      if (row.start < until && row.end > from) out.push_back(row);
    }
    return out;
  }
  void put(const WindowKey& key, const WindowRow& row) override {
    check_write();
    rows_[id(key)][row.start] = row;
    puts.push_back(row);
  }
  void restore(const WindowKey& key, const std::vector<WindowRow>& rows,
               std::int64_t until) override {
    check_write();
    for (const auto& row : rows) rows_[id(key)][row.start] = row;
    known_[id(key)] = until;
  }
  std::vector<WindowRow> reset(const WindowKey& key, std::int64_t from, std::int64_t until,
                               const std::string& by_run, std::int64_t now_ms) override {
    check_write();
    auto before = overlapping(key, from, until);
    for (const auto& r : before) {
      auto& row = rows_[id(key)][r.start];
      row.state = WindowState::kPending;
      row.run_id = by_run;
      row.updated_ms = now_ms;
      row.error.clear();
    }
    return before;
  }

  /// Every row kept for a stage (any grid), oldest first.
  std::vector<WindowRow> all(const std::string& stage) const {
    std::vector<WindowRow> out;
    for (const auto& [key, rows] : rows_) {
      if (key.first != stage) continue;
      for (const auto& [start, row] : rows) out.push_back(row);
    }
    return out;
  }

  bool fail_writes = false;
  std::vector<WindowRow> puts;  ///< every put, in order

 private:
  static std::pair<std::string, std::string> id(const WindowKey& k) { return {k.stage, k.grid}; }
  void check_write() const {
    if (fail_writes) throw std::runtime_error("database or disk is full");
  }
  std::map<std::pair<std::string, std::string>, std::map<std::int64_t, WindowRow>> rows_;
  std::map<std::pair<std::string, std::string>, std::int64_t> known_;
};

}  // namespace pipeline::testing
