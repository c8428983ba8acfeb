// A chat client's WebSocket session over any AsyncStream (a TCP socket; later a TLS stream):
// the shared lean RFC 6455 framing (chat/ws_frame.hpp) instead of Beast's websocket::stream, so
// an idle connection costs little and a busy one writes all its queued frames at once.
//
// The read loop turns client frames into messages for the room. The write loop drains one
// ordered queue of frames (messages shared with every other recipient, pongs, the close
// frame) with one gather write per batch: the frame headers are built into a pooled array and
// the payloads are the shared buffers, never copied. Both loops run on the connection's
// strand; the room touches the queue under the session's own short lock. Over plain TCP on
// Linux, while no write is under way, the room's flush() at the end of a batch of broadcasts
// writes the queued messages itself with one non-blocking sendmsg (no hop to this strand).
//
// Instantiated for `connection_socket` and `ssl::stream<connection_socket>` in
// websocket_session.cpp.
#pragma once

#include "connection_socket.hpp"
#include "room.hpp"
#include "routes.hpp"
#include "send_queue.hpp"
#include "server_state.hpp"

#include "chat/codec.hpp"
#include "chat/ws_frame.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#ifndef CHAT_NO_TLS
#include <boost/asio/ssl/stream.hpp>
#endif
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#if defined(__linux__)
#include <sys/socket.h> // sendmsg, recv, MSG_DONTWAIT, MSG_NOSIGNAL
#include <sys/uio.h>    // iovec
#endif

#include <algorithm>   // min
#include <array>       // array
#include <cerrno>      // errno
#include <chrono>      // system_clock, seconds
#include <cstddef>     // size_t, max_align_t
#include <cstdint>     // int64_t, uint16_t
#include <memory>      // shared_ptr, unique_ptr
#include <mutex>       // mutex, lock_guard
#include <new>         // operator new, operator delete
#include <span>        // span
#include <string>      // string
#include <string_view> // string_view
#include <type_traits> // is_same_v, conditional_t
#include <utility>     // move
#include <vector>      // vector

namespace chat_server {

namespace ws = ::chat::ws;

// One frame of a client's outgoing queue: a text message (shared with the room's other
// members and its history), or a control frame (pong, close) with its own small payload.
struct out_frame {
    message_ptr payload; // null: no payload
    ws::opcode op = ws::opcode::text;
    bool replayed = false; // a history message replayed on joining
    bool raw = false;      // `payload` is the rest of a frame already begun: written as it is
};

// Only live messages count against SEND_QUEUE (SPEC.md SLOW-1); control frames and the
// history replayed on joining (up to HISTORY_LIMIT, which may exceed SEND_QUEUE) come besides.
template <> struct send_queue_traits<out_frame> {
    static bool counted(const out_frame& f) noexcept {
        return f.op == ws::opcode::text && !f.replayed;
    }
};

// The frame headers and gather list of one write. A connection holds one only while it has
// frames to write; released ones are kept per thread for reuse, so steady traffic allocates
// none and an idle client holds none.
struct write_batch {
    // 2 buffers a frame: 64, what one sendmsg of Asio's takes.
    static constexpr std::size_t max_frames = 32;
    std::array<std::array<unsigned char, ws::max_header_bytes>, max_frames> headers;
    std::array<boost::asio::const_buffer, 2 * max_frames> buffers;

