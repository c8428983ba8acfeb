// The server side of RFC 6455 framing, without I/O and without Boost: the opening handshake's
// accept key, the header of a server frame, an incremental UTF-8 validator and the parser of
// client frames. The session (websocket_session_impl.hpp) does the I/O around them.
#pragma once

#include <cstddef>     // size_t
#include <cstdint>     // uint8_t, uint16_t, uint64_t
#include <span>        // span
#include <string>      // string
#include <string_view> // string_view

namespace chat_server::ws {

enum opcode : std::uint8_t {
    op_continuation = 0x0,
    op_text = 0x1,
    op_binary = 0x2,
    op_close = 0x8,
    op_ping = 0x9,
    op_pong = 0xA,
};

namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t no_status = 1005; // never sent: a close frame without a code
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy = 1008;
inline constexpr std::uint16_t too_big = 1009;
} // namespace close_code

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455 GUID)).
std::string accept_key(std::string_view client_key);

// Whether `key` can be a Sec-WebSocket-Key: base64 of 16 bytes (24 characters).
bool valid_client_key(std::string_view key) noexcept;

// The largest server frame header: 2 bytes, 8 of extended length, no mask.
inline constexpr std::size_t max_header_bytes = 10;

// Writes the header of an unfragmented, unmasked server frame into `out`; returns its size.
std::size_t encode_header(unsigned char* out, opcode op, std::uint64_t payload_bytes) noexcept;

// UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing above U+10FFFF), fed
// in pieces: a code point may be split across calls.
class utf8_validator {
public:
    // False once the bytes so far cannot begin valid UTF-8.
    bool feed(const unsigned char* p, std::size_t n) noexcept;
    // True when everything fed is valid and no code point is left incomplete.
    bool complete() const noexcept { return !bad_ && need_ == 0; }
    void reset() noexcept { *this = utf8_validator(); }

private:
    std::uint8_t need_ = 0;  // continuation bytes still expected
    std::uint8_t lo_ = 0x80; // the range the next continuation byte must be in
    std::uint8_t hi_ = 0xBF;
    bool bad_ = false;
};

// Parses what a client sends after the opening handshake. Unmasks payloads in place, checks
// every RFC 6455 rule a server must (masking, opcodes, reserved bits, control frame size and
// fragmentation, continuation order), reassembles fragmented messages up to a size limit, and
// checks that text messages are UTF-8. A message that arrives whole in one buffer is handed
// out where it lies; only a message spanning reads or frames is copied into a buffer, which is
// released once the message is handled, so an idle connection holds none.
class frame_parser {
public:
    struct event {
        enum class kind : std::uint8_t { none, message, ping, pong, close, error };
        kind what = kind::none;
        bool text = false;        // message: a text (not binary) message
        std::uint16_t code = 0;   // close: the peer's code (no_status if none); error: ours
        std::string_view payload; // message, ping, pong: the payload; close: the reason
    };

    explicit frame_parser(std::uint64_t max_message_bytes) : max_message_(max_message_bytes) {}

    // Parses data[0, n), unmasking in place, up to and including the first event; returns the
    // bytes consumed. `ev.what` is none when all n bytes were consumed without an event. The
    // views in `ev` stay valid until the next call and while data[0, n) is unchanged.
    std::size_t parse(unsigned char* data, std::size_t n, event& ev);

    // Inside a data frame with at least `min_bytes` of payload still to come: where the next
    // payload bytes can be read to directly (at most what the frame still holds); empty
    // otherwise. Follow a read into it with direct_commit().
    std::span<unsigned char> direct_buffer(std::size_t min_bytes);
    // `n` bytes were read into the span direct_buffer() returned: parses them.
    void direct_commit(std::size_t n, event& ev);

    // After an error event, or once the server has sent its close frame: from now on only a
    // close frame is reported; everything else, protocol violations included, is skipped.
    void set_closing() noexcept;
    bool closing() const noexcept { return closing_; }

    // Heap bytes held for messages and control frames in flight (0 when idle).
    std::size_t buffered_bytes() const noexcept { return heap(message_) + heap(control_); }

private:
    enum class state : std::uint8_t { header, payload };

    bool on_header(event& ev);
    void on_payload(unsigned char* p, std::size_t k, bool appended, event& ev);
    void end_of_frame(std::string_view payload, event& ev);
    void fail(std::uint16_t code, event& ev);
    void release_previous();
    std::size_t header_need() const noexcept;
    static std::size_t heap(const std::string& s) noexcept {
        return s.capacity() > std::string().capacity() ? s.capacity() : 0;
    }
    void unmask(unsigned char* p, std::size_t k) noexcept;

    std::uint64_t max_message_;
    state state_ = state::header;
    bool closing_ = false;
    // The frame being read.
    unsigned char header_[14];
    std::uint8_t header_size_ = 0; // bytes of header_ filled
    std::uint8_t op_ = 0;
    bool fin_ = false;
    bool skip_ = false; // its payload is discarded
    unsigned char mask_[4] = {0, 0, 0, 0};
    std::uint64_t length_ = 0;    // its payload bytes
    std::uint64_t remaining_ = 0; // of its payload, still to come
    // The message being read (possibly over several frames).
    bool in_message_ = false;
    bool text_ = false;
    std::uint64_t message_size_ = 0;
    utf8_validator utf8_;
    std::string message_; // a message that spans reads or frames
    std::string control_; // a control frame payload that spans reads
    std::size_t direct_offset_ = 0;
    bool direct_pending_ = false;  // a read into direct_buffer() is under way
    bool release_message_ = false; // message_ was handed out: clear it on the next call
};

} // namespace chat_server::ws
