#include "util/redact.hpp"

#include <algorithm>

namespace pipeline {

void Redactor::add(const std::string& value, const std::string& name) {
  if (value.size() < kShortest) return;
  for (const auto& [v, n] : secrets_) {
    if (v == value) return;
  }
  secrets_.emplace_back(value, name);
}

std::string Redactor::operator()(std::string text) const {
  for (const auto& [value, name] : secrets_) {
    const std::string seed = value.substr(0, std::min(value.size(), kPrefix));
    for (std::size_t at = text.find(seed); at != std::string::npos;
         at = text.find(seed, at + name.size())) {
      std::size_t n = seed.size();
      while (n < value.size() && at + n < text.size() && text[at + n] == value[n]) ++n;
      text.replace(at, n, name);
    }
  }
  return text;
}

void Redactor::redact_json(nlohmann::json& j) const {
  if (secrets_.empty()) return;
  if (j.is_string()) {
    j = (*this)(j.get<std::string>());
  } else if (j.is_array()) {
    for (auto& e : j) redact_json(e);
  } else if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto& [key, value] : j.items()) {
      redact_json(value);
      out[(*this)(key)] = std::move(value);
    }
    j = std::move(out);
  }
}

}  // namespace pipeline
