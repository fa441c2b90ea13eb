#include <catch2/catch.hpp>

#include "util/markup.hpp"

using pipeline::escape_markup;

TEST_CASE("markup: the five characters become references, the rest stays", "[util]") {
  CHECK(escape_markup("a & b <c> \"d\" 'e'") == "a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39;");
  CHECK(escape_markup("café 数据 C:\\runner") == "café 数据 C:\\runner");
  CHECK(escape_markup("") == "");
  CHECK(escape_markup("&amp;") == "&amp;amp;");
}
