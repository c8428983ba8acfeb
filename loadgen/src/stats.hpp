// What one event loop counts: totals for the run and the slot of the current second.
#pragma once

#include "histogram.hpp"

#include <array>   // array
#include <cstddef> // size_t
#include <cstdint> // uint64_t
#include <utility> // pair

namespace chat::load {

enum class error_kind : std::uint8_t {
    connect_refused,     // TCP connect refused
    connect_timeout,     // TCP connect + upgrade did not finish within --connect-timeout
    connect_failed,      // any other connect error (unreachable, no ports, bind)
    upgrade_rejected,    // the server answered the upgrade with a status other than 101
    upgrade_invalid,     // 101 without a valid Sec-WebSocket-Accept, or an unreadable response
    read_failed,         // a read error other than the peer closing
    write_failed,        // a write error
    closed_by_server,    // a client that keeps reading was disconnected by the server
    protocol_violation,  // a malformed WebSocket frame from the server
    bad_message,         // a text message that is not a chat message
    misrouted,           // a message of another room arrived (MSG-7)
    sender_disconnected, // a scheduled message could not be sent: its sender is not connected
    rest_failed,         // a REST request failed on the transport (refused, timeout)
    rest_status,         // a REST request answered with a status other than 200
    rest_skipped,        // a REST poller had too many requests outstanding to send on time
    tls_failed,          // the TLS handshake failed (verification, protocol)
    count_
};
constexpr std::size_t error_kinds = static_cast<std::size_t>(error_kind::count_);
const char* to_string(error_kind k) noexcept;

struct counters {
    std::uint64_t sent = 0;        // measured messages handed to the socket
    std::uint64_t sent_warmup = 0; // messages sent during warm-up (not counted)
    std::uint64_t delivered = 0;   // live deliveries that count (see README: delivery rule)
    std::uint64_t late = 0; // live deliveries that came more than --lifetime after intended send
    std::uint64_t duplicates = 0;        // a message a client had already received
    std::uint64_t out_of_order = 0;      // a message older than one already received
    std::uint64_t history = 0;           // replayed history: sent before the client asked to join
    std::uint64_t join_window = 0;       // sent while the client was joining: neither counted
    std::uint64_t warmup_deliveries = 0; // deliveries of warm-up messages
    std::uint64_t outside_window = 0;    // sent less than --lifetime before a planned leave
    std::uint64_t slow_deliveries = 0;   // messages slow readers read before they stopped
    std::uint64_t foreign = 0;           // chat messages not from this run
    std::uint64_t connects = 0;          // successful upgrades (including churn rejoins)
    std::uint64_t connect_failures = 0;
    std::uint64_t dropped_slow = 0; // designated slow readers the server disconnected
    std::uint64_t dropped = 0;      // other clients the server disconnected
    std::uint64_t churn_leaves = 0;
    std::uint64_t churn_rejoins = 0;
    std::uint64_t churn_skipped = 0;        // the chosen client was not connected at the time
    std::uint64_t churn_cycles = 0;         // churn-pool cycles completed (connect, join, leave)
    std::uint64_t churn_cycle_failures = 0; // churn-pool cycles that failed (also in errors)
    std::uint64_t rest_requests = 0;
    std::uint64_t rest_errors = 0;
    std::array<std::uint64_t, error_kinds> errors{};

    // Errors by their causes. `sender_disconnected` is left out: a message not sent because its
    // sender had been dropped or never connected is a consequence of an error counted already
    // (closed_by_server, connect_*), not one more (see not_sent()).
    std::uint64_t error_total() const noexcept {
        std::uint64_t n = 0;
        for (std::size_t k = 0; k < errors.size(); ++k)
            if (k != static_cast<std::size_t>(error_kind::sender_disconnected))
                n += errors[k];
        return n;
    }
    // Scheduled measured messages not sent: their sender was not connected.
    std::uint64_t not_sent() const noexcept {
        return errors[static_cast<std::size_t>(error_kind::sender_disconnected)];
    }
    void add(const counters& o) noexcept;
};

// Every counter but `errors`, with its name in the results (RESULTS-SCHEMA.md, "totals").
using counter_member = std::uint64_t counters::*;
inline constexpr std::array<std::pair<const char*, counter_member>, 23> counter_names{{
    {"sent", &counters::sent},
    {"sent_warmup", &counters::sent_warmup},
    {"delivered", &counters::delivered},
    {"late", &counters::late},
    {"duplicates", &counters::duplicates},
    {"out_of_order", &counters::out_of_order},
    {"history", &counters::history},
    {"join_window", &counters::join_window},
    {"warmup_deliveries", &counters::warmup_deliveries},
    {"outside_window", &counters::outside_window},
    {"slow_deliveries", &counters::slow_deliveries},
    {"foreign", &counters::foreign},
    {"connects", &counters::connects},
    {"connect_failures", &counters::connect_failures},
    {"dropped_slow", &counters::dropped_slow},
    {"dropped", &counters::dropped},
    {"churn_leaves", &counters::churn_leaves},
    {"churn_rejoins", &counters::churn_rejoins},
    {"churn_skipped", &counters::churn_skipped},
    {"churn_cycles", &counters::churn_cycles},
    {"churn_cycle_failures", &counters::churn_cycle_failures},
    {"rest_requests", &counters::rest_requests},
    {"rest_errors", &counters::rest_errors},
}};

// One second of the timeline as one loop saw it.
struct second_slot {
    long second = 0; // since the timeline start
    counters c;
    histogram latency; // from intended send time, counted and late deliveries
    long connected = 0;
    std::int64_t loop_lag_max_us = 0;
};

} // namespace chat::load
