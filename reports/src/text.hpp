// Turning report values into text that is safe in every output format: valid UTF-8 without
// characters XML 1.0 forbids, escaped for XML/HTML or Markdown, numbers in a fixed style.
#pragma once

#include <cstddef>     // size_t
#include <string>      // string
#include <string_view> // string_view

namespace chat::reports::detail {

// How line breaks in a value are kept.
enum class breaks {
    keep,   // prose (expected, actual, messages): "\n" and "\t" stay, "\r\n" becomes "\n"
    visible // one wire line: "\r" and "\n" become the two characters `\r`, `\n`
};

// Valid UTF-8 holding only characters XML 1.0 allows. Invalid byte sequences become U+FFFD;
// control characters (C0 except tab/newline, DEL, C1, U+FFFE/U+FFFF) become `\u00XX` text, so
// hostile server bytes stay visible but can never break the document that quotes them.
std::string clean(std::string_view s, breaks b = breaks::keep);

// Cuts `s` to at most `max_bytes` on a character boundary, appending "…" when it cut.
std::string shorten(std::string_view s, std::size_t max_bytes);

// Escapes for XML and HTML: & < > always; in attribute values also quotes, tab and line breaks
// (as character references, so they survive attribute normalisation). Expects clean() text.
std::string markup_escape(std::string_view s, bool attribute = false);

// clean() then markup_escape().
inline std::string markup(std::string_view s, breaks b = breaks::keep, bool attribute = false) {
    return markup_escape(clean(s, b), attribute);
}

// One Markdown table cell or inline run: one line, Markdown and HTML punctuation escaped.
std::string markdown_inline(std::string_view s);

// Fixed notations: "0.123" seconds for JUnit, "12.3 ms" for people, "    12.345" transcript times.
// Non-finite or negative durations print as 0.
std::string seconds(double ms);
std::string duration(double ms);
std::string offset_ms(double ms);

} // namespace chat::reports::detail
