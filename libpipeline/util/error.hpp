#pragma once
/// The one error policy: everything a user can see is a pipeline::Error carrying the exit code
/// it maps to; it is caught once, in cli_main, and printed as one sentence.

#include <stdexcept>
#include <string>

#include "util/utf8.hpp"

namespace pipeline {

namespace exit_code {
inline constexpr int kSuccess = 0;
inline constexpr int kPartial = 1;
inline constexpr int kFailure = 2;
inline constexpr int kInternal = 3;
inline constexpr int kUsage = 4;
inline constexpr int kLocked = 5;
}  // namespace exit_code

/// The longest message an Error keeps: what it quotes of the input is cut in the middle.
inline constexpr std::size_t kMaxErrorBytes = 2000;

/// A failure to report as one sentence, with the exit code of SPEC section 2.
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& message)
      : std::runtime_error(cut_middle(message, kMaxErrorBytes)), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

/// Bad input from the user: a config, an argument or a run id. Exit 4.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(exit_code::kUsage, message) {}
};

/// A file system operation failed; the message names the path and the reason.
class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace pipeline
