// A WebSocket and HTTP client for judging a chat server through its sockets. Every operation
// is a C++20 coroutine with a deadline: nothing here waits without bound. Optionally records
// a wire transcript (HTTP exchanges and frames with timestamps) for reports.
#pragma once

#include "chat/url.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>      // steady_clock, milliseconds
#include <cstddef>     // size_t
#include <cstdint>     // uint8_t
#include <functional>  // function
#include <memory>      // unique_ptr
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // pair
#include <vector>      // vector

namespace chat {

namespace ws {
enum class opcode : std::uint8_t; // chat/ws_frame.hpp
}

namespace net = boost::asio;
using std::chrono::milliseconds;

// One line of a wire transcript.
struct wire_event {
    enum class kind { http_request, http_response, frame_sent, frame_received, control, note };
    std::chrono::system_clock::time_point at;
    kind type = kind::note;
    std::string text; // printable, truncated for very large payloads
};
const char* to_string(wire_event::kind k) noexcept;
using transcript_sink = std::function<void(const wire_event&)>;

// What every HTTP and upgrade request carries, and how TLS (https://, wss://) is verified.
struct request_options {
    request_options() {} // not an aggregate: see the GCC 12 note below
    std::vector<std::pair<std::string, std::string>> headers; // extra "Name: value" pairs
    std::string origin;                                       // Origin header when non-empty
    std::string ca_file;   // PEM file of trusted CAs; "" uses the system's store
    bool insecure = false; // skip certificate verification (the tools warn when set)
};

// The outcome of an HTTP exchange, or of an upgrade the server declined.
struct http_result {
    boost::system::error_code ec; // transport failure (status is then 0)
    std::string error;            // ec in words, naming host, port and what to try
    int status = 0;
    std::string content_type;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers; // as received, in order
    bool ok() const noexcept { return !ec; }
    // The first value of header `name` (case-insensitive), or "" when absent.
    std::string header(std::string_view name) const;
};

// Every coroutine here takes its arguments by reference or view, so they must outlive the
// co_await: make them in the co_await expression itself or as named locals.
// GCC 12 miscompiles a brace-initialised *aggregate* temporary (`T{}`) in a co_await
// expression: it is freed twice. The option structs below therefore have a user-provided
// constructor (so `ws_options{}` is safe), and nothing here has defaulted arguments. Keep the
// same rule for any aggregate passed to a coroutine.

// GET (or another method) of `target` on `base`, one connection per call.
net::awaitable<http_result> http_request(net::any_io_executor ex, const base_url& base,
                                         std::string_view method, std::string_view target,
                                         milliseconds timeout, const request_options& opts,
                                         const transcript_sink& sink);
net::awaitable<http_result> http_request(net::any_io_executor ex, const base_url& base,
                                         std::string_view method, std::string_view target,
                                         milliseconds timeout, const request_options& opts);
net::awaitable<http_result> http_request(net::any_io_executor ex, const base_url& base,
                                         std::string_view method, std::string_view target,
                                         milliseconds timeout);

// What raw_exchange saw: every byte the server sent, and how the connection ended.
struct raw_result {
    boost::system::error_code ec; // the connection could not be made (nothing was sent)
    std::string error;            // ec in words
    std::string received;         // every byte the server sent, as it sent it
    bool closed_by_peer = false;  // the server ended the connection (EOF, reset, close_notify)
    bool timed_out = false;       // `timeout` passed with the connection still open
};

// Writes `bytes` exactly as given (malformed HTTP included) on a new connection to `base`, over
// TLS for https:// (verified as `opts` says), and reads until the server ends the connection or
// `timeout` passes. A write the server cuts short is not an error: it may answer and close
// before reading everything.
net::awaitable<raw_result> raw_exchange(net::any_io_executor ex, const base_url& base,
                                        std::string_view bytes, milliseconds timeout,
                                        const request_options& opts);

// What a read on a WebSocket returns.
struct ws_event {
    enum class kind { text, binary, closed, timeout, error } type = kind::error;
    std::string data;             // the payload for text and binary
    int close_code = 0;           // for `closed`: the code the peer sent (1005 if none)
    std::string close_reason;     // for `closed`
    boost::system::error_code ec; // for `error` and `timeout`
    // For `error`: the RFC 6455 rule the server's frames broke ("reserved bits", ...), after
    // which the client failed the connection with 1002 (or 1007/1009); empty otherwise.
    std::string protocol_violation;
    bool is_message() const noexcept { return type == kind::text || type == kind::binary; }
};
const char* to_string(ws_event::kind k) noexcept;

struct ws_options {
    ws_options() {} // not an aggregate: see the GCC 12 note above
    request_options request;
    int receive_buffer_bytes = 0;                     // SO_RCVBUF before connect; 0 = OS default
    std::size_t max_message_bytes = 64 * 1024 * 1024; // largest message this client accepts
};

// One WebSocket connection (RFC 6455, client role, through chat/ws_frame.hpp's codec). One read
// may be outstanding at a time; writes from several coroutines queue behind each other, so a
// pong never splits another frame. They share the connection's deadline, and a deadline that
// expires closes the connection (the event reports `timeout`). Frame boundaries are the
// caller's: send_text sends one frame whatever its size, send_fragmented one frame per part,
// send_burst many frames in one write. Every frame sent and received is in the transcript.
class ws_client {
public:
    ws_client(net::any_io_executor ex, base_url base, transcript_sink sink = {});
    ~ws_client();
    ws_client(const ws_client&) = delete;
    ws_client& operator=(const ws_client&) = delete;

