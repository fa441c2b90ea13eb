#include "util/command_line.hpp"

namespace pipeline {
namespace {

// One argument after argv[0]: as it is when nothing in it needs quoting, else in quotes with
// each quote escaped, and a run of backslashes doubled where it comes before a quote (the
// escaped one, or the closing one); elsewhere backslashes mean themselves.
void append_argument(std::string& out, const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\n\v\"") == std::string::npos) {
    out += arg;
    return;
  }
  out += '"';
  std::size_t backslashes = 0;
  for (char c : arg) {
    if (c == '\\') {
      ++backslashes;
      continue;
    }
    if (c == '"') backslashes = backslashes * 2 + 1;
    out.append(backslashes, '\\');
    backslashes = 0;
    out += c;
  }
  out.append(backslashes * 2, '\\');
  out += '"';
}

}  // namespace

std::string windows_command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (i > 0) {
      out += ' ';
      append_argument(out, argv[i]);
    } else if (argv[0].empty() || argv[0].find_first_of(" \t") != std::string::npos) {
      out += '"' + argv[0] + '"';
    } else {
      out += argv[0];
    }
  }
  return out;
}

}  // namespace pipeline
