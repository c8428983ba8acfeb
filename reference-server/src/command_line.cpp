// chat-server's command line and life: parses the options, listens, prints the address it
// listens on, and runs until SIGINT or SIGTERM. A test build may extend the command line.
#include "command_line.hpp"

#include "server.hpp"

#include "chat/cli.hpp"
#include "chat/url.hpp"

#include <CLI/CLI.hpp>

#include <algorithm> // max
#include <chrono>    // milliseconds
#include <cstdint>   // uint64_t
#include <cstdio>    // fflush
#include <iostream>  // cout, cerr
#include <stdexcept> // runtime_error
#include <string>    // string
#include <thread>    // hardware_concurrency
#include <vector>    // vector

namespace chat_server {

namespace {

// Listens, prints where, and serves until SIGINT or SIGTERM; 2 when the port cannot be bound.
int serve(const server_config& config, command_line_extension* extension) {
    server s(config, extension ? extension->hooks(config) : nullptr);
    if (auto error = s.listen(); !error.empty()) {
        std::cerr << "chat-server: " << error << '\n';
        return 2;
    }
    const bool v6 = config.address.find(':') != std::string::npos;
    const std::string where = (v6 ? "[" : "") + config.address + (v6 ? "]" : "") + ":" +
                              std::to_string(s.port()) + config.base_path;
    std::cout << "chat-server listening on http://" << where;
    if (!config.tls_cert.empty())
        std::cout << " (and https://" << where << " on the same port)";
    if (extension)
        std::cout << extension->describe();
    std::cout << std::endl;
    s.handle_signals();
    s.start();
    s.wait();
    return 0;
}

} // namespace

int run_chat_server(int argc, char** argv, command_line_extension* extension) {
    server_config config;
    config.threads = std::max(1u, std::thread::hardware_concurrency());
    std::chrono::milliseconds handshake_timeout{config.handshake_timeout_ms};
    std::string log_level = to_string(config.log);
    std::vector<std::string> required_headers;

    CLI::App app{"chat-server: the reference chat server of SPEC.md (WebSocket rooms with "
                 "history, REST listing), on Boost.Beast."};
    app.option_defaults()->always_capture_default();
    app.add_option("--address", config.address, "IPv4 or IPv6 address to listen on")
        ->type_name("ADDRESS")
        ->capture_default_str();
    app.add_option("--port", config.port,
                   "TCP port; 0 picks a free port (the line printed on start "
                   "says which)")
        ->capture_default_str()
        ->check(chat::cli::between(0, 65535));
    app.add_option("--threads", config.threads, "threads running the io_context (default: cores)")
        ->capture_default_str()
        ->check(chat::cli::between(1, 1024));
    app.add_option("--history-limit", config.history_limit,
                   "messages kept per room (HISTORY_LIMIT)")
        ->capture_default_str()
        ->check(chat::cli::between(0, 1'000'000));
    app.add_option("--send-queue", config.send_queue,
                   "messages a client's queue holds before the client is dropped (SEND_QUEUE)")
        ->capture_default_str()
        ->check(chat::cli::between(1, 1'000'000));
    app.add_option("--max-message-bytes", config.max_message_bytes,
                   "largest WebSocket message a client may send; larger closes with 1009 "
                   "(MAX_MESSAGE_BYTES)")
        ->capture_default_str()
        ->check(chat::cli::between(1, 4294967296.0));
    app.add_option("--max-name-bytes", config.max_name_bytes,
                   "longest room or user name after decoding; longer is answered 400 "
                   "(MAX_NAME_BYTES)")
        ->capture_default_str()
        ->check(chat::cli::between(1, 1'000'000));
    chat::cli::add_duration(app, "--handshake-timeout", handshake_timeout,
                            "an HTTP request or WebSocket upgrade must arrive whole within this; "
                            "slower connections are closed (LIMIT-3)",
                            std::chrono::milliseconds(1), std::chrono::hours(1));
    // Release 0.1's name, in milliseconds, kept for scripts (hidden from --help).
    app.add_option("--handshake-timeout-ms", config.handshake_timeout_ms)
        ->group("")
        ->check(chat::cli::between(1, 3'600'000));
    app.add_option("--max-rooms", config.max_rooms,
                   "most rooms the server keeps; a join that would create one more is answered "
                   "503 (LIMIT-4)")
        ->capture_default_str()
        ->check(chat::cli::between(1, 100'000'000));
    app.add_option("--allowed-origin", config.allowed_origins,
                   "repeatable; when given, a WebSocket upgrade whose Origin header is none of "
                   "these is answered 403 (requests without Origin are allowed; SEC-1)")
        ->type_name("ORIGIN");
    app.add_option("--tls-cert", config.tls_cert,
                   "PEM certificate chain; with --tls-key the port serves TLS (https://, wss://) "
                   "as well as plain HTTP: each connection that opens with a TLS ClientHello gets "
                   "the TLS handshake (within --handshake-timeout)")
        ->type_name("FILE");
    app.add_option("--tls-key", config.tls_key, "PEM private key of --tls-cert")->type_name("FILE");
    app.add_option("--base-path", config.base_path,
                   "serve every endpoint under this path, as behind a reverse proxy that mounts "
                   "the chat there: /PREFIX/ws, /PREFIX/api/rooms, /PREFIX/health; anything else "
                   "is 404")
        ->type_name("/PREFIX");
    app.add_option("--require-header", required_headers,
                   "repeatable; every request (HTTP and WebSocket upgrade) must carry this header "
                   "with exactly this value, else 401 JSON: emulates an authenticating gateway "
                   "(to test that clients send --header on every request)")
        ->type_name("'NAME: VALUE'");
    app.add_option("--log-level", log_level,
                   "error|warn|info|debug; info logs one line per connection open/close/drop "
                   "on stderr")
        ->type_name("LEVEL")
        ->capture_default_str()
        ->check(chat::cli::one_of({"error", "warn", "info", "debug"}));
    app.add_option("--cluster", config.cluster,
                   "serve one logical chat with every other chat-server given the same NATS "
                   "server (JetStream on: nats-server -js): rooms, history and counts live there "
                   "(SPEC.md Deployments)")
        ->type_name("nats://HOST:PORT");
    if (extension)
        extension->add_options(app);

    return chat::cli::run_main(app, argc, argv, "chat-server", [&]() -> int {
        if (app.count("--handshake-timeout"))
            config.handshake_timeout_ms = static_cast<unsigned>(handshake_timeout.count());
        for (const auto& origin : config.allowed_origins)
            if (origin.empty() || origin.find_first_of(" \t\r\n,") != std::string::npos)
                throw chat::cli::usage_error("--allowed-origin must be one origin such as "
                                             "https://chat.example.com (got '" +
                                             origin + "')");
        for (const auto& h : required_headers) {
            std::string why;
            auto parsed = chat::parse_header_line(h, &why);
            if (!parsed)
                throw chat::cli::usage_error("--require-header '" + h + "': " + why);
            config.required_headers.push_back(std::move(*parsed));
        }
        while (!config.base_path.empty() && config.base_path.back() == '/')
            config.base_path.pop_back();
        if (!config.base_path.empty() &&
            (config.base_path.front() != '/' ||
             config.base_path.find_first_of("?# \t\r\n%") != std::string::npos))
            throw chat::cli::usage_error(
                "--base-path must be a path such as /api/v1, without '?', '#', '%' or blanks "
                "(got '" +
                config.base_path + "')");
        if (!config.cluster.empty() && !config.cluster.starts_with("nats://"))
            throw chat::cli::usage_error(
                "--cluster must be a NATS URL such as nats://127.0.0.1:4222 (got '" +
                config.cluster + "')");
        config.log = *chat_server::parse_log_level(log_level);
        if (extension)
            if (auto code = extension->after_parse(config); code >= 0)
                return code;
        return serve(config, extension);
    });
}

} // namespace chat_server
