#include "composition_root.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

#include "cli.hpp"
#include "real_file_system.hpp"
#include "real_process_supervisor.hpp"
#include "runner_environment.hpp"
#include "stop_signals.hpp"

namespace pipeline_app {

int run(int argc, char** argv) {
  using namespace pipeline;
  install_stop_handlers();
  RealFileSystem files;
  SystemClock clock(stop_flag());
  RealProcessSupervisor supervisor(stop_flag(), [] { spdlog::default_logger()->flush(); });
  Platform platform{
      files,
      clock,
      supervisor,
      [](const fs::path& p) { return std::make_unique<FileRunLock>(p); },
      current_environment(),
      &stop_exit_code,
      host_name(),
      current_pid(),
      std::cout,
      std::cerr,
  };
  return cli_main(argc, argv, platform);
}

}  // namespace pipeline_app
