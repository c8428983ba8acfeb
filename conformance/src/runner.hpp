// Runs the selected checks against a target: probes it first, runs checks in parallel with
// hard deadlines, stops early when the target dies, and bounds the whole run.
#pragma once

#include "settings.hpp"
#include "verdict.hpp"

#include <chrono>     // system_clock
#include <functional> // function
#include <string>     // string
#include <vector>     // vector

namespace chat::conformance {

struct run_outcome {
    std::chrono::system_clock::time_point started;
    std::chrono::system_clock::time_point finished;
    std::vector<check_result> results; // every check of the catalogue, in catalogue order
    // Why the verdict is incomplete at the run level: the target was unreachable, died
    // mid-run, or the run hit its overall deadline. Empty otherwise.
    std::string target_problem;
    bool target_unreachable = false; // at the start: no check could run
    int overall_deadline_s = 0;
    int exit_code = 0;
};

struct run_observer {
    std::function<void(const std::string&)> note;                     // progress lines
    std::function<void(const check&, const check_run&)> run_finished; // every repetition
    std::function<void(const check_result&)> check_finished;          // all repetitions done
};

// The deadline of one check before --timeout-scale.
int budget_ms(const check& c, const spec_constants& k);

// The whole run. Never throws for target behaviour; the result says what happened.
run_outcome run_checks(const run_settings& settings, const run_observer& observer = {});

} // namespace chat::conformance
