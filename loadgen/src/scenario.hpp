// A load scenario: what to run against a server, from flags or a CLI11 config file, with
// validation that names the flag and the value it rejects.
#pragma once

#include "stages.hpp"
#include "threshold.hpp"

#include "chat/cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>   // int64_t, uint64_t
#include <stdexcept> // invalid_argument
#include <string>    // string
#include <utility>   // pair
#include <vector>    // vector

namespace chat::load {

struct scenario {
    // Target and shape.
    std::vector<std::string> urls; // one deployment: client i connects to urls[i mod N]
    std::string url;               // urls.front(), set by validate()
    std::string config;            // --config FILE
    long clients = 100;
    long rooms = 10;
    std::string distribution = "even"; // even | zipf (alias: skewed)
    double zipf_exponent = 1.0;
    long senders_per_room = 1;
    double rate = 1.0;                // messages per second per sender
    std::string arrival = "constant"; // constant | poisson
    long message_size = 128;          // bytes of `content`
    std::string room_prefix;          // default: "load-<run tag>"

    // Time (durations as written, e.g. "30s"; parsed into the *_ms fields by validate()).
    std::string duration = "10s";
    std::string warm_up = "1s";
    std::string ramp_up = "0";   // "0" (as fast as allowed), "500/s" or "10s"
    std::string lifetime = "2s"; // how long a message may take to count as delivered
    std::string connect_timeout = "10s";
    long connect_concurrency = 256; // connection attempts in flight at once

    // Mixed-in behaviours.
    double slow_readers = 0.0; // fraction of clients that stop reading
    double churn = 0.0;        // leave+rejoin per second (whole scenario)
    // Churn pool: clients outside the measured rooms that cycle connect, join a random churn
    // room, maybe send one message, leave (close handshake), again and again.
    long churn_pool = 0;     // clients cycling (whole scenario)
    long churn_rooms = 100;  // rooms they pick from: PREFIX-c0 .. PREFIX-c<N-1>
    long churn_cycles = 0;   // total cycles (whole scenario); 0: until --duration ends
    double churn_send = 0.5; // fraction of cycles that send one message before leaving
    long rest_pollers = 0;
    double rest_rate = 1.0; // requests per second per poller

    // Where and how.
    std::vector<std::string> source_addresses; // local addresses to bind, round-robin
    std::vector<std::string> headers;          // --header 'Name: value', on every request
    std::string origin;                        // --origin: Origin header on every request
    std::string ca_file;                       // --ca-file: trusted CAs for https:// and wss://
    bool insecure = false;                     // --insecure: no certificate verification
    std::string worker = "0/1";                // I/N
    std::string start_at;                      // Unix ms or ISO 8601 UTC ("2024-05-01T12:00:00Z")
    long threads = 1;
    std::vector<std::string> stage_texts; // --stage DURATION[,rate=R][,clients=N] (repeatable)
    bool abort_on_fail = false;    // --abort-on-fail: every threshold ends the run once it fails
    std::string abort_delay = "0"; // --abort-delay: from this far into the measured window
    long server_pid = 0;           // --server-pid: sample this local process's CPU and memory
    std::vector<std::string> thresholds;
    chat::cli::report_options report; // -o, --format, --report-name, --no-report
    bool quiet = false;
    std::uint64_t seed = 1;

    // Self-watching: past these the run is INVALID (the generator, not the server, is slow).
    std::string max_loop_lag = "50ms";     // p99 of event-loop lag
    std::string max_schedule_lag = "50ms"; // p99 of senders' lateness against their schedule
    double max_cpu = 0.95;                 // share of the generator's threads kept busy

    // Parsed by validate().
    std::int64_t duration_ms = 0, warm_up_ms = 0, lifetime_ms = 0, connect_timeout_ms = 0;
    double ramp_per_second = 0; // 0: unlimited
    std::int64_t max_loop_lag_us = 0, max_schedule_lag_us = 0;
    long worker_index = 0, worker_count = 1;
    std::int64_t start_at_unix_ms = 0; // 0: start now
    std::vector<threshold> parsed_thresholds;
    std::vector<stage> stages; // parsed --stage; then duration_ms is their total
    // The plan's size: --clients, or with a --stage clients=N ramp the most clients any point
    // of the run asks for (--clients is then where the ramp starts).
    long plan_clients = 0;
    std::vector<std::pair<std::string, std::string>> parsed_headers;
    bool zipf = false, poisson = false;

    std::vector<std::string> header_names() const;
};

// Registers every scenario flag on `app` (the `run` subcommand), bound to `s`.
void add_options(CLI::App& app, scenario& s);

// Reads a CLI11 config file (INI or TOML: `key = value`, `threshold = ["p99<20ms", ...]`) into
// the options of `app` that the command line left unset (the command line wins). Call after
// parsing. Throws std::invalid_argument naming the file and an unknown key or unreadable file.
void apply_config_file(CLI::App& app, const std::string& path);

// Checks every value and fills the parsed fields; throws std::invalid_argument with a message
// naming the flag and the value, e.g. "--rate must be > 0 (got -5)".
void validate(scenario& s);

// "30s", "1.5s", "250ms", "100us", "2m", "1h"; a bare number means seconds. Throws
// std::invalid_argument naming `flag` and the text when it is not a duration.
std::int64_t parse_duration_us(const std::string& flag, const std::string& text);

// Unix milliseconds or ISO 8601 UTC ("2024-05-01T12:00:00Z", optional .mmm).
std::int64_t parse_start_at(const std::string& text);

} // namespace chat::load