    // Connects and upgrades on /ws?room=R&user=U. Returns status 101 on success, else the
    // HTTP response the server gave (e.g. 400 with its body) or a transport error.
    net::awaitable<http_result> connect(std::string_view room, std::string_view user,
                                        milliseconds timeout, const ws_options& opts);
    net::awaitable<http_result> connect(std::string_view room, std::string_view user,
                                        milliseconds timeout);
    // The same for any raw target (to test malformed queries).
    net::awaitable<http_result> connect_target(std::string_view target, milliseconds timeout,
                                               const ws_options& opts);
    net::awaitable<http_result> connect_target(std::string_view target, milliseconds timeout);

    net::awaitable<boost::system::error_code> send_text(std::string_view text,
                                                        milliseconds timeout);
    net::awaitable<boost::system::error_code> send_binary(std::string_view data,
                                                          milliseconds timeout);
    // Sends one text message as several frames (continuation frames).
    net::awaitable<boost::system::error_code> send_fragmented(const std::vector<std::string>& parts,
                                                              milliseconds timeout);
    // Sends each of `texts` as one text frame, all of them in a single write (a burst).
    net::awaitable<boost::system::error_code> send_burst(const std::vector<std::string>& texts,
                                                         milliseconds timeout);
    net::awaitable<boost::system::error_code> ping(std::string_view payload, milliseconds timeout);

    // Reads the next message (answering pings and recording pongs on the way). A close frame
    // that arrived is reported (`closed`, its code, 1005 for none) whatever followed it on the
    // wire; a frame that breaks RFC 6455 ends the connection and is reported as `error` with
    // `protocol_violation` set.
    net::awaitable<ws_event> read(milliseconds timeout);

    // Starts the close handshake with `code` and waits for the peer's close frame, skipping
    // messages still on their way. Returns `closed` with the peer's code, or `timeout`/`error`.
    net::awaitable<ws_event> close(int code, milliseconds timeout);

    // Drops the TCP connection without a close handshake.
    void abort() noexcept;

    bool is_open() const noexcept;
    std::size_t pongs_received() const noexcept;
    std::string last_pong_payload() const;

private:
    net::awaitable<boost::system::error_code> send_frames(const std::vector<std::string>& payloads,
                                                          ws::opcode op, bool fragments,
                                                          milliseconds timeout);
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace chat
