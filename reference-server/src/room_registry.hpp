// Every room by name: `general` from start-up, others created by the first join, none ever
// removed (SPEC.md ROOM-1, ROOM-2, ROOM-5, HIST-7).
#pragma once

#include "room.hpp"

#include <atomic>       // atomic
#include <cstdint>      // int64_t, uint64_t
#include <functional>   // function
#include <map>          // map
#include <memory>       // shared_ptr
#include <shared_mutex> // shared_mutex
#include <string>       // string
#include <string_view>  // string_view
#include <utility>      // pair
#include <vector>       // vector

namespace chat_server {

class room_registry {
public:
    // `faults` (null in chat-server) outlives the registry.
    room_registry(net::io_context& ioc, const server_config& config, fault_hooks* faults = nullptr);

    std::shared_ptr<room> find(std::string_view name) const;
    // find(), but with a backplane a room not known here yet is looked up again once this node
    // has caught up with the deployment (a room another node just created). `done` runs on
    // this thread or a backplane thread.
    void find_synced(std::string name, std::function<void(std::shared_ptr<room>)> done) const;
    // nullptr when `name` does not exist and config.max_rooms rooms already do (LIMIT-4).
    std::shared_ptr<room> get_or_create(const std::string& name);
    // A room another node of the deployment created: made here whatever config.max_rooms says.
    std::shared_ptr<room> ensure(const std::string& name);

    struct listing_entry {
        std::string name;
        std::int64_t clients = 0;
    };
    // Every room with its clients (this node's plus, with a backplane, the other nodes').
    std::vector<listing_entry> list() const;
    // Every room with this node's clients only.
    std::vector<listing_entry> list_local() const;

    // Before the first connection: rooms sequence their messages through `b` (which outlives
    // the registry's use of it), and rooms created by joins are announced to it.
    void set_backplane(room_backplane* b);
    bool has_backplane() const noexcept { return backplane_ != nullptr; }
    // Calls `then` at once, or with a backplane once this node has applied every message the
    // deployment had sequenced (room_backplane::sync; then on a backplane thread).
    void sync(std::function<void()> then) const;

    // A number that changes whenever list() may answer differently: a room created, a member
    // joined or left (the room bumps it after its count changed), note_listing_changed() (the
    // backplane, when other nodes' counts or rooms change).
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
    // The room `name`, made when missing (within config.max_rooms when `capped`; nullptr past
    // it); second: whether this call made it.
    std::pair<std::shared_ptr<room>, bool> insert(const std::string& name, bool capped);

    net::io_context& ioc_;
    const server_config& config_;
    fault_hooks* faults_;
    mutable std::shared_mutex mutex_;
    std::map<std::string, std::shared_ptr<room>, std::less<>> rooms_;
    std::atomic<std::uint64_t> generation_{0};
    bool stopping_ = false;
    room_backplane* backplane_ = nullptr;
};

} // namespace chat_server
