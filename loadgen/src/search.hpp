// The capacity search of `chat-load search`: the highest offered delivery rate whose step meets
// the SLO. It steps up geometrically until a step fails, then bisects between the last passing
// and the first failing step until they are within a resolution; the steps are the knee curve.
#pragma once

#include <functional> // function
#include <optional>   // optional
#include <string>     // string
#include <vector>     // vector

namespace chat::load {

struct search_options {
    double from = 1000;       // offered deliveries per second of the first step (> 0)
    double to = 0;            // highest step; 0: only max_steps bounds the climb
    double growth = 2;        // factor between steps while they pass (> 1)
    double resolution = 0.05; // stop once (first fail - last pass) / last pass <= this
    int max_steps = 16;       // steps in all, climb and bisection together
    int confirm = 1;          // reruns of a failing step before it counts as a fail (>= 0)
};

enum class step_verdict { pass, fail, invalid };

// One step as the search sees it: what was offered, what the SLO said and the figures the
// report draws (latencies in microseconds from the intended send time, delivery a ratio).
struct step_outcome {
    double offered_per_s = 0;
    step_verdict verdict = step_verdict::invalid;
    std::string why; // the SLO rules that failed, or why the step cannot be judged
    double delivered_per_s = 0;
    double p50_us = 0;
    double p99_us = 0;
    double delivery = 0;
    int attempt = 1; // 1 for a rate's first run, 2.. for its confirmation reruns
};

struct search_result {
    std::vector<step_outcome> steps;        // in the order they ran
    std::optional<step_outcome> last_pass;  // the capacity: the highest passing step
    std::optional<step_outcome> first_fail; // the lowest failing step above it
    // The lowest step the generator could not offer (INVALID) above the last pass, if any.
    std::optional<step_outcome> first_invalid;
    std::string ended;      // why the search stopped, for people
    bool bracketed = false; // last_pass and first_fail within the resolution
};

// Runs steps through `run_step(offered deliveries/s)` and returns them with the capacity.
// While steps pass it multiplies the rate by `growth` (capped at `to`); when the first step
// already fails it divides instead, until one passes. Then it bisects (arithmetic mean)
// between the last pass and the nearer of the first fail and the first invalid step above it
// (the generator could not keep the schedule: that says nothing of the server), so a
// generator that saturates above the server's knee still lets the search find it. When the
// invalid step is the nearer one at the end, the capacity is "at least the last pass" (or,
// with a judged fail above it, between the pass and that fail, not narrowed further). An
// invalid step before any pass ends the search. A failing or invalid step is rerun up to
// `confirm` times at the same rate (within `max_steps`): on a shared machine a transient
// stall can fail a step or starve the generator, but nothing makes an overloaded server pass,
// so a passing run is the rate's verdict; else a failing run (an invalid one says nothing
// against it); else the last run. Every run is a step in the result, and never more than
// `max_steps` steps run. Throws std::invalid_argument for options out of range.
search_result capacity_search(const search_options& options,
                              const std::function<step_outcome(double offered_per_s)>& run_step);

} // namespace chat::load
