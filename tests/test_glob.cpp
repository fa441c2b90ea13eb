#include <catch2/catch.hpp>

#include "fakes/fake_file_system.hpp"
#include "glob.hpp"

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
  CHECK(hits == std::vector<fs::path>{"/r/raw/a.csv", "/r/raw/b.csv"});
  CHECK(glob_files(files, "/r/*/sub/*.csv") == std::vector<fs::path>{"/r/raw/sub/c.csv"});
  CHECK(glob_files(files, "/r/**/*.csv").size() == 3);
  CHECK(glob_files(files, "/r/raw/.*.csv") == std::vector<fs::path>{"/r/raw/.hidden.csv"});
  CHECK(glob_files(files, "/r/raw/notes.txt") == std::vector<fs::path>{"/r/raw/notes.txt"});
  CHECK(glob_files(files, "/nowhere/*.csv").empty());
}