    static std::unique_ptr<write_batch> acquire();
    static void release(std::unique_ptr<write_batch> b);

private:
    static std::vector<std::unique_ptr<write_batch>>& write_batch_pool();
};

// What the session needs of its stream besides async_read_some and async_write, all through
// the TCP socket beneath it (lowest_layer()). stream_ops<Stream> below picks these or, for a
// stream type that needs more, a specialisation. (ssl::stream::async_write_some encrypts only
// the first buffer of a sequence, so a batch costs one TLS record per frame part; copying a
// batch into one buffer first would save records, at a copy per recipient.)
template <class Stream> struct socket_stream_ops {
    using tcp = boost::asio::ip::tcp;

    static tcp::endpoint remote_endpoint(Stream& s) {
        boost::system::error_code ec;
        return s.lowest_layer().remote_endpoint(ec);
    }

    // Small frames go out at once (no Nagle delay). Dead peers are found by TCP keep-alive
    // instead of a timer per connection.
    static void configure(Stream& s) {
        boost::system::error_code ec;
        s.lowest_layer().set_option(tcp::no_delay(true), ec);
        s.lowest_layer().set_option(boost::asio::socket_base::keep_alive(true), ec);
    }

    // After the close handshake: the peer reads end-of-stream, not a reset. `keep` (the
    // stream's owner) is held while anything is pending: nothing, over plain TCP.
    template <class Keep> static void close_gracefully(Stream& s, const Keep& /*keep*/) {
        boost::system::error_code ec;
        auto& socket = s.lowest_layer();
        if (!socket.is_open())
            return;
        socket.shutdown(tcp::socket::shutdown_send, ec);
        socket.close(ec);
    }

    // At once, discarding unsent data (a reset): the peer may not be reading (SPEC.md SLOW-5).
    static void close_now(Stream& s) {
        boost::system::error_code ec;
        auto& socket = s.lowest_layer();
        if (!socket.is_open())
            return;
        socket.set_option(boost::asio::socket_base::linger(true, 0), ec);
        socket.close(ec);
    }
};

template <class Stream> struct stream_ops : socket_stream_ops<Stream> {};

#ifndef CHAT_NO_TLS
// wss://: after the close handshake the TLS connection ends with its closure alert
// (close_notify, RFC 8446 section 6.1) before the TCP close, so the peer's TLS layer reads a
// clean end, not a truncation. Waiting for the peer's alert is bounded by
// tls_shutdown_timeout; then (or at once when it came) the TCP connection closes as over
// plain TCP.
template <>
struct stream_ops<boost::asio::ssl::stream<connection_socket>>
    : socket_stream_ops<boost::asio::ssl::stream<connection_socket>> {
    using tls_stream = boost::asio::ssl::stream<connection_socket>;
    static constexpr std::chrono::seconds tls_shutdown_timeout{1};

    template <class Keep> static void close_gracefully(tls_stream& s, const Keep& keep) {
        if (!s.lowest_layer().is_open())
            return;
        auto timer =
            std::make_shared<boost::asio::steady_timer>(s.get_executor(), tls_shutdown_timeout);
        timer->async_wait([&s, keep](boost::system::error_code ec) {
            if (ec)
                return;
            boost::system::error_code ignored;
            s.lowest_layer().close(ignored);
        });
        s.async_shutdown([&s, timer, keep](boost::system::error_code) {
            timer->cancel();
            socket_stream_ops<tls_stream>::close_gracefully(s, keep);
        });
    }
};
#endif

// Room inside a session for the one asynchronous operation an idle connection has pending,
// the wait for readability (Boost.Asio: an operation is allocated through its handler's
// associated allocator). Without it the wait takes a block from Asio's per-thread recycling
// cache, whichever one is free: on the accept path, the accept operation's 249 bytes. An
// operation that does not fit, or a second one at once, gets its own allocation. Allocations
// come from the session's strand; the release, from whichever thread completes the operation,
// happens before its handler is dispatched to the strand, so before the next allocation.
class operation_memory {
public:
    static constexpr std::size_t bytes = 144;

    void* allocate(std::size_t size) {
        if (!in_use_ && size <= bytes) {
            in_use_ = true;
            return storage_;
        }
        return ::operator new(size);
    }

