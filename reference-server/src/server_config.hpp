// The reference server's settings: what the command line sets, with SPEC.md's defaults.
#pragma once

#include <cstddef>     // size_t
#include <cstdint>     // uint16_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // pair
#include <vector>      // vector

namespace chat_server {

enum class log_level { error, warn, info, debug };

const char* to_string(log_level l) noexcept;
std::optional<log_level> parse_log_level(std::string_view text);

// Deliberate defects for the conformance self-test (issue 3) and the load generator's
// measurement check (issue 4). Each breaks one SPEC.md clause on purpose. Only the test-only
// executable `chat-server-mutant` can select one; `chat-server` always runs `none`.
enum class mutant {
    none,
    history_99,           // HIST-1/2: keeps HISTORY_LIMIT - 1 messages
    history_101,          // HIST-1/2: keeps HISTORY_LIMIT + 1 messages
    history_keeps_oldest, // HIST-2: once full, new messages are not stored
    history_newest_first, // HIST-3: REST history reversed
    no_echo,              // MSG-1: the sender does not receive its own message
    cross_room_leak,      // MSG-7: a message is also delivered to another room's clients
    stale_room_count,     // ROOM-4: counts are never decremented
    slow_never_dropped,   // SLOW-1: unbounded queue
    slow_blocks_others,   // SLOW-3: a full queue stalls the room's fan-out
    crash_after_drop,     // SLOW-4: abort() right after dropping a slow client
    double_wrap,          // MSG-2: content is the whole raw frame text
    timestamp_seconds,    // MSG-3: timestamp in seconds
    live_before_replay,   // HIST-5: history replay delivered ~200 ms after joining
    wrong_rest_envelope,  // HIST-3/ROOM-3: REST bodies without the "data" wrapper
    unknown_room_200,     // HIST-4: history of an unknown room answers 200 []
    bad_frame_broadcast,  // MSG-5: non-JSON text frames broadcast with the raw text
    binary_broadcast,     // MSG-6: binary frames broadcast
    user_from_frame,      // MSG-8: user taken from the frame's "user" member
    no_general,           // ROOM-1: no `general` room at start
    plain_400,            // CONN-2: 400 bodies are plain text
    no_1009,              // WS-4: no message size limit
    wrong_method_404,     // HTTP-3: 405 cases answer 404
    drop_every_100th,     // ORD-3: each client silently misses every 100th message
    duplicate_delivery,   // ORD-3: every 50th message delivered twice
    broadcast_delay_20ms, // latency: every broadcast held 20 ms before fan-out
};

const char* to_string(mutant m) noexcept;
std::optional<mutant> parse_mutant(std::string_view name);
std::vector<std::string> mutant_names();

struct server_config {
    std::string address = "0.0.0.0";
    std::uint16_t port = 8082;             // 0 picks a free port
    unsigned threads = 0;                  // 0: one per hardware core
    std::size_t history_limit = 100;       // HISTORY_LIMIT
    std::size_t send_queue = 256;          // SEND_QUEUE
    std::size_t max_message_bytes = 65536; // MAX_MESSAGE_BYTES
    std::size_t max_name_bytes = 256;      // MAX_NAME_BYTES
    unsigned shutdown_grace_ms = 3000;     // then stragglers are cut (SHUTDOWN_MS is 5000)
    // An HTTP request (the upgrade included) must arrive whole within this, counted from the
    // connection's accept or the previous response (SPEC.md LIMIT-3: slowloris).
    unsigned handshake_timeout_ms = 10000;
    std::size_t max_rooms = 10000; // joins that would create a room beyond this get 503 (LIMIT-4)
    // When non-empty, an upgrade whose Origin header is not one of these gets 403 (SEC-1).
    // Requests without Origin (non-browser clients) are allowed.
    std::vector<std::string> allowed_origins;
    // Deployment options (README: "Serving behind TLS, a path or a gateway"); none is a clause.
    // With both files, every connection that starts with a TLS ClientHello is served over TLS
    // (https, wss) and the others as plain HTTP, on the same port.
    std::string tls_cert; // PEM certificate chain
    std::string tls_key;  // PEM private key
    // "" or "/prefix": the endpoints are served under it (/prefix/ws, /prefix/health, ...) and
    // every other target is 404.
    std::string base_path;
    // Every request (HTTP and upgrade) must carry each of these headers with exactly this value,
    // else 401 JSON, as an authenticating gateway would answer.
    std::vector<std::pair<std::string, std::string>> required_headers;
    log_level log = log_level::info;
    mutant defect = mutant::none;
};

} // namespace chat_server
