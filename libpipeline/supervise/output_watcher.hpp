#pragma once
/// Watches one output stream of a process: writes its exact bytes to the log, keeps a bounded
/// tail of lines, and feeds whole lines (cut at the size cap) to the completion and progress
/// patterns. Memory stays bounded whatever the stream holds.

#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ports/file_system.hpp"
#include "util/line_pattern.hpp"

namespace pipeline {

/// Patterns shared by both streams of one process, and what they found.
class LinePatterns {
 public:
  LinePatterns(const std::optional<std::string>& completion,
               const std::optional<std::string>& progress,
               std::function<void(const std::string&, std::size_t)> on_progress,
               const std::vector<std::pair<std::string, std::string>>& counts = {});
  /// Looks at one line (already cut at the cap, without its newline).
  void feed(std::string_view line);
  /// False when no pattern looks at lines: then only the tail needs them.
  bool wants_lines() const {
    return completion_.has_value() || progress_.has_value() || !counts_.empty();
  }
  bool completed() const { return completed_; }
  std::size_t items_done() const { return items_.size(); }
  /// Each count's last whole-number match so far.
  const std::map<std::string, std::int64_t>& counts() const { return counted_; }
  /// Matches that were not whole numbers, one line per count.
  std::vector<std::string> count_warnings() const;

 private:
  std::optional<LinePattern> completion_;
  std::optional<LinePattern> progress_;
  std::function<void(const std::string&, std::size_t)> on_progress_;
  bool completed_ = false;
  std::set<std::string> items_;
  std::vector<std::pair<std::string, LinePattern>> counts_;
  std::map<std::string, std::int64_t> counted_;
  std::map<std::string, std::string> not_numbers_;  ///< count -> the first text that was not
};

class OutputWatcher {
 public:
  static constexpr std::size_t kTailLines = 50;
  static constexpr std::size_t kLineCap = std::size_t{8} * 1024;

  /// log: where the exact bytes go; a log that cannot be opened is a warning, not a failure.
  OutputWatcher(const fs::path& log, LinePatterns& patterns);

  void feed(std::string_view bytes);
  /// The stream has ended: an unterminated last line still counts as a line.
  void finish();

  std::uint64_t bytes() const { return bytes_; }
  /// The last lines, as valid UTF-8 (a line longer than the cap keeps its first 8 KiB).
  std::vector<std::string> tail() const;
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  void end_line();
  /// The end of a chunk that holds every line of it the tail can still show.
  std::string_view tail_part(std::string_view bytes);

  std::ofstream log_;
  fs::path log_path_;
  bool log_ok_ = false;
  LinePatterns& patterns_;
  std::uint64_t bytes_ = 0;
  std::string line_;               ///< the current line, at most kLineCap bytes
  bool line_open_ = false;         ///< bytes were seen since the last newline
  std::vector<std::string> ring_;  ///< raw lines; buffers are reused, so no allocation per line
  std::size_t ring_next_ = 0;
  std::size_t ring_size_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace pipeline