    void deallocate(void* p) noexcept {
        if (p == static_cast<void*>(storage_))
            in_use_ = false;
        else
            ::operator delete(p);
    }

private:
    alignas(std::max_align_t) unsigned char storage_[bytes];
    bool in_use_ = false;
};

// The allocator a handler carries to use its session's operation_memory (C++ Allocator).
template <class T> class operation_allocator {
public:
    using value_type = T;

    explicit operation_allocator(operation_memory& m) noexcept : memory_(&m) {}
    template <class U>
    operation_allocator(const operation_allocator<U>& other) noexcept : memory_(other.memory_) {}

    T* allocate(std::size_t n) { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
    void deallocate(T* p, std::size_t) noexcept { memory_->deallocate(p); }

    template <class U> bool operator==(const operation_allocator<U>& other) const noexcept {
        return memory_ == other.memory_;
    }

private:
    template <class> friend class operation_allocator;
    operation_memory* memory_;
};

namespace session_detail {

inline std::int64_t unix_ms_now() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// "1.2.3.4:5 room="general" user="alice"" with JSON quoting, so odd names cannot break a log
// line.
inline std::string describe(const boost::asio::ip::tcp::endpoint& peer, std::string_view room,
                            std::string_view user) {
    std::string s = peer.address().to_string() + ":" + std::to_string(peer.port()) + " room=";
    chat::append_json_string(s, room);
    s += " user=";
    chat::append_json_string(s, user);
    return s;
}

// The bounds of a client's messages in and out: SPEC.md's constants, unless a fault hook
// changes them.
inline std::uint64_t message_limit(const server_state& s) {
    if (s.faults) [[unlikely]]
        return s.faults->message_limit(s.config.max_message_bytes);
    return s.config.max_message_bytes;
}

inline std::size_t send_queue_bound(const server_state& s) {
    if (s.faults) [[unlikely]]
        return s.faults->send_queue_bound(s.config.send_queue);
    return s.config.send_queue;
}

} // namespace session_detail

template <class Stream>
class websocket_session : public member,
                          public std::enable_shared_from_this<websocket_session<Stream>> {
public:
    // How long the peer has to answer our close frame before the connection is cut.
    static constexpr std::chrono::seconds close_timeout{5};
    // An idle connection's whole read buffer; a long message is read straight into the
    // parser's message buffer instead.
    static constexpr std::size_t read_buffer_bytes = 256;
    // Plain TCP on Linux: reads and live messages go through the socket's descriptor directly
    // (on_readable, write_queued_now); elsewhere, and over TLS, through Asio's operations.
#if defined(__linux__)
    static constexpr bool plain_tcp = std::is_same_v<Stream, connection_socket>;
#else
    static constexpr bool plain_tcp = false;
#endif

    websocket_session(Stream&& stream, std::shared_ptr<room> r, std::string user,
                      std::shared_ptr<server_state> state)
        : stream_(std::move(stream)), room_(std::move(r)), user_(std::move(user)),
          state_(std::move(state)), parser_(session_detail::message_limit(*state_)),
          queue_(session_detail::send_queue_bound(*state_)) {
        state_->websocket_sessions.fetch_add(1, std::memory_order_relaxed);
        peer_ = stream_ops<Stream>::remote_endpoint(stream_);
    }

    ~websocket_session() override {
        write_batch::release(std::move(batch_));
        state_->websocket_sessions.fetch_sub(1, std::memory_order_relaxed);
    }

    // Answers the upgrade whose Sec-WebSocket-Key is `client_key` with 101, then serves;
    // `early` is what the client sent behind the request head, the start of its frames.
    void run(std::string_view client_key, std::string early = {}) {
        stream_ops<Stream>::configure(stream_);
        // The client joins its room before the 101 leaves, so every message broadcast after the
        // client can know it is in the room reaches it (SPEC.md ORD-3, HIST-6). The writer
        // stays parked until the 101 is written: frames queue behind it.
        {
            std::lock_guard lock(mutex_);
            writing_ = true;
        }
        if (state_->stopping.load()) {
            start_close(ws::close_code::going_away);
        } else {
            joined_ = true;
            room_->join(this->shared_from_this());
        }
        auto response = std::make_unique<std::string>(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: ");
        *response += ws::accept_key(client_key);
        *response += "\r\nServer: chat-server\r\n";
        if (state_->faults) [[unlikely]]
            state_->faults->add_upgrade_headers(*response);
        *response += "\r\n";
        const auto buffer = boost::asio::buffer(*response);
        // The early bytes wait in the handler, not in the session, until the 101 is out.
        boost::asio::async_write(
            stream_, buffer,
            [self = this->shared_from_this(), response = std::move(response),
             early = std::move(early)](boost::system::error_code ec, std::size_t) mutable {
                self->on_accept(ec, std::move(early));
            });
    }

    // --- member: called on the room's strand -------------------------------------------

    bool offer(const message_ptr& m) override {
        std::lock_guard lock(mutex_);
        if (cut_ || close_queued_)
            return true; // leaving anyway; the room hears of it through leave()
        out_frame f;
        f.payload = m;
        if (!queue_.try_push(std::move(f)))
            return false;
#if defined(__linux__)
        if constexpr (plain_tcp) {
            // No write under way: the message waits for the room's flush() at the end of its
            // batch, which writes it with the others, straight from the room's strand; but at
            // most one write's worth waits (one read of a sender's may hold thousands of
            // messages), so a member that reads is never dropped for messages not yet tried.
            if (!writing_ && !state_->faults) {
                if (queue_.size() < write_batch::max_frames) {
                    corked_ = true;
                    return true;
                }
                corked_ = false;
                write_queued_now();
                return true;
            }
        }
#endif
        kick_writer();
        return true;
    }

    void flush() override {
#if defined(__linux__)
        if constexpr (plain_tcp) {
            std::lock_guard lock(mutex_);
            if (!corked_)
                return;
            corked_ = false;
            if (!writing_ && !cut_ && !queue_.empty())
                write_queued_now();
        }
#endif
    }
    void replay(const message_ptr& m) override {
        std::lock_guard lock(mutex_);
        if (cut_ || close_queued_)
            return;
        out_frame f;
        f.payload = m;
        f.replayed = true;
        queue_.push(std::move(f));
        kick_writer();
    }

    bool queue_full() const override {
        std::lock_guard lock(mutex_);
        return !cut_ && !close_queued_ && queue_.full();
    }

    void drop(const std::string& reason) override {
        {
            std::lock_guard lock(mutex_);
            cut_ = true;
        }
        boost::asio::post(stream_.get_executor(), [self = this->shared_from_this(), reason] {
            self->cut_connection("drop", reason);
        });
    }

    void going_away() override {
        boost::asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
            self->start_close(ws::close_code::going_away);
        });
    }

private:
    using event = ws::frame_parser::event;

    // `early`: what the client sent behind the request head.
    void on_accept(boost::system::error_code ec, std::string early) {
        if (ec) {
            if (state_->log.enabled(log_level::debug))
                state_->log.write(log_level::debug,
                                  "upgrade failed " + describe() + ": " + ec.message());
            cut_connection({}, {});
            return leave_room();
        }
        if (state_->log.enabled(log_level::info))
            state_->log.write(log_level::info, "open " + describe());
        do_write(); // what queued meanwhile: the history replay, live messages, a close
        if (!early.empty()) {
            // Frames that came with the upgrade request come first; a frame they only begin
            // is completed by what is read next.
            if (!feed(reinterpret_cast<unsigned char*>(early.data()), early.size()))
                return;
        }
        do_read();
    }

    std::string describe() const {
        return session_detail::describe(peer_, room_->name(), user_);
    }

    // --- reading ------------------------------------------------------------------------

    void do_read() {
        if (socket_closed_ || peer_closed_)
            return;
        // Inside a long frame: read the rest of it straight into the message buffer.
        auto direct = parser_.direct_buffer(read_buffer_bytes);
        if (!direct.empty()) {
            stream_.async_read_some(
                boost::asio::buffer(direct.data(), direct.size()),
                [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
                    self->on_read_direct(ec, n);
                });
            return;
        }
#if defined(__linux__)
        if constexpr (plain_tcp) {
            // Wait for bytes, then read them into the thread's buffer: an idle connection
            // holds no read buffer of its own, and its wait lives in the session.
            stream_.async_wait(boost::asio::socket_base::wait_read,
                               boost::asio::bind_allocator(
                                   operation_allocator<void>(wait_memory_),
                                   [self = this->shared_from_this()](boost::system::error_code ec) {
                                       self->on_readable(ec);
                                   }));
            return;
        }
#endif
        if constexpr (!plain_tcp) {
            stream_.async_read_some(
                boost::asio::buffer(buffer_),
                [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
                    self->on_read(ec, n);
                });
        }
    }

#if defined(__linux__)
    // Plain TCP: the socket has bytes (or an error, or the end of the stream) to read.
    void on_readable(boost::system::error_code ec) {
        if (ec)
            return on_read_failed(ec);
        // Closed on this strand after the wait completed: the descriptor may already be
        // another connection's.
        if (!stream_.lowest_layer().is_open())
            return on_read_failed(boost::asio::error::operation_aborted);
        thread_local std::array<unsigned char, 64 * 1024> shared;
        const ssize_t n = ::recv(stream_.lowest_layer().native_handle(), shared.data(),
                                 shared.size(), MSG_DONTWAIT);
        if (n == 0)
            return on_read_failed(boost::asio::error::eof);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return do_read();
            return on_read_failed(
                boost::system::error_code(errno, boost::system::system_category()));
        }
        // The parser copies whatever must outlive this call (a message spanning reads).
        if (feed(shared.data(), static_cast<std::size_t>(n)))
            do_read();
    }
#endif

