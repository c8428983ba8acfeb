// The concrete layout of a scenario: which client sits in which room, who sends, who reads
// slowly, when who churns. Every worker computes the same global layout from the same seed and
// keeps the rooms k with k % N == I, so whole rooms (senders and receivers) live in one process.
#pragma once

#include "scenario.hpp"

#include <cstdint> // int64_t, uint64_t
#include <string>  // string
#include <vector>  // vector

namespace chat::load {

struct room_plan {
    long index = 0;        // global room index
    std::string name;      // PREFIX-0000
    long first_client = 0; // global index of its first client; its senders come first
    long clients = 0;
    long senders = 0;
};

struct client_plan {
    long global_index = 0;
    std::uint32_t room = 0; // index into plan::rooms (this worker's rooms)
    bool sender = false;
    std::uint32_t sender_slot = 0; // 0..senders-1 within the room, for senders
    bool slow = false;
    bool starts_away = false; // a --stage client ramp wants it only later: not in the connect phase
    std::string user;         // u<global index>
};

// A planned change of a client's membership, relative to the start of sending (microseconds):
// churn (--churn: leave and rejoin at once), or a step of the --stage client ramp (leave: a
// planned leave until a later join).
enum class membership_change : std::uint8_t { churn, leave, join };
struct churn_event {
    std::int64_t at_us = 0;
    std::uint32_t client = 0; // index into plan::clients
    membership_change what = membership_change::churn;
};

struct plan {
    std::string room_prefix;
    std::vector<room_plan> rooms;     // this worker's rooms
    std::vector<client_plan> clients; // this worker's clients
    std::vector<churn_event> churn;   // sorted by time; churn and the client ramp
    std::vector<long> pollers;        // global poller indices this worker runs
    long total_clients = 0;           // whole scenario
    long total_rooms = 0;
    long senders = 0;      // this worker's
    long slow = 0;         // this worker's
    long starting = 0;     // this worker's clients connected before sending (not starts_away)
    long churners = 0;     // this worker's share of --churn-pool
    long churn_cycles = 0; // this worker's share of --churn-cycles (0: unlimited)
};

// Clients per room for the whole scenario: even, or zipf with every room getting at least one.
std::vector<long> room_sizes(const scenario& s);

// `run_tag` names fresh rooms when --room-prefix is not given.
plan make_plan(const scenario& s, const std::string& run_tag);

// Small, fast, seedable, and the same on every platform (std distributions are not).
struct rng {
    std::uint64_t state;
    explicit rng(std::uint64_t seed)
        : state(seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL) {}
    std::uint64_t next() noexcept { // splitmix64
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; } // [0,1)
    std::uint64_t below(std::uint64_t n) noexcept { return n ? next() % n : 0; }
};

} // namespace chat::load
