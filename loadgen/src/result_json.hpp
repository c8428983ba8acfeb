// The file edge of a result: the typed run_result to and from the JSON document
// `chat-load.result` v1 (RESULTS-SCHEMA.md, RFC 8259). Nothing else in chat-load touches JSON.
#pragma once

#include "result.hpp"
#include "search_report.hpp"

#include <nlohmann/json.hpp>

#include <string> // string

namespace chat::load {

// The whole document, derived members included (lost, delivery, per-second rates, summaries of
// every histogram, timeline percentiles).
nlohmann::json to_json(const run_result& r);

// Reads what to_json writes (derived totals and summaries are ignored: they follow from the
// measured parts). Throws
// std::invalid_argument naming `source` when `doc` is not a chat-load result of this schema
// version or a member has the wrong shape.
run_result result_from_json(const nlohmann::json& doc, const std::string& source);

// The document `chat-load.search` v1 of a capacity search (RESULTS-SCHEMA.md): the scenario,
// the SLO, the search options, every step with its figures, the capacity bracket, verdict and
// exit code.
nlohmann::json to_json(const search_run& r);

} // namespace chat::load
