// A chat room as an actor: a strand serialises its members and history, so a broadcast,
// a join with its history replay, and a leave are each one indivisible step (SPEC.md ORD-1,
// HIST-5, HIST-6). The room never touches a socket: it hands members shared buffers.
#pragma once

#include "history.hpp"
#include "server_config.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>     // atomic
#include <cstdint>    // int64_t, uint64_t
#include <functional> // function
#include <memory>     // shared_ptr, enable_shared_from_this
#include <span>       // span
#include <string>     // string
#include <vector>     // vector

namespace chat_server {

namespace net = boost::asio;

class fault_hooks;
class room_backplane;

// One encoded message {"user","room","content","timestamp"}, built once and shared by every
// recipient's queue and by the history.
using message_ptr = std::shared_ptr<const std::string>;

// A room member as the room sees it. Every call is made on the room's strand.
class member {
public:
    virtual ~member() = default;
    // Queues a live message; false when the queue already holds SEND_QUEUE messages.
    virtual bool offer(const message_ptr& m) = 0;
    // The room has offered this member every message of its current batch: write them now
    // (a member that writes on its own strand does nothing).
    virtual void flush() {}
    // Queues a history message regardless of the bound.
    virtual void replay(const message_ptr& m) = 0;
    virtual bool queue_full() const = 0;
    // The room has removed this member because its queue overflowed: cut the connection.
    virtual void drop(const std::string& reason) = 0;
    // The server is shutting down: close with 1001.
    virtual void going_away() = 0;
};

class room : public std::enable_shared_from_this<room> {
public:
    using executor_type = net::strand<net::io_context::executor_type>;

    // `faults` (null in chat-server) outlives the room, and so does `listing_generation` (the
    // registry's, bumped after every change of clients(); may be null).
    room(net::io_context& ioc, std::string name, const server_config& config, fault_hooks* faults,
         bool stopping, std::atomic<std::uint64_t>* listing_generation = nullptr);

    const std::string& name() const noexcept { return name_; }
    // Number of clients; updated on the strand, readable from anywhere (SPEC.md ROOM-4).
    std::int64_t clients() const noexcept { return clients_.load(std::memory_order_relaxed); }

    // Adds `m` and queues the history for it in the same step.
    void join(std::shared_ptr<member> m);
    // Removes `m` if it is still a member (a dropped member already is not).
    void leave(std::shared_ptr<member> m);
    // Stores `msg` in the history and queues it for every member. With a backplane, hands it
    // to the backplane instead, which sequences it and brings it back through deliver().
    void broadcast(message_ptr msg, const member* sender);
    // A message the backplane sequenced (from any node): history and local fan-out, in the
    // order of the calls.
    void deliver(message_ptr msg);
    // Before the first connection: sequence through `b` (which outlives the room).
    void set_backplane(room_backplane* b) noexcept { backplane_ = b; }
    // Calls done(history, oldest first) on the room's strand.
    void read_history(std::function<void(std::vector<message_ptr>)> done);
    // Sends every member away (1001); members joining later are sent away at once.
    void shut_down();
    // Forgets every member; only when no thread runs the io_context any more.
    void clear_members() { members_.clear(); }

    // For fault hooks, on the room's strand only: the strand, the members, and the fan-out of
    // a broadcast they held back.
    const executor_type& get_executor() const noexcept { return strand_; }
    std::span<const std::shared_ptr<member>> members() const noexcept { return members_; }
    // Stores `msg` in the history and queues it for every member; drops the full ones.
    void fan_out(const message_ptr& msg, const member* sender);

private:
    void do_broadcast(const message_ptr& msg, const member* sender);
    void remove_at(std::size_t i);
    // After the member count changed: the listing is stale, and the cluster publishes counts.
    void count_changed();

    executor_type strand_;
    std::string name_;
    const server_config& config_;
    fault_hooks* faults_;
    room_backplane* backplane_ = nullptr;
    std::vector<std::shared_ptr<member>> members_;
    history<message_ptr> history_;
    std::atomic<std::int64_t> clients_{0};
    std::atomic<std::uint64_t>* listing_generation_;
    bool stopping_;
    bool flush_posted_ = false; // a flush of every member follows the broadcasts now queued
};

} // namespace chat_server
