// Turns a run into a report document (chat::reports renders it as JSON, JUnit, HTML,
// Markdown). The JSON is chat-conform's own versioned schema: see REPORT-SCHEMA.md.
#pragma once

#include "runner.hpp"
#include "settings.hpp"

#include "chat/reports/document.hpp"

#include <nlohmann/json.hpp>

#include <string> // string

namespace chat::conformance {

inline constexpr const char* report_schema = "chat-conform/report";
inline constexpr int report_schema_version = 1;

// The outcome of each clause over the checks that cover it: PASS, FAIL, WARN, ERROR,
// TIMEOUT, FLAKY, SKIP, UNJUDGED (its check stopped at another clause first), UNCOVERED.
std::string clause_outcome(std::string_view clause_id, const run_outcome& run);

// One line: "PASS: 44 of 44 checks passed", "FAIL: ...", "INCOMPLETE: ...".
std::string verdict_line(const run_outcome& run, const run_settings& settings);

nlohmann::json report_json(const run_outcome& run, const run_settings& settings,
                           const std::string& tool_version);

reports::document report_document(const run_outcome& run, const run_settings& settings,
                                  const std::string& tool_version);

// ISO 8601 UTC with milliseconds: "2024-11-25T21:30:05.123Z".
std::string iso8601(std::chrono::system_clock::time_point t);

} // namespace chat::conformance
