#include "util/run_id.hpp"

#include <array>
#include <cstdint>
#include <random>

namespace pipeline {

std::string make_run_id(TimePoint t) {
  static thread_local std::mt19937_64 rng{[] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }()};
  auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
  std::array<std::uint8_t, 16> b{};
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  std::uint64_t r1 = rng(), r2 = rng();
  for (int i = 6; i < 16; ++i) {
    b[i] = static_cast<std::uint8_t>(i < 11 ? r1 >> (8 * (i - 6)) : r2 >> (8 * (i - 11)));
  }
  b[6] = static_cast<std::uint8_t>(0x70 | (b[6] & 0x0f));  // version 7
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3f));  // RFC variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0xf];
  }
  return out;
}

bool is_run_id_prefix(std::string_view text) {
  if (text.empty() || text.size() > 36) return false;
  for (char c : text) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex && c != '-') return false;
  }
  return true;
}

bool is_run_id(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    char c = text[i];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (dash_position ? c != '-' : !hex) return false;
  }
  return true;
}

std::optional<TimePoint> run_id_time(std::string_view id) {
  if (!is_run_id(id)) return std::nullopt;
  std::int64_t ms = 0;
  for (char c : std::string(id.substr(0, 8)) + std::string(id.substr(9, 4))) {
    ms = ms * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return TimePoint(std::chrono::milliseconds(ms));
}

}  // namespace pipeline
