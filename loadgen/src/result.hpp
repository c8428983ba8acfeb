// The result of a run as types (RESULTS-SCHEMA.md): what the loops measured, finalised (validity,
// thresholds, verdict) and merged exactly across workers. JSON appears only at the file edge
// (result_json.hpp); the report and the console summary are in report.hpp.
#pragma once

#include "figures.hpp"
#include "histogram.hpp"
#include "stages.hpp"
#include "stats.hpp"
#include "threshold.hpp"

#include <array>    // array
#include <cstdint>  // int64_t, uint64_t
#include <map>      // map
#include <optional> // optional
#include <string>   // string
#include <utility>  // pair
#include <vector>   // vector

namespace chat::load {

struct scenario;

inline constexpr const char* result_schema = "chat-load.result";
inline constexpr int result_schema_version = 1;

// The scenario's parameters after validation, as the result records them (header values never).
struct scenario_record {
    std::string url;               // the first target URL
    std::vector<std::string> urls; // every target URL: one deployment
    long clients = 0, rooms = 0;
    std::string distribution;
    double zipf_exponent = 1;
    long senders_per_room = 0;
    double rate_per_sender = 0;
    std::string arrival;
    long message_size = 0;
    std::string room_prefix;
    std::int64_t duration_ms = 0, warm_up_ms = 0;
    std::string ramp_up;
    double ramp_per_second = 0;
    std::int64_t lifetime_ms = 0, connect_timeout_ms = 0;
    long connect_concurrency = 0;
    double slow_readers = 0, churn_per_second = 0;
    long churn_pool = 0, churn_rooms = 0, churn_cycles = 0;
    double churn_send = 0;
    long rest_pollers = 0;
    double rest_rate = 0;
    std::vector<std::string> source_addresses, header_names;
    std::string origin, ca_file;
    bool insecure = false;
    std::optional<long> worker_index; // none after merge
    long worker_count = 1;
    std::int64_t start_at_unix_ms = 0;
    long threads = 1;
    std::vector<std::string> thresholds;
    std::uint64_t seed = 0;
    std::int64_t max_loop_lag_us = 50000, max_schedule_lag_us = 50000;
    double max_cpu = 0.95;
};

// `s` validated; `room_prefix` as the plan chose it.
scenario_record record_of(const scenario& s, const std::string& room_prefix);

// What this process (or the merged workers) actually ran.
struct plan_record {
    long clients = 0, rooms = 0, senders = 0, slow_clients = 0;
};

struct worker_environment {
    std::string hostname;
    long pid = 0;
    unsigned hardware_threads = 0;
    long generator_threads = 0;
    long worker = 0;
};

struct limits_record {
    struct open_files {
        std::uint64_t soft = 0, hard = 0;
    };
    struct port_range {
        unsigned first = 0, last = 0;
    };
    std::optional<open_files> open_file_limit;
    std::optional<port_range> ephemeral_ports;
    std::uint64_t source_addresses = 1, max_clients_by_open_files = 0, max_clients_by_ports = 0,
                  clients_in_this_process = 0;
};

// Generator memory, bytes; sums over workers after merge.
struct memory_record {
    std::uint64_t rss_before_clients = 0, rss_idle = 0, rss_end_of_measure = 0;
    std::uint64_t idle_growth = 0;
    long idle_clients = 0;
    double idle_bytes_per_client() const noexcept {
        return idle_clients > 0
                   ? static_cast<double>(idle_growth) / static_cast<double>(idle_clients)
                   : 0.0;
    }
};

// Generator CPU over the measured window.
struct cpu_record {
    double seconds = 0, wall_seconds = 0;
    double runqueue_wait_seconds = -1; // -1: unknown
    long threads = 0;
    double utilization_max = 0; // seconds / (wall x threads); the highest worker's after merge
};

// The server's own figures with --server-pid (a local server process): CPU time and resident
// memory from /proc, beside the client figures. Absent without --server-pid.
struct server_record {
    long pid = 0;
    std::string error; // why some or all figures are missing, e.g. "not supported on this platform"
    double cpu_seconds = 0;       // user + system CPU over the measured window
    double wall_seconds = 0;      // the measured window
    std::uint64_t deliveries = 0; // counted deliveries of the measured window
    std::uint64_t rss_before_clients = 0, rss_idle = 0, rss_end_of_measure = 0, rss_max = 0;
    long connections = 0; // clients connected when rss_idle was read
    struct sample {
        double second = 0;    // since the timeline start
        double cpu_share = 0; // CPU seconds per second since the previous sample (1 = one core)
        std::uint64_t rss_bytes = 0;
    };
    std::vector<sample> samples; // about once a second
    // CPU-microseconds the server spent per counted delivery; 0 without deliveries.
    double cpu_us_per_delivery() const noexcept {
        return deliveries ? cpu_seconds * 1e6 / static_cast<double>(deliveries) : 0.0;
    }
    // Resident bytes each idle connection added (rss_idle - rss_before_clients) / connections.
    double bytes_per_connection() const noexcept {
        return connections > 0 && rss_idle > rss_before_clients
                   ? static_cast<double>(rss_idle - rss_before_clients) /
                         static_cast<double>(connections)
                   : 0.0;
    }
};

struct validity_check {
    std::string name;
    double limit = 0, actual = 0;
    bool ok = true;
};

struct validity_record {
    bool valid = true;
    std::vector<validity_check> checks;
    std::vector<std::string> reasons; // sentences, one per failed check
};

struct threshold_result {
    threshold rule;
    std::optional<double> actual; // none: no such value in this result (fails)
    bool pass = false;
};

// One worker's part of a merged result.
struct merged_part {
    std::string source;
    std::optional<long> worker_index;
    long worker_count = 1;
    std::string tag, verdict;
    validity_record validity;
    memory_record memory;
    cpu_record cpu;
};

struct run_record {
    std::string tag;
    std::string target; // the first URL
    std::optional<long> worker_index;
    long worker_count = 1;
    std::int64_t timeline_start_unix_ms = 0, connect_done_unix_ms = 0, send_start_unix_ms = 0,
                 measure_start_unix_ms = 0, measure_end_unix_ms = 0, drain_end_unix_ms = 0;
    std::string ended_early; // why the measured window ended early ("" when it ran its length)
    std::vector<merged_part> merged_from; // empty unless merged
    double measure_seconds() const noexcept {
        return static_cast<double>(measure_end_unix_ms - measure_start_unix_ms) / 1000.0;
    }
};

// The exact histograms of a run, in microseconds.
struct histogram_set {
    histogram latency;        // from intended send time, counted deliveries
    histogram latency_actual; // from the time the message was written
    histogram connect, rest, loop_lag, schedule_lag;
    // Counted deliveries whose sender sat on the receiver's endpoint, or on another one.
    histogram latency_same_endpoint, latency_cross_endpoint;
    void merge(const histogram_set& o);
};

// Every histogram of a set with its name in the result ("latency_us", ...).
using histogram_member = histogram histogram_set::*;
inline constexpr std::array<std::pair<const char*, histogram_member>, 8> histogram_names{{
    {"latency_us", &histogram_set::latency},
    {"latency_actual_us", &histogram_set::latency_actual},
    {"connect_us", &histogram_set::connect},
    {"rest_us", &histogram_set::rest},
    {"loop_lag_us", &histogram_set::loop_lag},
    {"schedule_lag_us", &histogram_set::schedule_lag},
    {"latency_same_endpoint_us", &histogram_set::latency_same_endpoint},
    {"latency_cross_endpoint_us", &histogram_set::latency_cross_endpoint},
}};
const histogram* find_histogram(const histogram_set& h, const std::string& name);

// What the clients of one target URL saw: connects of the clients placed on it, and the counted
// deliveries they received (latency from intended send time).
struct endpoint_record {
    std::string url;
    std::uint64_t connects = 0, connect_failures = 0, delivered = 0;
    std::uint64_t delivered_same_endpoint = 0, delivered_cross_endpoint = 0;
    histogram latency;
    void merge(const endpoint_record& o);
};

// One second of a run: what a loop publishes, and the result's timeline.
struct timeline_point {
    long second = 0; // since the timeline start
    counters c;
    sparse_histogram latency; // counted deliveries of that second
    long connected = 0;
    std::int64_t loop_lag_max_us = 0;
};

// Timelines of several loops or workers added second by second.
class timeline_sum {
public:
    // Adds every point to second `point.second + shift_s`.
    void add(const std::vector<timeline_point>& points, long shift_s = 0);
    std::vector<timeline_point> points() const; // in order of seconds

private:
    std::map<long, timeline_point> by_second_;
};

// One --stage of a run: what its measured seconds did (seconds assigned by their midpoint).
struct stage_record {
    std::string text;                          // as given, e.g. "30s,rate=50"
    double from_s = 0, to_s = 0;               // since the measured window began
    double rate_from = 0, rate_to = 0;         // messages per second per sender, start and end
    long clients_from = 0, clients_to = 0;     // the client target at its start and end
    long connected_min = 0, connected_max = 0; // clients connected, read at the ends of the
    long connected_readings = 0;               // timeline seconds that fall in it
    std::uint64_t sent = 0, delivered = 0, errors = 0;
    double seconds = 0; // timeline seconds that fell in the stage
    double delivered_per_s() const noexcept {
        return seconds > 0 ? static_cast<double>(delivered) / seconds : 0.0;
    }
    std::int64_t p50_us = 0, p99_us = 0; // intended-time latency of its counted deliveries
};

// The whole result. The parts above `validity` are measured (and merge exactly); `validity`,
// `thresholds`, `verdict` and `exit_code` are derived by finalize().
struct run_result {
    scenario_record scenario;
    run_record run;
    plan_record plan;
    std::vector<worker_environment> environment;
    std::vector<limits_record> limits; // one per process
    memory_record memory;
    cpu_record cpu;
    std::optional<server_record> server; // with --server-pid; not merged across workers
    counters totals;
    std::uint64_t expected = 0;
    histogram_set histograms;
    std::vector<endpoint_record> endpoints; // one per target URL, in the order given
    std::vector<timeline_point> timeline;   // one per second since run.timeline_start_unix_ms
    std::vector<stage_record> stages;       // with --stage; not merged across workers

