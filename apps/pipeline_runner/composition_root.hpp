#pragma once
/// The composition root: the only place where the real platform services are built.

namespace pipeline_app {

/// Builds the real file system, clock, supervisor and lock, and hands over to cli_main.
int run(int argc, char** argv);

}  // namespace pipeline_app
