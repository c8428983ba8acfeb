// The SVG line chart behind to_svg, with the one difference HTML needs.
#pragma once

#include "chat/reports/document.hpp"

#include <string> // string

namespace chat::reports::detail {

// `standalone` adds the XML namespace a separate .svg file needs; SVG inline in HTML does
// without it (and then the page names no URL at all).
std::string svg_chart(const chart& c, int width, int height, bool standalone);

} // namespace chat::reports::detail
