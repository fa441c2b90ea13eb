#include <algorithm>
#include <catch2/catch.hpp>

#include "core/glob.hpp"
#include "fakes/fake_file_system.hpp"

using namespace pipeline;
using pipeline::testing::FakeFileSystem;

TEST_CASE("segment patterns", "[glob]") {
  CHECK(glob_match_segment("*.csv", "a.csv"));
  CHECK(glob_match_segment("*.csv", ".csv"));
  CHECK_FALSE(glob_match_segment("*.csv", "a.csv.tmp"));
  CHECK(glob_match_segment("a?c", "abc"));
  CHECK_FALSE(glob_match_segment("a?c", "ac"));
  CHECK(glob_match_segment("[ab]*", "beta"));
  CHECK_FALSE(glob_match_segment("[!ab]*", "beta"));
  CHECK(glob_match_segment("[a-c]x", "bx"));
  CHECK(glob_match_segment("*_*_*.csv", "EUR_2025_01.csv"));
  CHECK(glob_match_segment("[", "["));  // unclosed bracket is literal
  CHECK(glob_match_segment("**", "anything"));
}

TEST_CASE("glob walks folders - skips hidden names and folders", "[glob]") {
  FakeFileSystem files;
  files.add_file("/r/raw/b.csv");
  files.add_file("/r/raw/a.csv");
  files.add_file("/r/raw/.hidden.csv");
  files.add_file("/r/raw/notes.txt");
  files.add_file("/r/raw/sub/c.csv");
  files.create_directories("/r/raw/dir.csv");
  auto hits = glob_files(files, "/r/raw/*.csv");
  CHECK(hits == std::vector<std::string>{"/r/raw/a.csv", "/r/raw/b.csv"});
  CHECK(glob_files(files, "/r/*/sub/*.csv") == std::vector<std::string>{"/r/raw/sub/c.csv"});
  CHECK(glob_files(files, "/r/**/*.csv").size() == 3);
  CHECK(glob_files(files, "/r/raw/.*.csv") == std::vector<std::string>{"/r/raw/.hidden.csv"});
  CHECK(glob_files(files, "/r/raw/notes.txt") == std::vector<std::string>{"/r/raw/notes.txt"});
  CHECK(glob_files(files, "/nowhere/*.csv").empty());
  // Matches are spelt as their folder, one separator and the name, at the top as well.
  files.add_file("/top.csv");
  CHECK(glob_files(files, "/*.csv") == std::vector<std::string>{"/top.csv"});
  CHECK(glob_files(files, "/r/raw/**/c.csv") == std::vector<std::string>{"/r/raw/sub/c.csv"});
}

TEST_CASE("glob takes regular files only - links to nowhere and unlistable folders are warnings",
          "[glob][hostile]") {
  FakeFileSystem files;
  files.add_file("/r/raw/good.csv");
  files.add_special("/r/raw/pipe.csv", FileKind::kOther);   // a FIFO: never an input
  files.add_special("/r/raw/gone.csv", FileKind::kBroken);  // a dangling symlink
  files.add_special("/r/raw/loop.csv", FileKind::kBroken);  // a symlink loop
  files.add_file("/r/deep/a/x.csv");
  files.add_file("/r/deep/locked/y.csv");
  files.fail_listing("/r/deep/locked");
  std::vector<std::string> warnings;
  CHECK(glob_files(files, "/r/raw/*.csv", &warnings) ==
        std::vector<std::string>{"/r/raw/good.csv"});
  REQUIRE(warnings.size() == 3);  // the broken links, and the FIFO someone may look for
  std::sort(warnings.begin(), warnings.end());
  CHECK_THAT(warnings[0], Catch::Contains("gone.csv") && Catch::Contains("dangling symlink"));
  CHECK_THAT(warnings[1], Catch::Contains("loop.csv") && Catch::Contains("symlink loop"));
  CHECK_THAT(warnings[2], Catch::Contains("pipe.csv") && Catch::Contains("not a regular file"));
  // A literal name goes through stat: a FIFO is not a file, a dangling link does not exist.
  CHECK(glob_files(files, "/r/raw/pipe.csv").empty());
  warnings.clear();
  CHECK(glob_files(files, "/r/deep/**/*.csv", &warnings) ==
        std::vector<std::string>{"/r/deep/a/x.csv"});
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("/r/deep/locked") && Catch::Contains("passed over"));
}
