#pragma once
/// Text inside XML or HTML, as element text or an attribute value.

#include <string>
#include <string_view>

namespace pipeline {

/// s with & < > " ' written as references (' as &#39;, which XML and every HTML know).
std::string escape_markup(std::string_view s);

}  // namespace pipeline
