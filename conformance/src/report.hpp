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

// The outcome of each clause over the checks that cover it (see clause_verdict).
std::string clause_outcome(std::string_view clause_id, const run_outcome& run);

// One line: "PASS: 44 of 44 checks passed", "FAIL: ...", "INCOMPLETE: ...". It names the
// violated clauses, the root causes first.
std::string verdict_line(const run_outcome& run, const run_settings& settings);

// What to read first, in order: the target's death with what was happening, then each
// violated clause with the checks that prove it and what it blocked. Every format shows these.
std::vector<std::string> highlights(const run_outcome& run);

nlohmann::json report_json(const run_outcome& run, const run_settings& settings,
                           const std::string& tool_version);

reports::document report_document(const run_outcome& run, const run_settings& settings,
                                  const std::string& tool_version);

// ISO 8601 UTC with milliseconds: "2024-11-25T21:30:05.123Z".
std::string iso8601(std::chrono::system_clock::time_point t);

} // namespace chat::conformance
