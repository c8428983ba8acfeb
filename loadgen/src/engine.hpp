// Runs a scenario against a deployment (one or more URLs) and returns the typed result
// (RESULTS-SCHEMA.md).
#pragma once

#include "result.hpp"
#include "scenario.hpp"
#include "search_report.hpp"

#include <ostream>   // ostream
#include <stdexcept> // runtime_error

namespace chat::load {

// A run that cannot start or produce a result (bad URL, limits, nobody could connect).
struct harness_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// `progress` gets the limits statement and one line per second unless s.quiet, and the reason
// of an INVALID run always. The result is finalised with s.parsed_thresholds.
// Throws harness_error.
run_result run(const scenario& s, std::ostream& progress);

// `chat-load search`: capacity_search() over full runs of `base` (validated; its thresholds are
// the SLO, its duration the measured window of each step), each at the rate per sender that
// offers the step's deliveries per second (deliveries_per_unit_rate), on fresh rooms
// (`<prefix>-s<step>`), on the same server. A step that cannot run (harness_error, a rate out of
// range) is an invalid step with the reason. `progress` gets one line per step unless
// base.quiet. Throws std::invalid_argument for options out of range or a scenario with no
// sender, harness_error when the first step cannot reach the server.
search_run run_search(const scenario& base, const search_options& options, std::ostream& progress);

} // namespace chat::load
