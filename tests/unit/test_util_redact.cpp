// Secrets from the environment (SPEC 9): masked whole, or as much of one as a text holds
// from its start; short values are left alone.
#include <catch2/catch.hpp>

#include "util/redact.hpp"

using namespace pipeline;

TEST_CASE("a secret is masked whole, and a prefix of it as far as it goes", "[redact]") {
  Redactor r;
  r.add("s3cr3t-Pa55word", "${env.DB_PASSWORD}");
  r.add("abc", "${env.SHORT}");  // too short to be told from words
  CHECK(r("--password=s3cr3t-Pa55word --x") == "--password=${env.DB_PASSWORD} --x");
  CHECK(r("refused s3cr3t-Pa55...") == "refused ${env.DB_PASSWORD}...");
  CHECK(r("s3cr3t-P and s3cr3t") == "${env.DB_PASSWORD} and s3cr3t");  // 8 characters: masked
  CHECK(r("abc s3cr3t-Pa55words") == "abc ${env.DB_PASSWORD}s");
  nlohmann::json j = {
      {"argv", {"x", "--password=s3cr3t-Pa55word"}}, {"s3cr3t-Pa55word", 1}, {"n", 3}};
  r.redact_json(j);
  CHECK(j == nlohmann::json({{"argv", {"x", "--password=${env.DB_PASSWORD}"}},
                             {"${env.DB_PASSWORD}", 1},
                             {"n", 3}}));
  CHECK(Redactor()("s3cr3t-Pa55word") == "s3cr3t-Pa55word");
}
