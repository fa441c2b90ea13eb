// Fuzzing in the test suite: a bounded, deterministic mutation loop over the two readers of
// outside input, the config loader and the manifest reader. Every case must end in a value
// or the reader's own clear error (never another exception, a crash, a hang or a sanitizer
// report). The seed is fixed, so a failure names a case that fails again the same way.
#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>

#include "batches/batch_hotfolder.hpp"
#include "batches/batch_listing.hpp"
#include "batches/batch_submit.hpp"
#include "config/config.hpp"
#include "fakes/fake_file_system.hpp"
#include "support/abs_path.hpp"
#include "util/error.hpp"
#include "util/json_read.hpp"

using namespace pipeline;
using pipeline::testing::FakeFileSystem;

namespace {

// Pieces that mean something to YAML, JSON, our placeholders and our durations.
const std::vector<std::string> kTokens = {
    "${",
    "}",
    "${env.X}",
    "${env.HOME:-/}",
    "${batch.files.",
    "$$",
    "[",
    "]",
    "{",
    "}",
    "\n",
    ": ",
    "- ",
    "&a ",
    "*a",
    "!!binary ",
    "<<: ",
    "\"",
    "'",
    "\\",
    "#",
    "|\n",
    ">\n",
    "\t",
    "99999999d",
    "-1s",
    "1e309",
    "0x7fffffff",
    "~",
    "null",
    "\xff\xfe",
    "\xc3\x28",
    "\xe2\x80",
    std::string(1, '\0'),
    std::string(64, '['),
    std::string(2000, 'a'),
};

std::string mutate(std::string text, std::mt19937& rng) {
  auto pick = [&](std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  int edits = 1 + static_cast<int>(pick(4));
  for (int e = 0; e < edits; ++e) {
    std::size_t at = pick(text.size() + 1);
    switch (pick(6)) {
      case 0:  // flip a byte
        if (!text.empty()) text[pick(text.size())] ^= static_cast<char>(1 << pick(8));
        break;
      case 1:  // insert a token
        text.insert(at, kTokens[pick(kTokens.size())]);
        break;
      case 2:  // delete a run
        text.erase(at, pick(32));
        break;
      case 3: {  // duplicate a run (repeated keys, nested blocks)
        std::size_t len = pick(64);
        std::string piece = text.substr(at, len);
        text.insert(pick(text.size() + 1), piece);
        break;
      }
      case 4:  // a random byte
        text.insert(at, 1, static_cast<char>(pick(256)));
        break;
      default:  // cut the text short (a torn write)
        text.resize(at);
        break;
    }
  }
  return text;
}

std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The config text with its root set to the fake file system's.
std::vector<std::string> config_seeds() {
  std::string shipped = read_source("config/pipeline.yaml");
  REQUIRE_FALSE(shipped.empty());
  return {
      shipped,
      "version: 1\npipeline: b\nroot: /r\n"
      "batches: {hotfolder: hot, archive: archive, error: error, max_per_run: 3}\n"
      "stages:\n  - name: load\n    command: [load, \"${batch.id}\", \"${batch.raw_data}\"]\n"
      "    when: {files: \"${batch.files.units}\"}\n    completion: \"^done (\\\\d+)$\"\n",
      // Billion laughs: aliases that would expand exponentially if anything expanded them.
      "version: 1\npipeline: l\nroot: /r\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nstages: [{name: s, command: [*d]}]\n",
  };
}

std::optional<std::string> env_lookup(const std::string& name) {
  if (name == "HOME") return std::string("/home/u"_abs);
  return std::nullopt;
}

}  // namespace

TEST_CASE("fuzz: the config loader ends every mutated config in a config or a clear error",
          "[fuzz][config]") {
  std::mt19937 rng(20261122);
  const auto seeds = config_seeds();
  std::size_t accepted = 0, refused = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::string& seed = seeds[static_cast<std::size_t>(i) % seeds.size()];
    std::string text = i < 3 ? seed : mutate(seed, rng);
    try {
      Config c = parse_config(text, "/r/config/pipeline.yaml"_abs, env_lookup);
      ++accepted;
    } catch (const Error& e) {
      ++refused;
      INFO("case " << i);
      CHECK_THAT(e.what(), Catch::StartsWith("/r/config/pipeline.yaml"_abs));  // says where
    } catch (const std::exception& e) {
      FAIL("case " << i << ": " << typeid(e).name() << ": " << e.what() << "\n" << text);
    }
  }
  // The mutations reach both sides: some configs still load, most are refused.
  CHECK(accepted > 3);
  CHECK(refused > 1000);
}

TEST_CASE("fuzz: the manifest reader judges every mutated manifest without throwing",
          "[fuzz][batch]") {
  Config config = parse_config(config_seeds()[1], "/r/config/pipeline.yaml"_abs, env_lookup);
  const std::vector<std::string> seeds = {
      R"({"batch_id": "b1", "creation_timestamp": "2025-10-29T15:30:00Z",
          "status": "READY_FOR_PROCESSING", "files": {"units": "in/u.csv"},
          "raw_data": ["in/a.csv", "/r/in/b.csv"]})",
      R"({"batch_id": "b2", "status": "COMPLETED", "files": {"units": "in/u.csv"},
          "raw_data": ["in/a.csv"], "runner": {"destination": "archive/b2", "manifest": "x"}})",
  };
  std::mt19937 rng(11220);
  std::size_t valid = 0, rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = mutate(seeds[static_cast<std::size_t>(i) % seeds.size()], rng);
    bool processing = i % 2 == 1;
    FakeFileSystem files;
    for (const std::string& f : {"/r/in/u.csv"_abs, "/r/in/a.csv"_abs, "/r/in/b.csv"_abs})
      files.add_file(f, "x");
    files.add_file(processing ? "/r/hot/b2_PROCESSING.json"_abs : "/r/hot/b1_MANIFEST.json"_abs,
                   text);
    BatchPreviews preview;
    try {
      preview = preview_batches(config, files, 5, std::chrono::system_clock::now());
    } catch (const std::exception& e) {
      FAIL("case " << i << ": " << typeid(e).name() << ": " << e.what() << "\n" << text);
    }
    REQUIRE(preview.batches.size() == 1);
    const BatchPreview& b = preview.batches[0];
    CHECK(valid_batch_id(b.id));  // a safe name for the claim and the error folder
    if (b.content || b.decided) {
      ++valid;
    } else {
      ++rejected;
      CHECK_FALSE(b.rejected.empty());
    }
    // The bounded reader on its own: a value or a reason, never an exception.
    std::string why;
    auto doc = parse_untrusted_json(text, &why);
    CHECK(doc.is_discarded() != why.empty());
  }
  CHECK(valid > 50);
  CHECK(rejected > 1000);
}
