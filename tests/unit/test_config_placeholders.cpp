#include <catch2/catch.hpp>

#include "config/placeholders.hpp"
#include "support/abs_path.hpp"
#include "util/error.hpp"

using namespace pipeline;

namespace {
const SourceMark kMark{"p.yaml", 7, 12};
const KnownNames kPaths = {{"raw", "out"}, false, {}};

std::string check_error(const std::string& text, PlaceholderScope scope) {
  try {
    Template(text, kMark).check(scope, kPaths);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("placeholders expand - $$ is a literal dollar", "[placeholders]") {
  PlaceholderValues v;
  v.scalars = {{"root", "/r"_abs}, {"paths.raw", "/r/raw"_abs}, {"stage", "t"}};
  v.env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "HOME") return "/home/u"_abs;
    return std::nullopt;
  };
  v.run_start = TimePoint(std::chrono::hours(24 * 20000));
  CHECK(expand(Template("${paths.raw}/*.csv", kMark), v) == "/r/raw/*.csv"_abs);
  CHECK(expand(Template("cost: $$5 in ${stage}", kMark), v) == "cost: $5 in t");
  CHECK(expand(Template("${env.HOME}/x", kMark), v) == "/home/u/x"_abs);
  CHECK(expand(Template("${date:%Y}", kMark), v).size() == 4);
  CHECK_THROWS_WITH(expand(Template("${env.NOPE}", kMark), v),
                    "p.yaml:7:12: environment variable NOPE is not set");
}

TEST_CASE("${inputs} as a whole element becomes one element per file", "[placeholders]") {
  PlaceholderValues v;
  std::vector<std::string> inputs = {"/a b.csv", "/c;rm -rf.csv"};
  v.inputs = &inputs;
  std::vector<std::string> argv{"prog"};
  expand_into_argv(Template("${inputs}", kMark), v, argv);
  CHECK(argv == std::vector<std::string>{"prog", "/a b.csv", "/c;rm -rf.csv"});
  std::vector<std::string> none_argv;
  std::vector<std::string> none;
  v.inputs = &none;
  expand_into_argv(Template("${inputs}", kMark), v, none_argv);
  CHECK(none_argv.empty());
}

TEST_CASE("unknown or misplaced placeholders are config errors with a position", "[placeholders]") {
  using S = PlaceholderScope;
  CHECK(check_error("${nope}", S::kCommand) == "p.yaml:7:12: unknown placeholder ${nope}");
  CHECK(check_error("${paths.nope}", S::kCommand).find("no path named 'nope'") !=
        std::string::npos);
  CHECK(check_error("x${inputs}", S::kCommand).find("whole command element") != std::string::npos);
  CHECK(check_error("${inputs}", S::kRun).find("only be used in a stage's command") !=
        std::string::npos);
  CHECK(check_error("${stage}", S::kRun).find("only known inside a stage") != std::string::npos);
  CHECK(check_error("${date}", S::kRun).find("needs a strftime format") != std::string::npos);
  CHECK(check_error("${batch.id}", S::kCommand).find("batch mode") != std::string::npos);
  CHECK(check_error("${root:x}", S::kRun) == "p.yaml:7:12: unknown placeholder ${root:x}");
  CHECK(check_error("${paths.raw}/${inputs_file}", S::kStage).empty());
  CHECK(check_error("${inputs}", S::kCommand).empty());
}

TEST_CASE("malformed placeholder syntax is refused", "[placeholders]") {
  CHECK_THROWS_WITH(Template("${root", kMark), Catch::Contains("unclosed '${'"));
  CHECK_THROWS_WITH(Template("cost $5", kMark), Catch::Contains("write '$$' for a literal"));
}

TEST_CASE("${env.NAME:-default} gives the default when the variable is unset or empty",
          "[placeholders][hostile]") {
  PlaceholderValues v;
  std::map<std::string, std::string> env{{"SET", "yes"}, {"EMPTY", ""}};
  v.env = [&](const std::string& n) -> std::optional<std::string> {
    auto it = env.find(n);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  CHECK(expand(Template("${env.SET:-no}", kMark), v) == "yes");
  CHECK(expand(Template("${env.UNSET:-/srv/in}/x", kMark), v) ==
        "/srv/in/x");  // text: no path is resolved
  CHECK(expand(Template("${env.EMPTY:-fallback}", kMark), v) == "fallback");
  CHECK(expand(Template("${env.UNSET:-}", kMark), v).empty());
  CHECK_THROWS_WITH(expand(Template("${env.UNSET}", kMark), v),
                    "p.yaml:7:12: environment variable UNSET is not set");
}
