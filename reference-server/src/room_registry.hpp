// Every room by name: `general` from start-up, others created by the first join, none ever
// removed (SPEC.md ROOM-1, ROOM-2, ROOM-5, HIST-7).
#pragma once

#include "room.hpp"

#include <atomic>       // atomic
#include <cstdint>      // int64_t, uint64_t
#include <map>          // map
#include <memory>       // shared_ptr
#include <shared_mutex> // shared_mutex
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace chat_server {

class room_registry {
public:
    // `faults` (null in chat-server) outlives the registry.
    room_registry(net::io_context& ioc, const server_config& config, fault_hooks* faults = nullptr);

    std::shared_ptr<room> find(std::string_view name) const;
    // nullptr when `name` does not exist and config.max_rooms rooms already do (LIMIT-4).
    std::shared_ptr<room> get_or_create(const std::string& name);

    struct listing_entry {
        std::string name;
        std::int64_t clients = 0;
    };
    std::vector<listing_entry> list() const;

    // A number that changes whenever list() may answer differently: a room created, a member
    // joined or left (the room bumps it after its count changed), note_listing_changed().
    // Read it before list(): a listing built after reading generation g is at least as new as
    // g, so a copy kept with g may be served while the generation is still g.
    std::uint64_t listing_generation() const noexcept {
        return generation_.load(std::memory_order_acquire);
    }
    // Says that list() may answer differently from now on (e.g. remote counts changed).
    void note_listing_changed() noexcept { generation_.fetch_add(1, std::memory_order_acq_rel); }

    // Shutdown: every room sends its members away, and rooms created from now on start so.
    void shut_down();
    // Breaks the room -> member references once the io_context no longer runs.
    void clear_members();

private:
    net::io_context& ioc_;
    const server_config& config_;
    fault_hooks* faults_;
    mutable std::shared_mutex mutex_;
    std::map<std::string, std::shared_ptr<room>, std::less<>> rooms_;
    std::atomic<std::uint64_t> generation_{0};
    bool stopping_ = false;
};

} // namespace chat_server
