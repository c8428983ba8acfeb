// Stages of a run (k6's `stages` and ramping arrival rate, Gatling's injection profiles): the
// send rate and the number of clients move linearly from one stage's target to the next.
#pragma once

#include <chrono>      // microseconds
#include <cstddef>     // size_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace chat::load {

// One stage: over `duration`, ramp linearly from where the previous stage ended (the run's
// --rate and --clients before the first) to `rate` (messages per second per sender) and
// `clients`; a target left out stays where it was.
struct stage {
    std::chrono::microseconds duration{};
    std::optional<double> rate;
    std::optional<long> clients;
};

// Parses `DURATION[,rate=R][,clients=N]`, e.g. "30s,rate=50", "1m,rate=200,clients=2000",
// "10s" (hold). Durations as everywhere (cli::parse_duration), > 0; rate > 0 and <= 100000;
// clients a whole number >= 0. Throws std::invalid_argument("--stage 'TEXT': WHY").
stage parse_stage(std::string_view text);

// The targets at time `t` since sending began, for stages after a start of (`rate`, `clients`).
struct stage_point {
    double rate = 0;       // messages per second per sender
    long clients = 0;      // clients that should be connected
    std::size_t index = 0; // the stage `t` falls in; stages.size() once they are all over
};
stage_point stage_at(const std::vector<stage>& stages, double rate, long clients,
                     std::chrono::microseconds t);

// The sum of the stages' durations: the measured sending time of a staged run.
std::chrono::microseconds total_duration(const std::vector<stage>& stages);

// The highest rate and client count any point of the stages asks for (to size the plan).
stage_point peak(const std::vector<stage>& stages, double rate, long clients);

// Whether any stage sets a client target (clients=N).
bool ramps_clients(const std::vector<stage>& stages);

// A receiver joining or leaving as the client target crosses it.
struct ramp_crossing {
    std::chrono::microseconds at{}; // since sending began (the start of the measured window)
    long receiver = 0;              // rank in the ramp's order, 0-based
    bool join = false;              // true: ramp up; false: its planned leave (ramp down)
};

// The client target moves linearly from `clients` (before the first stage) through the stages'
// targets; `always` clients (senders, slow readers) stay connected throughout, so receiver i
// is a member while target(t) > always + i. Returns, in order of time, the crossings of
// receivers 0 .. receivers-1 over the stages (membership at t = 0 is target(0) > always + i).
std::vector<ramp_crossing> ramp_crossings(const std::vector<stage>& stages, long clients,
                                          long always, long receivers);

} // namespace chat::load
