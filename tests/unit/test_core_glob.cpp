#include <algorithm>
#include <catch2/catch.hpp>

#include "core/glob.hpp"
#include "fakes/fake_file_system.hpp"
#include "support/abs_path.hpp"

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
  files.add_file("/r/raw/b.csv"_abs);
  files.add_file("/r/raw/a.csv"_abs);
  files.add_file("/r/raw/.hidden.csv"_abs);
  files.add_file("/r/raw/notes.txt"_abs);
  files.add_file("/r/raw/sub/c.csv"_abs);
  files.create_directories("/r/raw/dir.csv"_abs);
  auto hits = glob_files(files, "/r/raw/*.csv"_abs);
  CHECK(hits == std::vector<std::string>{"/r/raw/a.csv"_abs, "/r/raw/b.csv"_abs});
  CHECK(glob_files(files, "/r/*/sub/*.csv"_abs) ==
        std::vector<std::string>{"/r/raw/sub/c.csv"_abs});
  CHECK(glob_files(files, "/r/**/*.csv"_abs).size() == 3);
  CHECK(glob_files(files, "/r/raw/.*.csv"_abs) ==
        std::vector<std::string>{"/r/raw/.hidden.csv"_abs});
  CHECK(glob_files(files, "/r/raw/notes.txt"_abs) ==
        std::vector<std::string>{"/r/raw/notes.txt"_abs});
  CHECK(glob_files(files, "/nowhere/*.csv"_abs).empty());
  // Matches are spelt as their folder, one separator and the name, at the top as well.
  files.add_file("/top.csv");
  CHECK(glob_files(files, "/*.csv") == std::vector<std::string>{"/top.csv"});
  CHECK(glob_files(files, "/r/raw/**/c.csv"_abs) ==
        std::vector<std::string>{"/r/raw/sub/c.csv"_abs});
}

TEST_CASE("glob takes regular files only - links to nowhere and unlistable folders are warnings",
          "[glob][hostile]") {
  FakeFileSystem files;
  files.add_file("/r/raw/good.csv"_abs);
  files.add_special("/r/raw/pipe.csv"_abs, FileKind::kOther);   // a FIFO: never an input
  files.add_special("/r/raw/gone.csv"_abs, FileKind::kBroken);  // a dangling symlink
  files.add_special("/r/raw/loop.csv"_abs, FileKind::kBroken);  // a symlink loop
  files.add_file("/r/deep/a/x.csv"_abs);
  files.add_file("/r/deep/locked/y.csv"_abs);
  files.fail_listing("/r/deep/locked"_abs);
  std::vector<std::string> warnings;
  CHECK(glob_files(files, "/r/raw/*.csv"_abs, &warnings) ==
        std::vector<std::string>{"/r/raw/good.csv"_abs});
  REQUIRE(warnings.size() == 3);  // the broken links, and the FIFO someone may look for
  std::sort(warnings.begin(), warnings.end());
  CHECK_THAT(warnings[0], Catch::Contains("gone.csv") && Catch::Contains("dangling symlink"));
  CHECK_THAT(warnings[1], Catch::Contains("loop.csv") && Catch::Contains("symlink loop"));
  CHECK_THAT(warnings[2], Catch::Contains("pipe.csv") && Catch::Contains("not a regular file"));
  // A literal name goes through stat: a FIFO is not a file, a dangling link does not exist.
  CHECK(glob_files(files, "/r/raw/pipe.csv"_abs).empty());
  warnings.clear();
  CHECK(glob_files(files, "/r/deep/**/*.csv"_abs, &warnings) ==
        std::vector<std::string>{"/r/deep/a/x.csv"_abs});
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("/r/deep/locked"_abs) && Catch::Contains("passed over"));
}
