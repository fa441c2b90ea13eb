// The real file system against what only POSIX offers a test: a device that is always full.
// (The full-disk cases of every platform are the e2e tests' small file systems.)
#include <catch2/catch.hpp>

#include "platform/real_file_system.hpp"

using namespace pipeline;

TEST_CASE("an append to a full device fails whole and says why", "[fs]") {
  RealFileSystem files;
  auto full = files.open_append("/dev/full");
  CHECK_FALSE(full->append("{}\n"));
  CHECK_THAT(full->error(), Catch::Contains("No space left"));
}