    validity_record validity;
    std::vector<threshold_result> thresholds;
    std::string verdict = "PASS"; // PASS, FAIL or INVALID
    int exit_code = 0;

    // Derived totals.
    std::uint64_t lost() const noexcept;       // expected - delivered - late, never negative
    std::uint64_t unexpected() const noexcept; // delivered + late beyond expected (a harness bug)
    std::optional<double> delivery() const noexcept; // delivered / expected; none when 0 expected
    double delivered_per_s() const noexcept;
    double sent_per_s() const noexcept;
};

// The stages' figures from a result's timeline (run.measure_start_unix_ms aligns them).
// `texts` and `stages` in the same order; `start`: the rate per sender and the client target
// before the first stage (`start.index` unused).
std::vector<stage_record> stage_results(const run_result& r, const std::vector<std::string>& texts,
                                        const std::vector<stage>& stages, stage_point start);

// The value a threshold metric names ("p99", "delivery", ...), in its unit; none when the
// result has no such value (an empty histogram has no percentile; no delivery ratio without
// expected deliveries).
std::optional<double> metric_value(const run_result& r, const std::string& metric);

// Recomputes validity, thresholds, verdict and exit code from the measured parts.
void finalize(run_result& r, const std::vector<threshold>& thresholds);

// Exact merge of worker results (counters add, histograms add bucket by bucket, timelines align
// by absolute time, endpoints by URL); `sources` names each for the record. Thresholds are
// applied to the merged result. Throws std::invalid_argument when `results` is empty.
run_result merge(const std::vector<run_result>& results, const std::vector<std::string>& sources,
                 const std::vector<threshold>& thresholds);

// The thresholds recorded in a result's scenario (used by merge when none are given).
std::vector<threshold> thresholds_of(const run_result& r);

} // namespace chat::load