    void on_read(boost::system::error_code ec, std::size_t n) {
        if (ec)
            return on_read_failed(ec);
        if constexpr (!plain_tcp)
            if (feed(buffer_.data(), n))
                do_read();
    }

    // Parses data[0, n) and handles its events; false when nothing more is to be read.
    bool feed(unsigned char* data, std::size_t n) {
        std::size_t at = 0;
        while (at < n) {
            event ev;
            at += parser_.parse(data + at, n - at, ev);
            if (ev.what != event::kind::none && !on_event(ev))
                return false;
        }
        return true;
    }

    void on_read_direct(boost::system::error_code ec, std::size_t n) {
        if (ec)
            return on_read_failed(ec);
        event ev;
        parser_.direct_commit(n, ev);
        if (ev.what != event::kind::none && !on_event(ev))
            return;
        do_read();
    }

    // Handles one parser event; false when nothing more is to be read.
    bool on_event(const event& ev) {
        switch (ev.what) {
        case event::kind::none:
        case event::kind::pong:
            return true;
        case event::kind::message:
            if (!parser_.closing())
                on_message(ev.payload, ev.text);
            return true;
        case event::kind::ping: // SPEC.md WS-1
            queue_pong(ev.payload);
            return true;
        case event::kind::error: // SPEC.md WS-3, WS-4, and RFC 6455's 1002 cases
            error_code_ = ev.code;
            start_close(ev.code);
            return true;
        case event::kind::close: // SPEC.md WS-2
            peer_closed_ = true;
            peer_code_ = ev.code;
            start_close(ev.code == ws::close_code::no_status ? 0 : ev.code);
            if (close_sent_)
                finish_close();
            return false;
        }
        return true;
    }

