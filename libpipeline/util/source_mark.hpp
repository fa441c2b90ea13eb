#pragma once
/// Where a value came from in a config file, for `FILE:LINE:COL: message` errors.

#include <string>

namespace pipeline {

struct SourceMark {
  std::string file;
  int line = 0;    ///< 1-based; 0 when unknown
  int column = 0;  ///< 1-based

  std::string str() const {
    if (line == 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
};

}  // namespace pipeline
