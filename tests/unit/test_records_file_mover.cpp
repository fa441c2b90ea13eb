// Moves that never leave a file in two places, on the fake file system with a second device.
#include <catch2/catch.hpp>

#include "fakes/fake_file_system.hpp"
#include "records/file_mover.hpp"
#include "support/abs_path.hpp"
#include "util/error.hpp"

using namespace pipeline;
using pipeline::testing::FakeFileSystem;

namespace {

struct Disks {
  FakeFileSystem files;
  FileMover mover{files, "/r/state/moves"_abs};
  Disks() {
    files.add_device("/mnt/archive"_abs);
    files.create_directories("/mnt/archive"_abs);
    files.add_file("/r/in/a.csv"_abs, "payload", 42);
  }
  // What a dead run left: the journal entry of a move from /r/in/a.csv to /mnt/archive/a.csv.
  void journal() {
    files.add_file("/r/state/moves/x.move.json"_abs,
                   R"({"from": ")" + "/r/in/a.csv"_abs + R"(", "to": ")" +
                       "/mnt/archive/a.csv"_abs + R"(", "copy": ")" +
                       "/mnt/archive/.a.csv.moving"_abs + R"("})");
  }
};

}  // namespace

TEST_CASE("a move on one file system is a rename - across file systems a journaled copy",
          "[mover]") {
  Disks d;
  d.mover.move("/r/in/a.csv"_abs, "/r/done/../in/b.csv"_abs);
  CHECK(d.files.moved.size() == 1);
  CHECK(d.files.copied.empty());
  d.mover.move("/r/in/b.csv"_abs, "/mnt/archive/b.csv"_abs);
  CHECK(d.files.content("/mnt/archive/b.csv"_abs) == "payload");
  CHECK(d.files.stat("/mnt/archive/b.csv"_abs)->mtime_ns == 42);  // the copy keeps the time
  CHECK_FALSE(d.files.exists("/r/in/b.csv"_abs));
  CHECK_FALSE(d.files.exists("/mnt/archive/.b.csv.moving"_abs));
  CHECK(d.files.list_dir("/r/state/moves"_abs).empty());  // the journal entry is gone once done
  d.files.add_file("/r/in/c.csv"_abs, "c");
  d.files.add_file("/mnt/archive/c.csv"_abs, "other");
  CHECK_THROWS_WITH(d.mover.move("/r/in/c.csv"_abs, "/mnt/archive/c.csv"_abs),
                    Catch::Contains("exists"));
  CHECK(d.files.content("/mnt/archive/c.csv"_abs) == "other");
}

TEST_CASE("a copy that fails part way is rolled back at once", "[mover]") {
  Disks d;
  d.files.fail_on("/mnt/archive/.a.csv.moving"_abs, "No space left on device");
  CHECK_THROWS_WITH(d.mover.move("/r/in/a.csv"_abs, "/mnt/archive/a.csv"_abs),
                    Catch::Contains("No space left"));
  CHECK(d.files.content("/r/in/a.csv"_abs) == "payload");
  CHECK_FALSE(d.files.exists("/mnt/archive/a.csv"_abs));
  CHECK(d.files.list_dir("/r/state/moves"_abs).empty());
}

TEST_CASE("the next run settles a move the last one died in", "[mover]") {
  Disks d;
  d.journal();
  SECTION("died during the copy: the copy goes, the original stays") {
    d.files.add_file("/mnt/archive/.a.csv.moving"_abs, "pay", 1);
    auto lines = d.mover.recover();
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Contains("rolled back"));
    CHECK_FALSE(d.files.exists("/mnt/archive/.a.csv.moving"_abs));
    CHECK(d.files.content("/r/in/a.csv"_abs) == "payload");
  }
  SECTION("died between the copy and the removal: the original goes") {
    d.files.add_file("/mnt/archive/a.csv"_abs, "payload", 42);
    auto lines = d.mover.recover();
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Contains("finished"));
    CHECK_FALSE(d.files.exists("/r/in/a.csv"_abs));
    CHECK(d.files.content("/mnt/archive/a.csv"_abs) == "payload");
  }
  SECTION("a target that is not our copy: both stay") {
    d.files.add_file("/mnt/archive/a.csv"_abs, "someone else's", 7);
    auto lines = d.mover.recover();
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Contains("both in place"));
    CHECK(d.files.exists("/r/in/a.csv"_abs));
    CHECK(d.files.content("/mnt/archive/a.csv"_abs) == "someone else's");
  }
  SECTION("died after the removal: nothing left to do") {
    d.files.rename_no_replace("/r/in/a.csv"_abs, "/r/in/gone.csv"_abs);
    d.files.remove("/r/in/gone.csv"_abs);
    d.files.add_file("/mnt/archive/a.csv"_abs, "payload", 42);
    CHECK_THAT(d.mover.recover().at(0), Catch::Contains("was complete"));
  }
  CHECK(d.files.list_dir("/r/state/moves"_abs).empty());
  CHECK(d.mover.recover().empty());  // settled once
}
