// The one seam between "a client posted a message" and "a message is sequenced", for servers of
// one deployment that share their rooms (chat-server --cluster; SPEC.md "Deployments").
// Without one, a room sequences its messages itself: the local path has no extra hop.
#pragma once

#include <chrono>      // milliseconds
#include <cstdint>     // int64_t
#include <functional>  // function
#include <memory>      // shared_ptr, unique_ptr
#include <string>      // string
#include <string_view> // string_view

namespace chat_server {

class room;
class room_registry;
class logger;
struct server_config;

// How long the clients of a node that died may still be counted elsewhere (SPEC.md
// "Deployments", NODE_EXPIRY_MS): a node refreshes its counts every node_heartbeat, and a node
// silent for node_expiry is forgotten.
inline constexpr std::chrono::milliseconds node_heartbeat{500};
inline constexpr std::chrono::milliseconds node_expiry{3000};

class room_backplane {
public:
    virtual ~room_backplane() = default;

    // A client of this node sent `msg` (an encoded message, RFC 8259) to room `r`: sequence it.
    // It comes back, in the deployment's one order, through room::deliver on every node,
    // this one included. Any thread.
    virtual void publish(const room& r, std::shared_ptr<const std::string> msg) = 0;
    // Calls `then` (on a backplane thread) once this node has handed every message the
    // deployment had sequenced when sync was called to its rooms (room::deliver): a join or a
    // history read posted to a room's strand from `then` sees all of them. Any thread.
    virtual void sync(std::function<void()> then) = 0;
    // A join created room `name` on this node (SPEC.md ROOM-2): every node lists it. Returns
    // once the deployment knows it (one round trip to the engine, once per room).
    virtual void room_created(const std::string& name) = 0;
    // A room's count of this node's clients changed (SPEC.md ROOM-4). Any thread; cheap.
    virtual void count_changed() = 0;
    // Clients of room `name` on the other live nodes.
    virtual std::int64_t remote_clients(std::string_view name) const = 0;
};

// Connects to the NATS server at `url` (nats://HOST:PORT), sets up the stream and the count
// bucket, sets itself as `rooms`' backplane and catches up with every room's history before
// returning; before the first connection. On failure returns null
// and sets `error` to one line ("--cluster: cannot connect to nats://...: ..."), also when this
// build has no NATS client library.
std::unique_ptr<room_backplane> make_cluster_backplane(const std::string& url,
                                                       const server_config& config,
                                                       room_registry& rooms, logger& log,
                                                       std::string& error);

} // namespace chat_server
