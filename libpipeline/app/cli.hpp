#pragma once
/// The command line (SPEC section 2), as a library function so that tests can drive it.
/// The machine services are built by the composition root in apps/ and passed in.

#include "app/machine.hpp"

namespace pipeline {

/// Parses argv and runs the command; returns the process exit code. Never throws.
int cli_main(int argc, const char* const* argv, Machine& machine);

}  // namespace pipeline
