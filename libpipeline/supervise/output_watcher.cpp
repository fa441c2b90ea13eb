#include "supervise/output_watcher.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "util/paths.hpp"
#include "util/utf8.hpp"

namespace pipeline {

namespace {

// A count is a whole number, as a stage prints one: digits, maybe a sign.
std::optional<std::int64_t> whole_number(std::string_view text) {
  std::int64_t v = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  if (first != last && *first == '+') ++first;
  auto [end, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || end != last || first == last) return std::nullopt;
  return v;
}

}  // namespace

LinePatterns::LinePatterns(const std::optional<std::string>& completion,
                           const std::optional<std::string>& progress,
                           std::function<void(const std::string&, std::size_t)> on_progress,
                           const std::vector<std::pair<std::string, std::string>>& counts)
    : on_progress_(std::move(on_progress)) {
  if (completion) completion_.emplace(*completion);
  if (progress) progress_.emplace(*progress, 1);
  for (const auto& [name, source] : counts) counts_.emplace_back(name, LinePattern(source, 1));
}

std::vector<std::string> LinePatterns::count_warnings() const {
  std::vector<std::string> out;
  for (const auto& [name, text] : not_numbers_) {
    out.push_back("count '" + name + "' matched \"" + text +
                  "\", which is not a whole number: not counted");
  }
  return out;
}

void LinePatterns::feed(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (completion_ && !completed_ && completion_->search(line)) completed_ = true;
  if (progress_) {
    if (auto captured = progress_->capture(line)) {
      std::string item = sanitize_utf8(*captured);
      if (items_.insert(item).second && on_progress_) on_progress_(item, items_.size());
    }
  }
  for (const auto& [name, pattern] : counts_) {
    auto captured = pattern.capture(line);
    if (!captured) continue;
    if (auto v = whole_number(*captured)) {
      counted_[name] = *v;
    } else if (!not_numbers_.count(name)) {
      not_numbers_[name] = sanitize_utf8(captured->substr(0, 100));
    }
  }
}

OutputWatcher::OutputWatcher(const fs::path& log, LinePatterns& patterns)
    : log_path_(log), patterns_(patterns), ring_(kTailLines) {
  log_.open(log, std::ios::binary | std::ios::trunc);
  log_ok_ = static_cast<bool>(log_);
  if (!log_ok_) {
    warnings_.push_back("cannot write " + path_text(log) + ": " + std::strerror(errno));
  }
}

void OutputWatcher::feed(std::string_view bytes) {
  bytes_ += bytes.size();
  if (log_ok_) {
    log_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    log_.flush();  // a reader (tail -f) sees output as it comes; we hold no unbounded buffer
    if (!log_) {
      log_ok_ = false;
      warnings_.push_back("writing " + path_text(log_path_) + " failed: " + std::strerror(errno));
    }
  }
  if (!patterns_.wants_lines()) bytes = tail_part(bytes);
  while (!bytes.empty()) {
    std::size_t nl = bytes.find('\n');
    std::string_view piece = bytes.substr(0, nl);
    if (line_.size() < kLineCap) line_.append(piece.substr(0, kLineCap - line_.size()));
    line_open_ = line_open_ || !piece.empty();
    if (nl == std::string_view::npos) break;
    end_line();
    bytes.remove_prefix(nl + 1);
  }
}

std::string_view OutputWatcher::tail_part(std::string_view bytes) {
  // With more than kTailLines newlines in the chunk, every line up to the (kTailLines+1)-th
  // newline from the end (and the line open before the chunk) would be pushed out of the
  // tail by the chunk's own last kTailLines lines: they are counted, never copied.
  std::size_t nl = bytes.size();
  for (std::size_t found = 0; found <= kTailLines; ++found) {
    nl = nl == 0 ? std::string_view::npos : bytes.rfind('\n', nl - 1);
    if (nl == std::string_view::npos) return bytes;
  }
  line_.clear();
  line_open_ = false;
  return bytes.substr(nl + 1);
}

void OutputWatcher::end_line() {
  patterns_.feed(line_);
  ring_[ring_next_].swap(line_);  // the line's buffer moves into the ring, the ring's is reused
  ring_next_ = (ring_next_ + 1) % kTailLines;
  ring_size_ = std::min(ring_size_ + 1, kTailLines);
  line_.clear();
  line_open_ = false;
}

void OutputWatcher::finish() {
  if (line_open_) end_line();
  if (log_ok_) log_.close();
}

std::vector<std::string> OutputWatcher::tail() const {
  std::vector<std::string> out;
  std::size_t first = (ring_next_ + kTailLines - ring_size_) % kTailLines;
  for (std::size_t i = 0; i < ring_size_; ++i) {
    out.push_back(sanitize_utf8(ring_[(first + i) % kTailLines]));
  }
  if (line_open_) {
    out.push_back(sanitize_utf8(line_));
    if (out.size() > kTailLines) out.erase(out.begin());
  }
  return out;
}

}  // namespace pipeline
