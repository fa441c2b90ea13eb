// Windows command-line quoting, checked against the splitting rules of the Microsoft C
// runtime (CommandLineToArgvW since 2008), written out here independently of the quoting.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "util/command_line.hpp"

using pipeline::windows_command_line;

namespace {

// The C runtime's split. argv[0]: up to the first space or tab outside quotes, quotes
// dropped, no escapes. Then per argument: 2n backslashes before a quote give n and the quote
// opens or closes quoting; 2n+1 give n and a literal quote; "" inside quotes is a literal
// quote; other backslashes are literal; spaces and tabs outside quotes end the argument.
std::vector<std::string> split_like_windows(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  std::string program;
  bool quoted = false;
  for (; i < line.size() && (quoted || (line[i] != ' ' && line[i] != '\t')); ++i) {
    if (line[i] == '"') {
      quoted = !quoted;
    } else {
      program += line[i];
    }
  }
  out.push_back(program);
  while (true) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    std::string arg;
    quoted = false;
    while (i < line.size() && (quoted || (line[i] != ' ' && line[i] != '\t'))) {
      std::size_t backslashes = 0;
      while (i < line.size() && line[i] == '\\') {
        ++backslashes;
        ++i;
      }
      if (i < line.size() && line[i] == '"') {
        arg.append(backslashes / 2, '\\');
        if (backslashes % 2 == 1) {
          arg += '"';
        } else if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
          arg += '"';
          ++i;
        } else {
          quoted = !quoted;
        }
        ++i;
      } else {
        arg.append(backslashes, '\\');
        if (i < line.size() && (quoted || (line[i] != ' ' && line[i] != '\t'))) arg += line[i++];
      }
    }
    out.push_back(arg);
  }
  return out;
}

}  // namespace

TEST_CASE("a Windows command line quotes only what needs it", "[command_line]") {
  CHECK(windows_command_line({"prog.exe"}) == "prog.exe");
  CHECK(windows_command_line({"C:\\Program Files\\x.exe", "a"}) ==
        "\"C:\\Program Files\\x.exe\" a");
  CHECK(windows_command_line({"p", "plain", "C:\\dir\\file"}) == "p plain C:\\dir\\file");
  CHECK(windows_command_line({"p", ""}) == "p \"\"");
  CHECK(windows_command_line({"p", "a b"}) == "p \"a b\"");
  CHECK(windows_command_line({"p", "say \"hi\""}) == "p \"say \\\"hi\\\"\"");
  CHECK(windows_command_line({"p", "a\"b"}) == "p \"a\\\"b\"");
  CHECK(windows_command_line({"p", "dir with space\\"}) == "p \"dir with space\\\\\"");
  CHECK(windows_command_line({"p", "a\\\"b"}) == "p \"a\\\\\\\"b\"");
  CHECK(windows_command_line({"p", "a\\\\b c"}) == "p \"a\\\\b c\"");
}

TEST_CASE("every argument list comes back whole from the C runtime's split", "[command_line]") {
  // The characters the rules treat specially, a plain one, and UTF-8 (two bytes of é).
  const std::vector<std::string> alphabet = {"a", " ", "\t", "\"", "\\", "\xc3\xa9", "\n"};
  std::mt19937 rng(20261202);  // fixed: a failure is reproducible
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> length(0, 8);
  std::uniform_int_distribution<int> count(0, 4);
  for (int round = 0; round < 5000; ++round) {
    std::vector<std::string> argv = {round % 2 ? "C:\\Program Files\\stage.exe" : "stage"};
    for (int n = count(rng); n > 0; --n) {
      std::string arg;
      for (int k = length(rng); k > 0; --k) arg += alphabet[pick(rng)];
      argv.push_back(arg);
    }
    std::string line = windows_command_line(argv);
    INFO("command line: [" << line << "]");
    REQUIRE(split_like_windows(line) == argv);
  }
}
