// chat-server's command line and life: parses the options, listens, prints the address it
// listens on, and runs until SIGINT or SIGTERM. A test build may extend the command line.
#include "command_line.hpp"

#include "server.hpp"

#include "chat/url.hpp"

#include <CLI/CLI.hpp>

#include <charconv>  // from_chars
#include <cstdint>   // uint64_t
#include <cstdio>    // fflush
#include <iostream>  // cout, cerr
#include <limits>    // numeric_limits
#include <stdexcept> // runtime_error
#include <string>    // string
#include <thread>    // hardware_concurrency
#include <vector>    // vector

namespace {

// Thrown for a flag value that parses but makes no sense; its text names flag and value.
struct bad_flag : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::uint64_t parse_number(const std::string& flag, const std::string& text, std::uint64_t min,
                           std::uint64_t max) {
    std::uint64_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max)
        throw bad_flag(flag + " must be an integer from " + std::to_string(min) + " to " +
                       std::to_string(max) + " (got '" + text + "')");
    return value;
}

} // namespace

namespace chat_server {

int run_chat_server(int argc, char** argv, command_line_extension* extension) {
    server_config config;
    std::string port = std::to_string(config.port);
    std::string threads = std::to_string(std::max(1u, std::thread::hardware_concurrency()));
    std::string history_limit = std::to_string(config.history_limit);
    std::string send_queue = std::to_string(config.send_queue);
    std::string max_message = std::to_string(config.max_message_bytes);
    std::string max_name = std::to_string(config.max_name_bytes);
    std::string handshake_timeout = std::to_string(config.handshake_timeout_ms);
    std::string max_rooms = std::to_string(config.max_rooms);
    std::string log_level = to_string(config.log);
    std::vector<std::string> required_headers;

    CLI::App app{"chat-server: the reference chat server of SPEC.md (WebSocket rooms with "
                 "history, REST listing), on Boost.Beast."};
    app.option_defaults()->always_capture_default();
    app.add_option("--address", config.address, "IPv4 or IPv6 address to listen on")
        ->type_name("ADDRESS")
        ->capture_default_str();
    app.add_option("--port", port,
                   "TCP port; 0 picks a free port (the line printed on start "
                   "says which)")
        ->type_name("INT")
        ->capture_default_str();
    app.add_option("--threads", threads, "threads running the io_context (default: cores)")
        ->type_name("INT")
        ->capture_default_str();
    app.add_option("--history-limit", history_limit, "messages kept per room (HISTORY_LIMIT)")
        ->type_name("INT")
        ->capture_default_str();
    app.add_option("--send-queue", send_queue,
                   "messages a client's queue holds before the client is dropped (SEND_QUEUE)")
        ->type_name("INT")
        ->capture_default_str();
    app.add_option("--max-message-bytes", max_message,
                   "largest WebSocket message a client may send; larger closes with 1009 "
                   "(MAX_MESSAGE_BYTES)")
        ->type_name("INT")
        ->capture_default_str();
    app.add_option("--max-name-bytes", max_name,
                   "longest room or user name after decoding; longer is answered 400 "
                   "(MAX_NAME_BYTES)")
        ->type_name("INT")
        ->capture_default_str();
    app.add_option("--handshake-timeout-ms", handshake_timeout,
                   "an HTTP request or WebSocket upgrade must arrive whole within this; slower "
                   "connections are closed (LIMIT-3)")
        ->type_name("INT")
        ->capture_default_str();
    app.add_option("--max-rooms", max_rooms,
                   "most rooms the server keeps; a join that would create one more is answered "
                   "503 (LIMIT-4)")
        ->type_name("INT")
        ->capture_default_str();
    app.add_option("--allowed-origin", config.allowed_origins,
                   "repeatable; when given, a WebSocket upgrade whose Origin header is none of "
                   "these is answered 403 (requests without Origin are allowed; SEC-1)")
        ->type_name("ORIGIN");
    app.add_option("--tls-cert", config.tls_cert,
                   "PEM certificate chain; with --tls-key the port serves TLS (https://, wss://) "
                   "as well as plain HTTP: each connection that opens with a TLS ClientHello gets "
                   "the TLS handshake (within --handshake-timeout-ms)")
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
        ->capture_default_str();
    app.add_option("--cluster", config.cluster,
                   "serve one logical chat with every other chat-server given the same NATS "
                   "server (JetStream on: nats-server -js): rooms, history and counts live there "
                   "(SPEC.md Deployments)")
        ->type_name("nats://HOST:PORT");
    if (extension)
        extension->add_options(app);

    try {
        app.parse(argc, argv);
        config.port = static_cast<std::uint16_t>(parse_number("--port", port, 0, 65535));
        config.threads = static_cast<unsigned>(parse_number("--threads", threads, 1, 1024));
        config.history_limit = parse_number("--history-limit", history_limit, 0, 1'000'000);
        config.send_queue = parse_number("--send-queue", send_queue, 1, 1'000'000);
        config.max_message_bytes =
            parse_number("--max-message-bytes", max_message, 1, std::uint64_t{1} << 32);
        config.max_name_bytes = parse_number("--max-name-bytes", max_name, 1, 1'000'000);
        config.handshake_timeout_ms = static_cast<unsigned>(
            parse_number("--handshake-timeout-ms", handshake_timeout, 1, 3'600'000));
        config.max_rooms = parse_number("--max-rooms", max_rooms, 1, 100'000'000);
        for (const auto& origin : config.allowed_origins)
            if (origin.empty() || origin.find_first_of(" \t\r\n,") != std::string::npos)
                throw bad_flag("--allowed-origin must be one origin such as "
                               "https://chat.example.com (got '" +
                               origin + "')");
        for (const auto& h : required_headers) {
            std::string why;
            auto parsed = chat::parse_header_line(h, &why);
            if (!parsed)
                throw bad_flag("--require-header '" + h + "': " + why);
            config.required_headers.push_back(std::move(*parsed));
        }
        while (!config.base_path.empty() && config.base_path.back() == '/')
            config.base_path.pop_back();
        if (!config.base_path.empty() &&
            (config.base_path.front() != '/' ||
             config.base_path.find_first_of("?# \t\r\n%") != std::string::npos))
            throw bad_flag("--base-path must be a path such as /api/v1, without '?', '#', '%' or "
                           "blanks (got '" +
                           config.base_path + "')");
        if (!config.cluster.empty() && !config.cluster.starts_with("nats://"))
            throw bad_flag("--cluster must be a NATS URL such as nats://127.0.0.1:4222 (got '" +
                           config.cluster + "')");
        auto level = chat_server::parse_log_level(log_level);
        if (!level)
            throw bad_flag("--log-level must be one of error, warn, info, debug (got '" +
                           log_level + "')");
        config.log = *level;
        if (extension)
            if (auto code = extension->after_parse(config); code >= 0)
                return code;
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "chat-server: " << e.what() << " (see --help)\n";
        return 2;
    } catch (const std::runtime_error& e) { // bad_flag, or an extension's refusal
        std::cerr << "chat-server: " << e.what() << '\n';
        return 2;
    }

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

} // namespace chat_server