    void on_message(std::string_view data, bool text) {
        const std::int64_t received = session_detail::unix_ms_now();
        if (state_->faults) [[unlikely]] {
            chat::chat_message m{user_, room_->name(), {}, received};
            switch (state_->faults->read_client_frame(data, text, m)) {
            case fault_hooks::frame_verdict::broadcast:
                return send_to_room(m);
            case fault_hooks::frame_verdict::ignore:
                return ignored("ignored by a fault hook");
            case fault_hooks::frame_verdict::as_specified:
                break;
            }
        }
        // SPEC.md MSG-6: binary messages are ignored.
        if (!text)
            return ignored("binary message");
        auto frame = chat::decode_client_frame(data);
        // SPEC.md MSG-5: not a client frame; ignored, and the connection stays open.
        if (!frame.ok())
            return ignored(chat::to_string(frame.error));
        send_to_room({user_, room_->name(), std::move(frame.content), received});
    }

    void send_to_room(const chat::chat_message& m) {
        auto text = state_->faults ? state_->faults->encode_message(m) : chat::encode_message(m);
        room_->broadcast(std::make_shared<const std::string>(std::move(text)), this);
    }

    void ignored(std::string_view why) {
        if (state_->log.enabled(log_level::debug))
            state_->log.write(log_level::debug,
                              "ignored frame (" + std::string(why) + ") from " + describe());
    }

