#pragma once
/// What the default pipeline's stage programs share: strict CSV reading, argument parsing and
/// atomic output. A stage that finds bad data says where and exits non-zero (EX_DATAERR).

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stage {

namespace fs = std::filesystem;

inline constexpr int kUsage = 64;      // EX_USAGE
inline constexpr int kDataError = 65;  // EX_DATAERR
inline constexpr int kIoError = 74;    // EX_IOERR

/// A failure that names the file and line at fault; main prints it and exits with code.
struct StageError {
  int code;
  std::string message;
};

/// --name value options and positional inputs; `--inputs-file F` adds F's lines as inputs.
struct Args {
  std::map<std::string, std::string> options;
  std::vector<fs::path> inputs;
  std::string require(const std::string& name) const;
  /// A required option that names a file or folder (UTF-8 text made a path).
  fs::path path(const std::string& name) const;
  long number(const std::string& name, long fallback, long lo, long hi) const;
};
Args parse_args(int argc, char** argv, const std::vector<std::string>& known);

/// Splits one CSV line on commas (the formats here have no quoted fields).
std::vector<std::string_view> split_csv(std::string_view line);

/// Reads a CSV file whose first line must be `header`; calls row(fields, line_number).
template <typename Row>
void read_csv(const fs::path& file, std::string_view header, Row row);

/// A finite number, or a StageError naming file:line and the field.
double parse_number(std::string_view text, const fs::path& file, std::size_t line,
                    const char* field);

/// Writes content to path through a temporary file and a rename, so readers never see half.
void write_atomic(const fs::path& path, const std::string& content);

/// Runs body, turning StageError into "stage: message" on stderr and its exit code.
int run_stage(const char* name, int (*body)(int, char**), int argc, char** argv);

std::string read_text(const fs::path& file);

/// Appends one line to a file (a ledger of what a stage did); a StageError when it cannot.
void append_line(const fs::path& file, const std::string& line);

}  // namespace stage

#include <fstream>

template <typename Row>
void stage::read_csv(const fs::path& file, std::string_view header, Row row) {
  std::string text = read_text(file);
  std::size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no;
    pos = end + 1;
    if (line_no == 1) {
      if (line != header) {
        throw StageError{kDataError, file.string() + ":1: expected header '" + std::string(header) +
                                         "', found '" + std::string(line) + "'"};
      }
      continue;
    }
    if (line.empty()) continue;
    row(split_csv(line), line_no);
  }
  if (line_no == 0) throw StageError{kDataError, file.string() + ": empty file, no header"};
}
