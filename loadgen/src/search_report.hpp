// `chat-load search` as a result: the steps a capacity search ran, its verdict and exit code,
// the report document (steps table, knee charts) and the console summary. The steps themselves
// are full runs (engine.hpp); JSON is written in result_json.cpp.
#pragma once

#include "result.hpp"
#include "search.hpp"

#include "chat/reports/document.hpp"

#include <ostream> // ostream
#include <string>  // string
#include <vector>  // vector

namespace chat::load {

struct scenario;

inline constexpr const char* search_schema = "chat-load.search";
inline constexpr int search_schema_version = 1;

// Exit codes of `chat-load search`.
inline constexpr int search_exit_found = 0;       // a passing step below a failing one
inline constexpr int search_exit_none_passed = 1; // no step met the SLO
inline constexpr int search_exit_invalid = 2;     // harness error, or a step INVALID before a pass
inline constexpr int search_exit_lower_bound = 3; // steps passed but none failed: capacity >= that

// Deliveries per second that one message per second per sender makes in scenario `s` (validated
// shape): the sum over rooms of min(senders per room, room size) x room size, each member
// (the sender too) receiving every message of its room. Offered deliveries/s = this x --rate.
double deliveries_per_unit_rate(const scenario& s);

// What a step ran besides the search's own figures (one per search_result::steps entry).
struct search_step_detail {
    double rate_per_sender = 0; // messages per second per sender
    std::string room_prefix;    // fresh rooms of this step
    std::string verdict;        // the run's PASS, FAIL or INVALID; "ERROR" when it could not run
    double sent_per_s = 0;
    std::uint64_t errors = 0, lost = 0;
    double measure_seconds = 0;
    // With --server-pid: the server's CPU-microseconds per delivery and resident memory (0: not
    // measured).
    double server_cpu_us_per_delivery = 0;
    std::uint64_t server_rss_max = 0;
};

struct search_run {
    scenario_record scenario; // the load shape (its rate: the first step's)
    std::vector<std::string> slo;
    search_options options;
    std::int64_t step_ms = 0; // measured window of each step
    double deliveries_per_unit_rate = 0;
    search_result result;
    std::vector<search_step_detail> details; // parallel to result.steps
    double wall_seconds = 0;
    std::string verdict; // FOUND, NONE PASSED, INVALID, LOWER BOUND
    int exit_code = 0;
};

// Sets verdict and exit_code from result (search_exit_*).
void finalize(search_run& r);

// The report: the capacity first, then the step table and the knee charts (p50 and p99 against
// offered rate; delivery ratio and delivered/s against offered rate). doc.data: to_json(r).
chat::reports::document to_document(const search_run& r);

// The capacity lines for stdout.
void print_summary(const search_run& r, std::ostream& out);

} // namespace chat::load
