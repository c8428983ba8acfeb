// The whole chat server: an io_context on a thread pool, the listener, the rooms, and the
// graceful shutdown of SPEC.md SHUT-1. `chat-server` runs one; tests run one in-process.
#pragma once

#include "server_config.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>   // steady_clock
#include <cstdint>  // uint16_t
#include <memory>   // shared_ptr
#include <mutex>    // once_flag
#include <optional> // optional
#include <string>   // string
#include <thread>   // thread
#include <vector>   // vector

namespace chat_server {

namespace net = boost::asio;
class fault_hooks;
class listener;
struct server_state;
class room_registry;
class room_backplane;

class server {
public:
    // `faults`: null for the server SPEC.md describes; test builds inject defects through it.
    explicit server(const server_config& config, std::shared_ptr<fault_hooks> faults = nullptr);
    ~server(); // stop() if still running
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // Binds and listens. Returns "" or a one-line error ("cannot listen on 0.0.0.0:8082: ...").
    std::string listen();
    std::uint16_t port() const; // the bound port (useful with --port 0)

    // Runs the io_context on config.threads threads (0: one per core) in the background.
    void start();
    // SIGINT and SIGTERM start shut_down().
    void handle_signals();
    // Graceful shutdown, from any thread: stop accepting, close every client with 1001, and
    // stop once they are gone or the grace period is over. Returns at once.
    void shut_down();
    // Blocks until the threads have stopped.
    void wait();
    void stop() {
        shut_down();
        wait();
    }

    room_registry& rooms();
    const server_config& config() const;

private:
    void poll_shutdown(std::shared_ptr<net::steady_timer> timer,
                       std::chrono::steady_clock::time_point deadline);

    net::io_context ioc_;
    std::shared_ptr<server_state> state_;
    std::unique_ptr<room_backplane> backplane_; // --cluster only
    std::shared_ptr<listener> listener_;
    std::optional<net::signal_set> signals_;
    std::vector<std::thread> threads_;
    std::once_flag shut_down_once_;
};

} // namespace chat_server
