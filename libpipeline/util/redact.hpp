#pragma once
/// The values a config took from the environment (`${env.NAME}`, SPEC 9): secrets that the
/// runner writes nowhere. Each is replaced by its name wherever text is written (events, the
/// run log, the report and all that is made from it, notification messages), and so is a
/// prefix of one long enough to be it (a receiver that echoes a token cut short).

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace pipeline {

class Redactor {
 public:
  /// Values shorter than this are no secret worth the name, and replacing them would garble
  /// every message.
  static constexpr std::size_t kShortest = 4;
  /// A run of a secret's first characters this long (or the whole secret, when shorter) is
  /// taken for the secret, and masked with as much of it as follows.
  static constexpr std::size_t kPrefix = 8;

  /// A value never to be written, and the name written in its place ("${env.DB_PASSWORD}").
  /// Values are masked in the order added: a secret inside a larger one added later (a token
  /// in a header) shows as its own name there ("Bearer ${env.HOOK_TOKEN}").
  void add(const std::string& value, const std::string& name);
  bool empty() const { return secrets_.empty(); }

  std::string operator()(std::string text) const;
  /// Every string in j (keys included) redacted, in place.
  void redact_json(nlohmann::json& j) const;

 private:
  std::vector<std::pair<std::string, std::string>> secrets_;  ///< value, name
};

}  // namespace pipeline
