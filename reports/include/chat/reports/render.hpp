// Renderers for a report document: JSON, JUnit XML, self-contained HTML (inline SVG plots),
// and Markdown fit for a CI job summary.
#pragma once

#include "chat/reports/document.hpp"

#include <filesystem> // path
#include <string>     // string
#include <vector>     // vector

namespace chat::reports {

// doc.data, pretty-printed. When doc.data is null, a generic rendering of the whole document
// instead, schema "chat-report/1": {schema, tool, title, verdict, meta: [[key, value]],
// summary: {PASS: n, ...}, tables: [{title, header, rows}], charts: [{title, x_label, y_label,
// log_x, log_y, series: [{name, points: [[x, y]]}], x_ticks?: [[x, label]]}], sections?: [{id,
// title, notes, tables, charts}], cases_title, group_label, cases: [{id, group, title, level,
// requirement, outcome: "PASS"|..., expected, actual, message, duration_ms, transcript: [{t_ms,
// dir, text}]}]}. Invalid UTF-8 in strings becomes U+FFFD.
std::string to_json(const document& doc);
// FAIL/FLAKY -> <failure>, ERROR/TIMEOUT -> <error>, SKIP -> <skipped>; WARN passes (a SHOULD
// not met must not fail CI) with a note in <system-out> and the suite's properties.
std::string to_junit(const document& doc);
std::string to_html(const document& doc);     // one file, no network
std::string to_markdown(const document& doc); // short summary

// An inline SVG line chart (used by to_html; exposed for tests).
std::string to_svg(const chart& c, int width = 720, int height = 320);

enum class format { json, junit, html, markdown };
// Parses "json", "junit", "html", "md"/"markdown"; throws std::invalid_argument naming the value.
format parse_format(const std::string& name);
// "json", "junit", "html", "md": the names parse_format accepts.
const char* to_string(format f) noexcept;
// Every format, in the order write_all writes them.
std::vector<format> all_formats();
// A comma-separated list such as "json,md" (duplicates dropped); "all" or "" means all formats.
// Throws std::invalid_argument naming the first unknown item.
std::vector<format> parse_formats(const std::string& list);
// Writes the chosen formats into `dir` as `<stem>.json`, `<stem>.junit.xml`, `<stem>.html`,
// `<stem>.md`; creates `dir`. Returns the paths written; throws std::runtime_error on I/O errors.
std::vector<std::filesystem::path> write_all(const document& doc, const std::filesystem::path& dir,
                                             const std::string& stem,
                                             const std::vector<format>& formats);

} // namespace chat::reports