    // The connection broke, or was cut here (drop, close timeout): the session ends.
    void on_read_failed(boost::system::error_code ec) {
        {
            std::lock_guard lock(mutex_);
            cut_ = true;
        }
        if (!socket_closed_) {
            // After our own close frame the transport error is only how the peer left; the
            // line says why the connection was closing first.
            if (state_->log.enabled(log_level::info))
                state_->log.write(log_level::info,
                                  "close " + describe() + ": " +
                                      (close_queued() ? close_reason() +
                                                            "; then the peer ended "
                                                            "the connection (" +
                                                            ec.message() + ")"
                                                      : ec.message()));
            cut_connection({}, {});
        }
        leave_room();
    }

    // --- writing ------------------------------------------------------------------------

#if defined(__linux__)
    // With mutex_ held and no write under way (plain TCP only): the queued frames, up to
    // write_batch::max_frames of them, with one non-blocking sendmsg (RFC 6455 5.2: header,
    // then the payload unmasked) from the caller's thread: no hop to the session's strand,
    // no asynchronous write, no allocation. What the socket does not take stays queued, a
    // frame already begun as its raw rest, for the writer; so the bytes stay in order, and a
    // client that stops reading fills its queue as before (SPEC.md SLOW-1). Safe beside the
    // session's strand: the socket is closed only after cut_ is set under mutex_.
    void write_queued_now() {
        constexpr std::size_t max = write_batch::max_frames;
        std::array<std::array<unsigned char, ws::max_header_bytes>, max> headers;
        std::array<iovec, 2 * max> parts;
        const std::size_t n = std::min(queue_.size(), max);
        std::size_t total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const out_frame& f = queue_[i];
            const std::size_t size = f.payload ? f.payload->size() : 0;
            const std::size_t h = f.raw ? 0 : ws::encode_header(headers[i].data(), f.op, size);
            parts[2 * i] = {headers[i].data(), h};
            parts[2 * i + 1] = {f.payload ? const_cast<char*>(f.payload->data()) : nullptr, size};
            total += h + size;
        }
        msghdr msg{};
        msg.msg_iov = parts.data();
        msg.msg_iovlen = 2 * n;
        const ssize_t r =
            ::sendmsg(stream_.lowest_layer().native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
        std::size_t sent = r < 0 ? 0 : static_cast<std::size_t>(r);
        // A failed send (reset, broken pipe) is found again by the writer, which cuts.
        if (sent == total) {
            queue_.pop(n);
            if (!queue_.empty())
                write_queued_now(); // more than one batch was queued
            return;
        }
        std::size_t whole = 0;
        while (sent >= parts[2 * whole].iov_len + parts[2 * whole + 1].iov_len) {
            sent -= parts[2 * whole].iov_len + parts[2 * whole + 1].iov_len;
            ++whole;
        }
        if (sent > 0) {
            // The frame the socket took only part of: its rest goes first, as it is.
            const auto& head = parts[2 * whole];
            const auto& body = parts[2 * whole + 1];
            std::string rest;
            if (sent < head.iov_len)
                rest.append(static_cast<const char*>(head.iov_base) + sent, head.iov_len - sent);
            const std::size_t skip = sent < head.iov_len ? 0 : sent - head.iov_len;
            rest.append(static_cast<const char*>(body.iov_base) + skip, body.iov_len - skip);
            out_frame& f = queue_[whole];
            f.payload = std::make_shared<const std::string>(std::move(rest));
            f.raw = true; // op and replayed stay: the queue's count is unchanged
        }
        queue_.pop(whole);
        kick_writer();
    }
#endif

    // Called with mutex_ held.
    void kick_writer() {
        if (writing_)
            return;
        writing_ = true;
        boost::asio::post(stream_.get_executor(),
                          [self = this->shared_from_this()] { self->do_write(); });
    }

    // Queues a pong for a ping (SPEC.md WS-1). A pong not yet being written is replaced by the
    // newer one (RFC 6455 5.5.3), so a ping flood from a peer that never reads holds one.
    void queue_pong(std::string_view payload) {
        auto p = std::make_shared<const std::string>(payload);
        std::lock_guard lock(mutex_);
        if (cut_ || close_queued_)
            return;
        for (std::size_t i = queue_.size(); i > in_flight_; --i) {
            if (queue_[i - 1].op == ws::opcode::pong) {
                queue_[i - 1].payload = std::move(p);
                return;
            }
        }
        out_frame f;
        f.payload = std::move(p);
        f.op = ws::opcode::pong;
        queue_.push(std::move(f));
        kick_writer();
    }

