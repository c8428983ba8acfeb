// Runs a scenario against a server and returns the result document (RESULTS-SCHEMA.md).
#pragma once

#include "scenario.hpp"

#include <nlohmann/json.hpp>

#include <ostream>   // ostream
#include <stdexcept> // runtime_error

namespace chat::load {

// A run that cannot start or produce a result (bad URL, limits, nobody could connect).
struct harness_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// `progress` gets the limits statement and one line per second unless s.quiet.
// Throws harness_error.
nlohmann::json run(const scenario& s, std::ostream& progress);

} // namespace chat::load
