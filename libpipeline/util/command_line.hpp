#pragma once
/// A Windows command line from an argument list. Windows passes a program one string, which
/// its C runtime (CommandLineToArgvW's rules) splits back into arguments: each argument must
/// be quoted so that the split gives it back exactly, spaces, quotes and backslashes included.
/// Plain text, no OS call, so the rules are tested on every platform. (Boost.Process v2 has
/// such quoting inside its Windows launcher only; the runner's launcher and the stage programs
/// that start other programs both need it.)

#include <string>
#include <vector>

namespace pipeline {

/// The command line that gives back `argv` exactly. argv[0] is the program, quoted when it
/// holds a space or a tab (Windows parses it without escapes, and a path holds no quote).
/// Text in, text out: UTF-8 stays UTF-8 (the launcher widens it).
std::string windows_command_line(const std::vector<std::string>& argv);

}  // namespace pipeline