    // Writes the queued frames, up to write_batch::max_frames of them, with one gather write.
    void do_write() {
        std::size_t count = 0;  // queue entries in this batch
        std::size_t frames = 0; // frames in this batch: one per entry, unless a hook splits
        {
            std::lock_guard lock(mutex_);
            if (cut_ || queue_.empty()) {
                writing_ = false;
                queue_.shrink_if_empty();
                write_batch::release(std::move(batch_));
                return;
            }
            if (!batch_)
                batch_ = write_batch::acquire();
            auto& b = *batch_;
            const std::size_t n = std::min(queue_.size(), write_batch::max_frames);
            close_in_flight_ = false;
            while (count < n && frames < write_batch::max_frames) {
                const out_frame& f = queue_[count];
                if (state_->faults && f.op == ws::opcode::text) [[unlikely]] {
                    const std::size_t k = state_->faults->frame_message(
                        *f.payload, std::span(b.headers).subspan(frames),
                        std::span(b.buffers).subspan(2 * frames));
                    if (k == 0)
                        break; // the rest goes with the next batch
                    frames += k;
                    ++count;
                    continue;
                }
                const std::size_t size = f.payload ? f.payload->size() : 0;
                const std::size_t h =
                    f.raw ? 0 : ws::encode_header(b.headers[frames].data(), f.op, size);
                b.buffers[2 * frames] = boost::asio::const_buffer(b.headers[frames].data(), h);
                b.buffers[2 * frames + 1] =
                    f.payload ? boost::asio::buffer(*f.payload) : boost::asio::const_buffer();
                ++frames;
                ++count;
                if (f.op == ws::opcode::close) {
                    close_in_flight_ = true; // nothing is written after it
                    break;
                }
            }
            // The queue keeps these entries, so their payloads, until on_write pops them.
            in_flight_ = count;
        }
        boost::asio::async_write(
            stream_, std::span<const boost::asio::const_buffer>(batch_->buffers.data(), 2 * frames),
            [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                self->on_write(ec);
            });
    }

    void on_write(boost::system::error_code ec) {
        if (ec)
            return write_failed();
        {
            std::lock_guard lock(mutex_);
            queue_.pop(in_flight_);
            in_flight_ = 0;
            if (close_in_flight_) {
                writing_ = false;
                queue_.truncate(0);
                queue_.shrink_if_empty();
            }
        }
        if (!close_in_flight_)
            return do_write();
        write_batch::release(std::move(batch_));
        close_sent_ = true;
        if (peer_closed_)
            finish_close();
        else if (state_->faults && state_->faults->close_after_close_frame()) [[unlikely]]
            finish_close();
        // Otherwise the close timer armed by start_close() waits for the peer's close frame.
    }

    void write_failed() {
        {
            std::lock_guard lock(mutex_);
            cut_ = true;
            writing_ = false;
            in_flight_ = 0;
        }
        write_batch::release(std::move(batch_));
        // The pending read fails too and ends the session.
        cut_connection({}, {});
    }

    // --- closing ------------------------------------------------------------------------

