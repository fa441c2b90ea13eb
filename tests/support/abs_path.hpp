#pragma once
/// "/r/raw/a.csv"_abs: a path a test treats as absolute, absolute on this platform too. On
/// POSIX the text as it is; on Windows, where "/r" is relative to the current drive, that
/// drive in front ("Z:/r/raw/a.csv" under wine), as the runner itself resolves "/r" from a
/// config. Text in the generic form, as the runner's records spell paths.

#include <cstddef>
#include <filesystem>
#include <string>

inline std::string operator""_abs(const char* text, std::size_t size) {
  return std::filesystem::absolute(std::filesystem::path(std::string(text, size))).generic_string();
}
