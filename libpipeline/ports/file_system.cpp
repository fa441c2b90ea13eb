#include "ports/file_system.hpp"

#include <algorithm>
#include <random>

namespace pipeline {

namespace {
constexpr std::string_view kTempMarker = ".tmp";
}

std::string temp_name_for(const fs::path& p) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return "." + p.filename().string() + std::string(kTempMarker) +
         std::to_string(rng() % 1'000'000'000);
}

bool is_temp_name(std::string_view name) {
  if (name.size() < 2 || name[0] != '.') return false;
  std::size_t marker = name.rfind(kTempMarker);
  if (marker == std::string_view::npos || marker < 2) return false;
  std::string_view digits = name.substr(marker + kTempMarker.size());
  return !digits.empty() && digits.size() <= 9 &&
         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace pipeline
