// The crash-point test (SPEC 14, issue 8): a batch run is killed with SIGKILL at its N-th
// rename, unlink, fsync, fdatasync or write (strace's fault injection, the runner alone,
// not its stages), for every N until the run gets through; then the runner is simply run
// again. Whatever the moment, every batch ends archived exactly once, every file is in
// exactly one place with its bytes, and nothing is left for a later run. Once with the
// archive on the same file system (renames) and once on a tmpfs (journaled copies).
#include "support/e2e_posix.hpp"

using namespace pipeline::testing;

namespace {

const std::vector<std::string> kBatches = {"b1", "b2"};

void set_up(Project& p) {
  p.config(kBatchYaml + "stages:\n  - name: load\n    command: " +
           misbehave("\"--print\", \"${batch.id}\"") + "\n");
  for (const auto& b : kBatches) {
    write_file(p.dir / "in" / (b + "_units.csv"), b + " units\n");
    write_file(p.dir / "in" / (b + "_raw.csv"), b + " raw\n");
    json m = {{"batch_id", b},
              {"status", "READY_FOR_PROCESSING"},
              {"files", {{"units", "in/" + b + "_units.csv"}}},
              {"raw_data", {"in/" + b + "_raw.csv"}}};
    write_file(p.dir / "hot" / (b + "_MANIFEST.json"), m.dump());
  }
}

// Regular files under dir whose names do not start with '.', relative to dir.
std::vector<std::string> data_files(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') {
      out.push_back(fs::relative(e.path(), dir).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Files a move left half done (the cross-device journal and its copies) anywhere in the project.
std::vector<std::string> unfinished_moves(const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    std::string name = e.path().filename().string();
    if (name.find(".moving") != std::string::npos) out.push_back(e.path().string());
  }
  return out;
}

void check_settled(Project& p, int n) {
  INFO("killed at call " << n);
  // Every file once, where it belongs, with its bytes; the hot folder empty.
  CHECK(data_files(p.dir / "in").empty());
  CHECK(data_files(p.dir / "error").empty());
  std::vector<std::string> expected;
  for (const auto& b : kBatches) {
    for (const auto& f :
         {b + "/" + b + "_MANIFEST.json", b + "/" + b + "_raw.csv", b + "/" + b + "_units.csv"}) {
      expected.push_back(f);
    }
  }
  std::sort(expected.begin(), expected.end());
  CHECK(data_files(p.dir / "archive") == expected);
  for (const auto& b : kBatches) {
    CHECK(slurp(p.dir / "archive" / b / (b + "_units.csv")) == b + " units\n");
    CHECK(slurp(p.dir / "archive" / b / (b + "_raw.csv")) == b + " raw\n");
    json m = json::parse(slurp(p.dir / "archive" / b / (b + "_MANIFEST.json")));
    CHECK(m["status"] == "COMPLETED");
  }
  INFO("hot folder: " << json(data_files(p.dir / "hot")).dump());
  CHECK(data_files(p.dir / "hot").empty());
  CHECK(unfinished_moves(p.dir.path()).empty());
}

// Kills a fresh batch run at each call of `syscall` in turn; returns how many points there were.
int crash_at_every(const std::string& syscall, bool across_file_systems) {
  if (std::system("command -v strace >/dev/null 2>&1") != 0) {
    WARN("SKIPPED: strace is not installed (tools/install-deps.sh installs it)");
    return -1;
  }
  int points = 0;
  for (int n = 1; n <= 1000; ++n) {
    Project p;
    set_up(p);
    std::optional<Tmpfs> archive;
    if (across_file_systems) {
      archive.emplace(p.dir / "archive", "4m");
      if (!archive->mounted) {
        WARN("SKIPPED: cannot mount a tmpfs (not root?): the cross-device half did not run");
        return -1;
      }
    }
    p.wrapper = kill_at(syscall, n);
    p.env = kNoLeakCheckUnderPtrace;
    auto crashed = p.run("--run-once -q");
    p.wrapper.clear();
    p.env.clear();
    if (crashed.exit_code != 128 + SIGKILL) {
      // Fewer calls than n: the run went through untouched, so every point has been tried.
      INFO(syscall << " call " << n << ": " << crashed.err);
      CHECK(crashed.exit_code == 0);
      check_settled(p, n);
      break;
    }
    ++points;
    auto next = p.run("--run-once -q");
    INFO(syscall << " killed at call " << n << "; the next run said: " << next.err);
    CHECK(next.exit_code == 0);
    check_settled(p, n);
    auto idle = p.run("--run-once -q");
    CHECK(idle.exit_code == 0);
    CHECK(p.latest_report()["status"] == "idle");
  }
  return points;
}

}  // namespace

TEST_CASE("crash points: every rename of a batch run", "[e2e][crash]") {
  CHECK(crash_at_every("rename", false) != 0);
  CHECK(crash_at_every("renameat2", false) != 0);
}

TEST_CASE("crash points: every rename of a batch run across file systems", "[e2e][crash]") {
  CHECK(crash_at_every("rename", true) != 0);
  CHECK(crash_at_every("renameat2", true) != 0);
}

TEST_CASE("crash points: every unlink of a batch run", "[e2e][crash]") {
  CHECK(crash_at_every("unlink", false) != 0);
}

TEST_CASE("crash points: every unlink of a batch run across file systems", "[e2e][crash]") {
  CHECK(crash_at_every("unlink", true) != 0);
}

TEST_CASE("crash points: every fsync of a batch run", "[e2e][crash]") {
  CHECK(crash_at_every("fsync", false) != 0);
  CHECK(crash_at_every("fdatasync", false) != 0);
}

TEST_CASE("crash points: every fsync of a batch run across file systems", "[e2e][crash]") {
  CHECK(crash_at_every("fsync", true) != 0);
  CHECK(crash_at_every("fdatasync", true) != 0);
}

TEST_CASE("crash points: every write of a batch run", "[e2e][crash]") {
  CHECK(crash_at_every("write", false) != 0);
  CHECK(crash_at_every("pwrite64", false) != 0);
}

TEST_CASE("crash points: every write of a batch run across file systems", "[e2e][crash]") {
  CHECK(crash_at_every("write", true) != 0);
  CHECK(crash_at_every("pwrite64", true) != 0);
}
