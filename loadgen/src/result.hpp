// The result document of a run (RESULTS-SCHEMA.md): built from what the loops measured,
// finalised (derived totals, percentiles, validity, thresholds, verdict), merged exactly
// across workers, and turned into a report document and a summary table.
#pragma once

#include "histogram.hpp"
#include "scenario.hpp"
#include "stats.hpp"

#include "chat/reports/document.hpp"

#include <nlohmann/json.hpp>

#include <cstdint> // int64_t, uint64_t
#include <ostream> // ostream
#include <string>  // string
#include <vector>  // vector

namespace chat::load {

inline constexpr const char* result_schema = "chat-load.result";
inline constexpr int result_schema_version = 1;

struct timeline_point {
    long second = 0;
    counters c;
    histogram latency;
    long connected = 0;
    std::int64_t loop_lag_max_us = 0;
};

// Everything a single process measured, before it becomes JSON.
struct raw_result {
    nlohmann::json scenario;
    nlohmann::json limits;
    std::string run_tag;
    counters totals;
    std::uint64_t expected = 0;
    histogram latency, latency_actual, connect, rest, loop_lag, schedule_lag;
    std::vector<timeline_point> timeline;
    std::int64_t timeline_start_unix_ms = 0, connect_done_unix_ms = 0, send_start_unix_ms = 0,
                 measure_start_unix_ms = 0, measure_end_unix_ms = 0, drain_end_unix_ms = 0;
    long clients_planned = 0, clients_connected_idle = 0, slow_clients = 0, senders = 0, rooms = 0;
    double cpu_seconds = 0, cpu_wall_seconds = 0;
    double runqueue_wait_seconds = -1; // -1: unknown
    std::uint64_t rss_before = 0, rss_idle = 0, rss_end = 0;
    std::string hostname;
    unsigned hardware_threads = 0;
};

// JSON of a single run, finalised with the scenario's thresholds.
nlohmann::json build_result(const raw_result& r, const scenario& s);

// Recomputes everything derived (totals, summary, timeline percentiles, validity, thresholds,
// verdict, exit code) from the exact parts (counters, histograms, timeline histograms).
void finalize(nlohmann::json& doc, const std::vector<threshold>& thresholds);

// Exact merge of worker results; throws std::invalid_argument when one is not a chat-load
// result of this schema version. Thresholds are applied to the merged result.
nlohmann::json merge(const std::vector<nlohmann::json>& results,
                     const std::vector<std::string>& sources,
                     const std::vector<threshold>& thresholds);

// The thresholds recorded in a result's scenario (used by merge when none are given).
std::vector<threshold> thresholds_of(const nlohmann::json& doc);

chat::reports::document to_document(const nlohmann::json& doc);

// The end-of-run table for stdout.
void print_summary(const nlohmann::json& doc, std::ostream& out);

// 1234567 -> "1,234,567", for people reading figures.
std::string with_commas(std::uint64_t v);

} // namespace chat::load
