// Pass/fail criteria on a result, k6-style: "p99<20ms", "delivery>=0.9999", "errors==0".
#pragma once

#include <cstdint>  // int64_t
#include <optional> // optional
#include <string>   // string
#include <vector>   // vector

namespace chat::load {

struct threshold {
    std::string text;   // as given
    std::string metric; // e.g. "p99", "connect_p99", "delivery", "errors"
    std::string op;     // <, <=, >, >=, ==, !=
    double limit = 0;   // microseconds for latencies, else the plain number
    bool is_latency = false;
    // "RULE:abort[=DELAY]" (k6's abortOnFail, delayAbortEval): the run ends as soon as the rule
    // fails on the measured seconds so far, judged from DELAY (microseconds) into the window.
    bool abort = false;
    std::int64_t abort_delay_us = 0;
};

// Parses one threshold, `METRIC OP VALUE[:abort[=DELAY]]`; throws std::invalid_argument naming the
// text and what is accepted.
threshold parse_threshold(const std::string& text);

// The metrics a threshold may name, for --help and error messages.
std::string threshold_metrics_help();

struct threshold_outcome {
    threshold rule;
    bool known = false; // the metric exists in the result
    double actual = 0;  // same unit as rule.limit
    bool pass = false;
};

// Compares `actual` (the value of rule.metric in a result, none when it has no such value) with
// the rule's limit; an unknown value never passes.
threshold_outcome evaluate(const threshold& rule, std::optional<double> actual);

// Whether `metric` names a latency statistic, e.g. "connect_p99": then the histogram it reads
// ("connect_us", as named in RESULTS-SCHEMA.md) and the statistic ("p99", "max", "mean", ...).
bool latency_metric(const std::string& metric, std::string* histogram, std::string* statistic);

// "20ms", "1.5s", "0.9999", "0": the limit or actual value in the rule's unit, for people.
std::string format_value(const threshold& rule, double value);

} // namespace chat::load
