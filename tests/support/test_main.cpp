#define CATCH_CONFIG_RUNNER
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>

#include "platform/runner_environment.hpp"
#include "util/time_zone.hpp"

int main(int argc, char* argv[]) {
  spdlog::set_level(spdlog::level::off);  // the run log is not what tests look at
  pipeline::set_program_folder(pipeline::own_executable().parent_path());  // zone data (Windows)
  return Catch::Session().run(argc, argv);
}
