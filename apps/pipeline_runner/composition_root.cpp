#include "composition_root.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "platform/curl_transport.hpp"
#include "platform/file_run_lock.hpp"
#include "platform/process_platform.hpp"
#include "platform/real_file_system.hpp"
#include "platform/runner_environment.hpp"
#include "platform/stop_signals.hpp"
#include "platform/system_clock.hpp"
#include "supervise/real_process_supervisor.hpp"
#include "util/paths.hpp"
#include "util/time_zone.hpp"

namespace pipeline_app {

int run(int argc, char** argv) {
  using namespace pipeline;
  open_standard_streams();
  install_stop_handlers();
  use_utf8_console();
  // Stage processes that leave their group (setsid, double fork) are re-parented to us, so
  // the supervisor can still find and end them.
  platform::become_child_subreaper();
  RealFileSystem files;
  SystemClock clock(stop_token());
  RealProcessSupervisor supervisor(stop_token(), [] { spdlog::default_logger()->flush(); });
  Machine machine{
      files,
      clock,
      supervisor,
      [](const fs::path& p) { return std::make_unique<FileRunLock>(p); },
      current_environment(),
      stop_token(),
      RunProcesses{&platform::processes_of_run, &platform::kill_process},
      host_name(),
      current_pid(),
      own_executable(),
      user_name(),
      native_scheduler(),
      [](const fs::path& ca_file) { return make_curl_transport(path_text(ca_file)); },
      std::cout,
      std::cerr,
  };
  set_program_folder(machine.executable.parent_path());  // Windows finds its zone data there
  const std::vector<std::string> args = command_line_arguments(argc, argv);
  std::vector<const char*> arg_pointers;
  arg_pointers.reserve(args.size());
  for (const auto& a : args) arg_pointers.push_back(a.c_str());
  return cli_main(static_cast<int>(arg_pointers.size()), arg_pointers.data(), machine);
}

}  // namespace pipeline_app
