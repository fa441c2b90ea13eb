#include <catch2/catch.hpp>

#include "support/abs_path.hpp"
#include "util/paths.hpp"

using namespace pipeline;

namespace {
// What display_path is defined to give: the path relative to root in generic form, or the
// path itself when it is not under root.
std::string by_components(const fs::path& p, const fs::path& root) {
  fs::path rel = p.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return p.string();
  return rel.generic_string();
}
}  // namespace

TEST_CASE("display_path: under the root relative - elsewhere as given - same as by components",
          "[paths]") {
  const fs::path root = fs::path("/srv"_abs) / "pipe";
  CHECK(display_path(root / "raw" / "a.csv", root) == "raw/a.csv");
  CHECK(display_path("/elsewhere/a.csv"_abs, root) == "/elsewhere/a.csv"_abs);
  // The quick path must agree with the component-wise definition on every awkward spelling.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/srv/pipe/raw/a.csv"_abs, "/srv/pipe"_abs},
      {"/srv/pipe/raw/a.csv"_abs, "/srv/pipe/"_abs},
      {"/srv/pipeline/a.csv"_abs, "/srv/pipe"_abs},
      {"/srv/pipe"_abs, "/srv/pipe"_abs},
      {"/srv/pipe/"_abs, "/srv/pipe"_abs},
      {"/srv/pipe/raw/"_abs, "/srv/pipe"_abs},
      {"/srv/pipe//raw/a.csv"_abs, "/srv/pipe"_abs},
      {"/srv/pipe/./raw/a.csv"_abs, "/srv/pipe"_abs},
      {"/srv/pipe/../other/a"_abs, "/srv/pipe"_abs},
      {"/srv/pipe/raw/../a"_abs, "/srv/pipe"_abs},
      {"/a.csv", "/"},
      {"/x/y", "/"},
      {"relative/a.csv", "relative"},
      {"/srv/pipe/a b/c\xff.csv", "/srv/pipe"_abs},
      {"/srv/pipe/.hidden"_abs, "/srv/pipe"_abs},
      {"/srv/pipe/..."_abs, "/srv/pipe"_abs},
      {"/srv/./pipe/raw/a"_abs, "/srv/./pipe"_abs},
      {"/srv/pipe/raw/a"_abs, ""}};
  for (const auto& [p, root_text] : cases) {
    INFO(p << " under " << root_text);
    CHECK(display_path(p, root_text) == by_components(p, root_text));
  }
}

TEST_CASE("unc_path_unsupported: a UNC path only where the C++ library would misread it",
          "[util]") {
  const bool windows = fs::path::preferred_separator == '\\';
  CHECK(unc_path_unsupported("\\\\fileserver\\archive") == windows);
  CHECK(unc_path_unsupported("//fileserver/archive") == windows);
  CHECK(unc_path_unsupported("\\/fileserver") == windows);
  for (const char* not_unc : {"C:/data", "C:\\data", "/data", "\\data", "///data", "//", "data"}) {
    INFO(not_unc);
    CHECK_FALSE(unc_path_unsupported(not_unc));
  }
}

TEST_CASE("path_text and path_from_text: UTF-8 both ways, '/' between names", "[util]") {
  const std::string text =
      "/srv/Donn\xC3\xA9"
      "es/\xE6\x95\xB0\xE6\x8D\xAE.csv";
  const fs::path p = path_from_text(text);
  CHECK(p.filename().u8string() == u8"\u6570\u636E.csv");  // two characters, not six
  CHECK(p.parent_path().filename().u8string() == u8"Donn\u00E9es");
  CHECK(path_text(p) == text);
  CHECK(path_text(path_from_text("a") / "b" / "c.txt") == "a/b/c.txt");
  CHECK(path_text(fs::path()).empty());
}
