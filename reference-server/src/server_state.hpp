// What every session of one server shares: settings, log, rooms, and shutdown state.
#pragma once

#include "fault_hooks.hpp"
#include "logger.hpp"
#include "room_registry.hpp"
#include "server_config.hpp"

#include <boost/asio/io_context.hpp>

#include <atomic>  // atomic
#include <cstdint> // int64_t, uint64_t
#include <memory>  // shared_ptr
#include <mutex>   // mutex
#include <string>  // string
#include <utility> // move

namespace boost::asio::ssl {
class context;
}

namespace chat_server {

struct server_state {
    server_state(net::io_context& ioc, const server_config& c, std::shared_ptr<fault_hooks> f)
        : config(c), faults(std::move(f)), log(c.log), rooms(ioc, config, faults.get()) {
        if (faults) [[unlikely]]
            faults->attach(rooms);
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
};

} // namespace chat_server