    // Queues the close frame with `code` (0: none) behind the frames being written, discarding
    // those not yet written; the client leaves its room now.
    void start_close(std::uint16_t code) {
        parser_.set_closing();
        {
            std::lock_guard lock(mutex_);
            if (cut_ || close_queued_)
                return;
            close_queued_ = true;
            sent_code_ = code;
            // The rest of a frame already begun (write_queued_now) stays: the peer has its start.
            queue_.truncate(in_flight_ == 0 && !queue_.empty() && queue_[0].raw ? 1 : in_flight_);
            out_frame f;
            f.op = ws::opcode::close;
            if (code != 0)
                f.payload = std::make_shared<const std::string>(std::initializer_list<char>{
                    static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)});
            queue_.push(std::move(f));
            kick_writer();
        }
        leave_room();
        // The close frame must be written and answered in time, or the connection is cut.
        close_timer_ = std::make_unique<boost::asio::steady_timer>(stream_.get_executor());
        close_timer_->expires_after(close_timeout);
        close_timer_->async_wait([self = this->shared_from_this()](boost::system::error_code e) {
            if (!e && !self->socket_closed_)
                self->cut_connection("close", "the close handshake did not finish in time");
        });
    }

    bool close_queued() const {
        std::lock_guard lock(mutex_);
        return close_queued_;
    }

    // Why the connection is closing, for the log: the error we closed for, or who began the
    // close handshake.
    std::string close_reason() const {
        if (error_code_ == ws::close_code::too_big)
            return "message over " + std::to_string(state_->config.max_message_bytes) +
                   " bytes (closed with 1009)";
        if (error_code_ == ws::close_code::invalid_payload)
            return "invalid UTF-8 (closed with 1007)";
        if (error_code_ != 0)
            return "protocol error (closed with " + std::to_string(error_code_) + ")";
        if (sent_code_ == ws::close_code::going_away)
            return peer_closed_ ? "closed by server (1001 answered)" : "closed by server (1001)";
        return "closed by client (code " + std::to_string(peer_code_) + ")";
    }

    // Both close frames have passed: end the TCP connection cleanly.
    void finish_close() {
        if (socket_closed_)
            return;
        if (state_->log.enabled(log_level::info))
            state_->log.write(log_level::info, "close " + describe() + ": " + close_reason());
        {
            std::lock_guard lock(mutex_);
            cut_ = true;
        }
        socket_closed_ = true;
        if (close_timer_)
            close_timer_->cancel();
        stream_ops<Stream>::close_gracefully(stream_, this->shared_from_this());
        leave_room();
    }

    // Closes the TCP connection at once (reset, no lingering data): the peer may not be
    // reading, so a close frame could wait forever (SPEC.md SLOW-5).
    void cut_connection(std::string_view what, std::string_view reason) {
        if (socket_closed_)
            return;
        socket_closed_ = true;
        {
            std::lock_guard lock(mutex_);
            cut_ = true;
        }
        if (!what.empty() && state_->log.enabled(log_level::warn))
            state_->log.write(log_level::warn,
                              std::string(what) + " " + describe() + ": " + std::string(reason));
        if (close_timer_)
            close_timer_->cancel();
        stream_ops<Stream>::close_now(stream_);
    }

    void leave_room() {
        if (joined_)
            room_->leave(this->shared_from_this());
        joined_ = false;
    }

    Stream stream_;
    std::shared_ptr<room> room_;
    std::string user_;
    std::shared_ptr<server_state> state_;
    boost::asio::ip::tcp::endpoint peer_;
    ws::frame_parser parser_;
    // Over TLS the session reads into its own buffer; over plain TCP into its thread's.
    struct no_buffer {};
    [[no_unique_address]] std::conditional_t<plain_tcp, no_buffer,
                                             std::array<unsigned char, read_buffer_bytes>>
        buffer_;
    [[no_unique_address]] std::conditional_t<plain_tcp, operation_memory, no_buffer>
        wait_memory_; // the pending wait for readability

    // Shared with the room's strand.
    mutable std::mutex mutex_;
    send_queue<out_frame> queue_; // the first in_flight_ entries are being written
    std::size_t in_flight_ = 0;
    bool writing_ = false;
    bool cut_ = false;          // the connection is going: offers are ignored
    bool close_queued_ = false; // our close frame is queued: nothing more is
    bool corked_ = false;       // offers wait in the queue for the room's flush()

    // Strand only.
    std::unique_ptr<write_batch> batch_; // while writing
    std::unique_ptr<boost::asio::steady_timer> close_timer_;
    std::uint16_t sent_code_ = 0;  // our close frame's code
    std::uint16_t peer_code_ = 0;  // the peer's close frame's code
    std::uint16_t error_code_ = 0; // the protocol error we closed for
    bool close_in_flight_ = false;
    bool joined_ = false;
    bool close_sent_ = false;
    bool peer_closed_ = false;
    bool socket_closed_ = false;
};

} // namespace chat_server
