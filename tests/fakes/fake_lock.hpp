#pragma once
/// In-memory OS locks: a FakeLocks hands out RunLocks that exclude each other per path, as
/// flock does between processes, so claim races can be played out in one test.

#include <memory>
#include <set>

#include "ports/run_lock.hpp"

namespace pipeline::testing {

class FakeLocks {
 public:
  class Lock final : public RunLock {
   public:
    Lock(FakeLocks& owner, std::filesystem::path path) : owner_(owner), path_(std::move(path)) {}
    ~Lock() override { release(); }
    bool acquire(Millis, Clock&, const std::string& owner) override {
      if (!owner_.held.insert(path_).second) return false;
      held_ = true;
      record_ = owner;
      return true;
    }
    std::string holder() const override { return record_; }
    const std::string& previous_owner() const override { return previous_; }
    void update(const std::string& owner) override { record_ = owner; }
    void release() override {
      if (held_) owner_.held.erase(path_);
      held_ = false;
    }

   private:
    FakeLocks& owner_;
    std::filesystem::path path_;
    std::string record_, previous_;
    bool held_ = false;
  };

  std::function<std::unique_ptr<RunLock>(const std::filesystem::path&)> factory() {
    return [this](const std::filesystem::path& p) { return std::make_unique<Lock>(*this, p); };
  }

  std::set<std::filesystem::path> held;  ///< paths locked right now
};

}  // namespace pipeline::testing
