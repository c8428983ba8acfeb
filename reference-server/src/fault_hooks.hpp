// The one seam through which a test build changes the server from outside: deliberate defects
// and legal variations (reference-server/mutants/). chat-server runs without one; every call
// site tests a null pointer first, so the server as SPEC.md describes it pays one predictable
// branch. Each default is what the server does without hooks.
#pragma once

#include "chat/ws_frame.hpp"
#include "connection_socket.hpp"
#include "room.hpp"

#include "chat/codec.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>       // array
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <memory>      // shared_ptr
#include <span>        // span
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace chat_server {

namespace ws = ::chat::ws;

class room_registry;
struct route;
struct server_state;

class fault_hooks {
public:
    using http_request = boost::beast::http::request<boost::beast::http::string_body>;
    using http_response = boost::beast::http::response<boost::beast::http::string_body>;
    using frame_header = std::array<unsigned char, ws::max_header_bytes>;

    virtual ~fault_hooks() = default;

    // Once, when the server's rooms exist (before the first connection).
    virtual void attach(room_registry&) {}

    // --- rooms (room_registry.cpp, room.cpp); room steps run on the room's strand ----------

    // Whether `general` is made at start-up (SPEC.md ROOM-1).
    virtual bool create_general_room() const { return true; }
    // Messages a new room's history keeps (SPEC.md HIST-1, HIST-2).
    virtual std::size_t history_capacity(std::size_t history_limit) const { return history_limit; }
    // Join: true when the hook takes over replaying `history` (oldest first) to `m`; the room
    // then adds `m` without replaying (SPEC.md HIST-5).
    virtual bool take_replay(room&, const std::shared_ptr<member>&, std::vector<message_ptr>&) {
        return false;
    }
    // Broadcast: true when the hook holds `msg` back; it later calls room::fan_out on the
    // room's strand itself.
    virtual bool hold_broadcast(room&, const message_ptr&, const member*) { return false; }
    // Whether `msg` goes into a history that is `full` (SPEC.md HIST-2).
    virtual bool store_in_history(bool /*full*/) { return true; }
    // How many copies of the message being fanned out `recipient` is offered: 0, 1 or 2
    // (SPEC.md MSG-1, ORD-3).
    virtual unsigned copies_for(const member& /*recipient*/, const member* /*sender*/) { return 1; }
    // After a fan-out of `msg` in `r` (SPEC.md MSG-7).
    virtual void fanned_out(room&, const message_ptr&) {}
    // After the room dropped a member whose queue was full (SPEC.md SLOW-4).
    virtual void dropped_slow_member(room&) {}
    // Whether a member leaving lowers the room's count (SPEC.md ROOM-4).
    virtual bool leave_lowers_count() const { return true; }

    // --- a cluster (chat-server --cluster; room.cpp, room_registry.cpp) ----------------------

    // A client's message with a backplane: false when the hook has it fanned out on this node
    // only instead of sequenced for every node (SPEC.md section 11).
    virtual bool publish_to_cluster(room&, const message_ptr&) { return true; }
    // Whether `msg`, being fanned out, goes into this node's history (SPEC.md HIST-1).
    virtual bool store_delivered(room&, const message_ptr&) { return true; }
    // Whether GET /api/rooms counts the clients of the other nodes (SPEC.md ROOM-4).
    virtual bool count_other_nodes() const { return true; }

    // --- WebSocket sessions (websocket_session_impl.hpp) ------------------------------------

    // Instead of run_websocket_session(): true when the hook has started a session on
    // `socket` itself, over a stream of its own.
    // `early`: the bytes read past the request head (the client's first frames).
    virtual bool run_websocket_session(connection_socket&, const http_request&,
                                       std::string& /*early*/, std::shared_ptr<room>&, std::string&,
                                       const std::shared_ptr<server_state>&) {
        return false;
    }
    // The largest message a client may send, in bytes (SPEC.md WS-4).
    virtual std::uint64_t message_limit(std::uint64_t max_message_bytes) const {
        return max_message_bytes;
    }
    // The bound of a client's outbound queue, in messages (SPEC.md SLOW-1).
    virtual std::size_t send_queue_bound(std::size_t send_queue) const { return send_queue; }
    // Appends header lines ("Name: value\r\n") to the 101 response (RFC 6455 4.2.2).
    virtual void add_upgrade_headers(std::string& /*response_head*/) const {}

    // What a client message becomes (SPEC.md MSG-2 .. MSG-8). `m` arrives with user, room and
    // the receive time (Unix ms) filled in.
    enum class frame_verdict { as_specified, broadcast, ignore };
    virtual frame_verdict read_client_frame(std::string_view /*data*/, bool /*text*/,
                                            chat::chat_message& /*m*/) const {
        return frame_verdict::as_specified;
    }
    // The text of a broadcast message (RFC 8259 object; SPEC.md MSG-2).
    virtual std::string encode_message(const chat::chat_message& m) const {
        return chat::encode_message(m);
    }
    // The frames of one outgoing text message (RFC 6455 5.2, 5.4): fills headers[i] and
    // buffers[2i] (that header), buffers[2i + 1] (that frame's payload) and returns the frames
    // used, or 0 when they do not fit in the spans (the message then starts the next batch).
    // Payload bytes must stay valid until the write completes: `payload` does.
    virtual std::size_t frame_message(const std::string& payload, std::span<frame_header> headers,
                                      std::span<boost::asio::const_buffer> buffers) const {
        if (headers.empty())
            return 0;
        const std::size_t h =
            ws::encode_header(headers[0].data(), ws::opcode::text, payload.size());
        buffers[0] = boost::asio::const_buffer(headers[0].data(), h);
        buffers[1] = boost::asio::buffer(payload);
        return 1;
    }
    // Whether the TCP connection is closed as soon as the server's close frame is written,
    // without waiting for the client's close frame (RFC 6455 7.1.1 lets the server close first).
    virtual bool close_after_close_frame() const { return false; }

    // --- HTTP (http_session.cpp) ------------------------------------------------------------

    // After routing `target` (SPEC.md CONN-4).
    virtual void routed(std::string_view /*target*/, route&) const {}
    // Before a response to `target` is written; body and headers may change (SPEC.md
    // section 7, CONN-2, HIST-3, HIST-4, ROOM-3).
    virtual void respond(std::string_view /*target*/, http_response&) const {}
};

} // namespace chat_server
