// The failures in a row of the inputs of stages with quarantine (SPEC 12) on real SQLite,
// and the in-memory store the unit tests use held to the same rules.
#include <catch2/catch.hpp>

#include "fakes/fake_input_failure_store.hpp"
#include "records/sqlite_state.hpp"
#include "support/temp_dir.hpp"

using namespace pipeline;
using pipeline::testing::FakeInputFailureStore;
using pipeline::testing::TempDir;

namespace {

InputFailures failing(const std::string& stage, const std::string& path, int failures) {
  InputFailures row;
  row.stage = stage;
  row.path = path;
  row.size = 1234;
  row.mtime_ns = 1'700'000'000'123'456'789;
  row.failures = failures;
  for (int i = 1; i <= failures; ++i) row.runs.push_back("run-" + std::to_string(i));
  row.error = "exit 3 \xe2\x80\x94 bad row";
  return row;
}

void check_same(const InputFailures& a, const InputFailures& b) {
  CHECK(a.stage == b.stage);
  CHECK(a.path == b.path);
  CHECK(a.size == b.size);
  CHECK(a.mtime_ns == b.mtime_ns);
  CHECK(a.failures == b.failures);
  CHECK(a.runs == b.runs);
  CHECK(a.error == b.error);
}

// The rules every InputFailureStore keeps.
void store_rules(InputFailureStore& s) {
  CHECK_FALSE(s.get("each", "/d/b.csv"));
  s.put(failing("each", "/d/b.csv", 1));
  s.put(failing("other", "/d/b.csv", 2));  // per stage
  auto one = s.get("each", "/d/b.csv");
  REQUIRE(one);
  check_same(*one, failing("each", "/d/b.csv", 1));
  s.put(failing("each", "/d/b.csv", 2));  // replaced, not added
  check_same(*s.get("each", "/d/b.csv"), failing("each", "/d/b.csv", 2));
  s.erase("each", "/d/b.csv");
  CHECK_FALSE(s.get("each", "/d/b.csv"));
  CHECK(s.get("other", "/d/b.csv"));
  s.erase("each", "/d/never-kept.csv");  // nothing to erase is not an error
}

}  // namespace

TEST_CASE("input failures: the fake keeps the store's rules", "[state][quarantine]") {
  FakeInputFailureStore fake;
  store_rules(fake);
}

TEST_CASE("input failures: SQLite keeps the rules, and what it kept after a reopen",
          "[state][quarantine]") {
  TempDir dir;
  const auto db = dir / "state.db";
  store_rules(*open_sqlite_input_failures(db));
  auto again = open_sqlite_input_failures(db);
  REQUIRE(again->get("other", "/d/b.csv"));
  check_same(*again->get("other", "/d/b.csv"), failing("other", "/d/b.csv", 2));
  // The same file holds the windows and the alerts: one store, one schema.
  CHECK_NOTHROW(open_sqlite_window_store(db));
}
