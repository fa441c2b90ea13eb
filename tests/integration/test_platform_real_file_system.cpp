#include <catch2/catch.hpp>

#include "platform/real_file_system.hpp"
#include "records/file_mover.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

using namespace pipeline;
using namespace pipeline::testing;

TEST_CASE("write_atomic replaces whole files and leaves no temporary behind", "[fs]") {
  TempDir dir;
  RealFileSystem files;
  files.write_atomic(dir / "r.json", "one");
  files.write_atomic(dir / "r.json", "two");
  CHECK(slurp(dir / "r.json") == "two");
  CHECK(files.list_dir(dir.path()).size() == 1);
  CHECK_THROWS_AS(files.write_atomic(dir / "no" / "r.json", "x"), FileError);
}

TEST_CASE("a rename never replaces a target - remove and stat report plainly", "[fs]") {
  TempDir dir;
  RealFileSystem files;
  write_file(dir / "a", "A");
  write_file(dir / "b", "B");
  CHECK_THROWS_WITH(files.rename_no_replace(dir / "a", dir / "b"), Catch::Contains("exists"));
  CHECK(slurp(dir / "a") == "A");
  CHECK(files.rename_no_replace(dir / "a", dir / "c"));
  CHECK_FALSE(files.exists(dir / "a"));
  CHECK(files.stat(dir / "c")->size == 1);
  files.remove(dir / "c");
  CHECK_THROWS_AS(files.remove(dir / "c"), FileError);
  CHECK(files.list_dir(dir / "missing").empty());
}

TEST_CASE("appends are whole records", "[fs]") {
  TempDir dir;
  RealFileSystem files;
  auto f = files.open_append(dir / "e.jsonl");
  CHECK(f->append("{}\n"));
  CHECK(f->append("{}\n"));
  CHECK(slurp(dir / "e.jsonl") == "{}\n{}\n");
}

TEST_CASE("a move to another device copies completely - then removes the original", "[fs]") {
  TempDir dir;
  RealFileSystem files;
  const fs::path other_device = "/dev/shm";
  std::error_code ec;
  if (!fs::is_directory(other_device, ec)) {
    WARN("no /dev/shm here: the cross-device move is not exercised");
    return;
  }
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 251);
  write_file(dir / "big.bin", big);
  fs::path target = other_device / ("pipeline-move-test-" + dir.path().filename().string());
  FileMover mover(files, dir / "journal");
  mover.move(dir / "big.bin", target);
  CHECK_FALSE(files.exists(dir / "big.bin"));
  CHECK(slurp(target) == big);
  fs::remove(target, ec);
}
