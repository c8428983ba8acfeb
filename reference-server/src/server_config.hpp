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
    // "" or nats://HOST:PORT: one node of a deployment whose rooms live in NATS JetStream
    // (backplane.hpp; SPEC.md "Deployments").
    std::string cluster;
};

} // namespace chat_server
