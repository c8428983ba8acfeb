// What every session of one server shares: settings, log, rooms, and shutdown state.
#pragma once

#include "connection_socket.hpp"
#include "fault_hooks.hpp"
#include "logger.hpp"
#include "room_registry.hpp"
#include "server_config.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm> // max
#include <atomic>    // atomic
#include <cstdint>   // int64_t, uint64_t
#include <memory>    // shared_ptr
#include <mutex>     // mutex
#include <string>    // string
#include <utility>   // move
#include <vector>    // vector

namespace boost::asio::ssl {
class context;
}

namespace chat_server {

struct server_state {
    // `threads`: the io_context's threads, which size the pool of connection strands.
    server_state(net::io_context& ioc, const server_config& c, std::shared_ptr<fault_hooks> f,
                 unsigned threads = 1)
        : config(c), faults(std::move(f)), log(c.log), rooms(ioc, config, faults.get()) {
        if (faults) [[unlikely]]
            faults->attach(rooms);
        const std::size_t n = std::max<std::size_t>(256, 64 * std::size_t{threads});
        connection_strands_.reserve(n);
        for (std::size_t i = 0; i < n; ++i)
            connection_strands_.push_back(net::make_strand(ioc));
    }

    // The strand a new connection's handlers run on (thread-safe). Connections share a fixed
    // pool of strands, handed out in turn, as Asio's own io_context::strand shares 193
    // implementations: a strand per connection would cost an allocation (strand_impl and its
    // control block, 112 bytes) per idle connection. Sharing only serialises more (two
    // connections of one strand never run at once), which is rare with far more strands than
    // threads.
    connection_executor connection_strand() {
        return connection_strands_[next_strand_.fetch_add(1, std::memory_order_relaxed) %
                                   connection_strands_.size()];
    }

    const server_config config;
    // Null in chat-server; only test builds (reference-server/mutants/) set one.
    const std::shared_ptr<fault_hooks> faults;
    logger log;
    room_registry rooms;
    std::atomic<bool> stopping{false};
    std::atomic<std::int64_t> websocket_sessions{0}; // alive, for shutdown to wait on
    // --tls-cert/--tls-key: set by server::listen() before the first connection, then read-only.
    std::shared_ptr<net::ssl::context> tls;

    // GET /api/rooms's body as of rooms.listing_generation() `generation`: rebuilt only after
    // a membership change, so a poll between changes costs no JSON (SPEC.md ROOM-4 holds:
    // every change moves the generation).
    struct listing_cache {
        std::mutex mutex;
        std::uint64_t generation = 0;
        std::shared_ptr<const std::string> body; // null until the first request
    } listing;

private:
    std::vector<connection_executor> connection_strands_;
    std::atomic<std::size_t> next_strand_{0};
};

} // namespace chat_server
