// Runs a scenario against a deployment (one or more URLs) and returns the typed result
// (RESULTS-SCHEMA.md).
#pragma once

#include "result.hpp"
#include "scenario.hpp"

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

} // namespace chat::load
