#include "stage_common.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "platform/runner_environment.hpp"
#include "util/paths.hpp"

namespace stage {

std::string Args::require(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) throw StageError{kUsage, "missing required option --" + name};
  return it->second;
}

fs::path Args::path(const std::string& name) const {
  return pipeline::path_from_text(require(name));
}

long Args::number(const std::string& name, long fallback, long lo, long hi) const {
  auto it = options.find(name);
  if (it == options.end()) return fallback;
  char* end = nullptr;
  long v = std::strtol(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || v < lo || v > hi) {
    throw StageError{kUsage, "--" + name + " must be a whole number from " + std::to_string(lo) +
                                 " to " + std::to_string(hi) + ", not '" + it->second + "'"};
  }
  return v;
}

Args parse_args(int argc, char** argv, const std::vector<std::string>& known) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0) {
      std::string name = s.substr(2);
      if (i + 1 >= argc) throw StageError{kUsage, s + " needs a value"};
      if (name == "inputs-file") {
        std::istringstream lines(read_text(pipeline::path_from_text(argv[++i])));
        for (std::string line; std::getline(lines, line);) {
          if (!line.empty()) a.inputs.push_back(pipeline::path_from_text(line));
        }
        continue;
      }
      bool ok = false;
      for (const auto& k : known) ok = ok || k == name;
      if (!ok) throw StageError{kUsage, "unknown option " + s};
      a.options[name] = argv[++i];
    } else {
      a.inputs.push_back(pipeline::path_from_text(s));
    }
  }
  return a;
}

std::vector<std::string_view> split_csv(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = line.find(',', start);
    out.push_back(line.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

double parse_number(std::string_view text, const fs::path& file, std::size_t line,
                    const char* field) {
  std::string s(text);
  char* end = nullptr;
  double v = s.empty() ? NAN : std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v)) {
    throw StageError{kDataError, pipeline::path_text(file) + ":" + std::to_string(line) + ": " +
                                     field + " '" + s + "' is not a number"};
  }
  return v;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw StageError{kIoError, "cannot read " + pipeline::path_text(file)};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void write_atomic(const fs::path& path, const std::string& content) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) throw StageError{kIoError, "cannot write " + pipeline::path_text(tmp)};
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec)
    throw StageError{kIoError, "cannot rename " + pipeline::path_text(tmp) + ": " + ec.message()};
}

int run_stage(const char* name, int (*body)(int, char**), int argc, char** argv) {
  try {
    // UTF-8 arguments on every platform (Windows gives main the ANSI code page's).
    std::vector<std::string> args = pipeline::command_line_arguments(argc, argv);
    std::vector<char*> utf8_argv;
    utf8_argv.reserve(args.size() + 1);
    for (auto& a : args) utf8_argv.push_back(a.data());
    utf8_argv.push_back(nullptr);
    return body(static_cast<int>(args.size()), utf8_argv.data());
  } catch (const StageError& e) {
    std::cerr << name << ": " << e.message << std::endl;
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << std::endl;
    return kIoError;
  }
}

void append_line(const fs::path& file, const std::string& line) {
  std::ofstream out(file, std::ios::app | std::ios::binary);
  out << line << "\n";
  if (!out.flush()) throw StageError{kIoError, "cannot append to " + pipeline::path_text(file)};
}

}  // namespace stage
