// RFC 6455 framing for every role, without I/O and without Boost: the opening handshake's keys,
// frame headers and payload masking, close payloads, UTF-8 validation and an incremental frame
// parser for either side of a connection. Sessions and clients do the I/O around it.
#pragma once

#include <array>       // array
#include <cstddef>     // size_t
#include <cstdint>     // uint8_t, uint16_t, uint32_t, uint64_t
#include <functional>  // function
#include <memory>      // unique_ptr
#include <optional>    // optional
#include <span>        // span
#include <string>      // string
#include <string_view> // string_view

namespace chat::ws {

// RFC 6455 section 5.2. A value read off the wire may also be a reserved one (3-7, 0xB-0xF).
enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

// Control frames (close, ping, pong and the reserved 0xB-0xF) have the high opcode bit set.
constexpr bool is_control(opcode op) noexcept {
    return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}
// Whether RFC 6455 defines `op` (no extension is negotiated, so reserved opcodes are errors).
constexpr bool is_defined(opcode op) noexcept {
    const auto v = static_cast<std::uint8_t>(op);
    return v <= 0x2 || (v >= 0x8 && v <= 0xA);
}

// Status codes of RFC 6455 section 7.4.1 and the IANA registry.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005; // never on the wire: a close without a code
inline constexpr std::uint16_t abnormal = 1006;  // never on the wire: no close frame at all
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy = 1008;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t mandatory_extension = 1010;
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t tls_handshake = 1015; // never on the wire
} // namespace close_code

// Whether `code` may appear in a close frame (RFC 6455 7.4.1, 7.4.2, IANA registry): 1000-1003,
// 1007-1014 and 3000-4999. Never 0-999, 1004, 1005, 1006, 1015 or 1016-2999.
bool close_code_allowed(std::uint16_t code) noexcept;

// Which RFC 6455 rule a frame or message breaks (none: it breaks none).
enum class violation : std::uint8_t {
    none,
    reserved_bits,           // 5.2: RSV1-3 set without a negotiated extension
    unmasked_client_frame,   // 5.1: a client frame must be masked
    masked_server_frame,     // 5.1: a server frame must not be masked
    reserved_opcode,         // 5.2: opcode 3-7 or 0xB-0xF
    non_minimal_length,      // 5.2: "the minimal number of bytes MUST be used"
    length_high_bit,         // 5.2: the 64-bit length's most significant bit must be 0
    control_too_long,        // 5.5: control frame payload over 125 bytes
    control_fragmented,      // 5.5: control frame without FIN
    unexpected_continuation, // 5.4: a continuation frame with no message open
    expected_continuation,   // 5.4: a new text/binary frame inside a fragmented message
    message_too_big,         // 7.4.1 (1009): over the parser's message limit
    invalid_utf8,            // 5.6, 8.1: text message that is not UTF-8
    close_one_byte,          // 5.5.1: a close payload of 1 byte (a code needs 2)
    close_code_forbidden, // 7.4.1/7.4.2: a code that never appears on the wire (close_code_allowed)
    close_reason_not_utf8, // 5.5.1: the close reason must be UTF-8
};
// A short English name ("reserved bits", "close code forbidden", ...), for reports and logs.
std::string_view describe(violation v) noexcept;
// The status code an endpoint closes with for `v`: 1009 for message_too_big, 1007 for
// invalid_utf8 and close_reason_not_utf8, 1002 for every other violation (0 for none).
std::uint16_t close_code_for(violation v) noexcept;

// --- Opening handshake (RFC 6455 4.1, 4.2.2) --------------------------------------------

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455 GUID)),
// 28 characters. SHA-1 is OpenSSL's libcrypto.
std::string accept_key(std::string_view client_key);
// Whether `key` can be a Sec-WebSocket-Key: base64 of 16 bytes (24 characters, "==" last).
bool valid_client_key(std::string_view key) noexcept;
// The Sec-WebSocket-Key for the 16-byte nonce `nonce` (base64, 24 characters).
std::string client_key(const std::array<unsigned char, 16>& nonce);
// A Sec-WebSocket-Key from 16 bytes of OpenSSL's random generator (RAND_bytes); throws
// std::runtime_error if the generator fails.
std::string random_client_key();

// --- Serialising (RFC 6455 5.2, 5.3) ----------------------------------------------------

using mask_key = std::array<unsigned char, 4>;
// The key whose bytes are `v` from the most significant byte on (0x01020304 -> 01 02 03 04).
constexpr mask_key to_mask_key(std::uint32_t v) noexcept {
    return {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
            static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
}

// A masking key from OpenSSL's random generator: RFC 6455 5.3 wants each client frame's key
// unpredictable. Throws std::runtime_error if the generator fails.
mask_key random_mask_key();

// Which payload length field a header uses: the 7-bit value, or 126/127 and a 16/64-bit one.
enum class length_form : std::uint8_t { shortest, bits7, bits16, bits64 };

// One frame header as it is (or is to be) on the wire. `op` and `rsv` may hold any 4/3-bit
// value, so a test can write, and a parser can report, frames RFC 6455 forbids.
struct frame_header {
    bool fin = true;
    std::uint8_t rsv = 0;     // RSV1 RSV2 RSV3 as bits 2 1 0 (RSV1 = 4)
    opcode op = opcode::text; // possibly a reserved value
    bool masked = false;
    mask_key mask{0, 0, 0, 0};                // when masked
    std::uint64_t length = 0;                 // the payload length the header announces, in bytes
    length_form form = length_form::shortest; // writing: shortest picks 7/16/64 by `length`;
                                              // parsing: the form on the wire (never shortest)
    std::uint8_t header_bytes = 0;            // parsing: the header's size on the wire, 2 to 14
};

// The largest header: 2 bytes, 8 of extended length, 4 of mask key.
inline constexpr std::size_t max_header_bytes = 14;

// Writes `h` into `out` (room for max_header_bytes); returns its size. A length that does not
// fit the requested form is truncated to it (a test may want exactly that).
std::size_t encode_header(unsigned char* out, const frame_header& h) noexcept;
// The header of an unfragmented, unmasked frame (a server's): FIN, shortest length form.
std::size_t encode_header(unsigned char* out, opcode op, std::uint64_t payload_bytes) noexcept;
// Appends the header `h` to `out`.
void append_header(std::string& out, const frame_header& h);

// XORs p[0, n) with `key`, where p[0] is byte `offset` of the payload (RFC 6455 5.3); masking
// and unmasking are the same operation.
void mask_payload(unsigned char* p, std::size_t n, const mask_key& key,
                  std::uint64_t offset = 0) noexcept;

// Appends a whole frame: header (shortest length form, no RSV bits) and `payload`, masked with
// `mask` when given (a client must mask, a server must not: RFC 6455 5.1).
void append_frame(std::string& out, opcode op, bool fin, std::string_view payload,
                  std::optional<mask_key> mask = std::nullopt);

// A close frame's payload (RFC 6455 5.5.1): the 2-byte code, big-endian, then `reason`. The
// reason is cut to 123 bytes (a control payload holds 125) at a UTF-8 code point boundary.
// Writes whatever code is given; close_code_allowed() tells whether it may be sent.
std::string close_payload(std::uint16_t code, std::string_view reason = {});

// A close payload read back: code no_status when the payload is empty. `problem` says which
// rule it breaks: close_one_byte, close_code_forbidden, close_reason_not_utf8 or none.
struct close_info {
    std::uint16_t code = close_code::no_status;
    std::string_view reason; // a view into the payload
    violation problem = violation::none;
};
close_info parse_close_payload(std::string_view payload) noexcept;

// --- UTF-8 (RFC 3629) -------------------------------------------------------------------

// UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing above U+10FFFF), fed
// in pieces: a code point may be split across calls.
class utf8_validator {
public:
    // False once the bytes so far cannot begin valid UTF-8.
    bool feed(const unsigned char* p, std::size_t n) noexcept;
    bool feed(std::string_view s) noexcept {
        return feed(reinterpret_cast<const unsigned char*>(s.data()), s.size());
    }
    // True when everything fed is valid and no code point is left incomplete.
    bool complete() const noexcept { return !bad_ && need_ == 0; }
    void reset() noexcept { *this = utf8_validator(); }

private:
    std::uint8_t need_ = 0;  // continuation bytes still expected
    std::uint8_t lo_ = 0x80; // the range the next continuation byte must be in
    std::uint8_t hi_ = 0xBF;
    bool bad_ = false;
};

// Whether all of `s` is UTF-8 (RFC 3629).
bool is_valid_utf8(std::string_view s) noexcept;

// --- Parsing (RFC 6455 5.2-5.6) ---------------------------------------------------------

// Which end of the connection the parser is on. A server parses client frames (which must be
// masked), a client parses server frames (which must not be).
enum class role : std::uint8_t { server, client };

// Reads the header at the start of data[0, n): returns its size (2-14) and fills `h`, or 0 when
// more bytes are needed. Checks nothing.
std::size_t decode_header(const unsigned char* data, std::size_t n, frame_header& h) noexcept;
// The first rule of RFC 6455 5.1-5.5 that the header `h` alone breaks for a parser on side
// `r` (RSV bits, masking, reserved opcode, length form, control frame rules); none if none.
// The order of messages (continuations) is the parser's to check.
violation check_header(const frame_header& h, role r) noexcept;

// Parses what the peer sends after the opening handshake. Unmasks payloads in place, checks
// every RFC 6455 rule for its role (masking, opcodes, reserved bits, control frame size and
// fragmentation, continuation order), reassembles fragmented messages up to a size limit, and
// checks that text messages are UTF-8. Control frames between fragments are reported and do
// not disturb the message being reassembled. A message that arrives whole in one buffer is
// handed out where it lies; only a message spanning reads or frames is copied into a buffer,
// which is released once the message is handled, so an idle connection holds none.
//
// Close frames: in the server role a close that breaks a rule (1-byte payload, forbidden code,
// reason not UTF-8) is an error event, as a server answers it (1002/1007). In the client role
// it is reported as a close event carrying the code and reason as received and `problem`
// naming the rule, so a client can tell exactly what the server sent.
class frame_parser {
public:
    struct event {
        enum class kind : std::uint8_t { none, message, ping, pong, close, error };
        kind what = kind::none;
        bool text = false;      // message: a text (not binary) message
        std::uint16_t code = 0; // close: the peer's code (no_status if none); error: ours
        // error: the rule the peer broke; close: the rule its close frame breaks (client role)
        violation problem = violation::none;
        std::string_view payload; // message, ping, pong: the payload; close: the reason
    };

    // Called with every frame header as it arrived, before any check: a client that judges
    // a server sees every frame, even the ones the parser rejects or skips.
    using frame_observer = std::function<void(const frame_header&)>;

    explicit frame_parser(std::uint64_t max_message_bytes, role r = role::server)
        : max_message_(max_message_bytes), role_(r) {}

    void set_observer(frame_observer observer) {
        observer_ = observer ? std::make_unique<frame_observer>(std::move(observer)) : nullptr;
    }
    role side() const noexcept { return role_; }

    // Parses data[0, n), unmasking in place, up to and including the first event; returns the
    // bytes consumed (at most n). `ev.what` is none when all n bytes were consumed without an
    // event. The views in `ev` stay valid until the next call and while data[0, n) is unchanged.
    std::size_t parse(unsigned char* data, std::size_t n, event& ev);

    // Inside a data frame with at least `min_bytes` of payload still to come: where the next
    // payload bytes can be read to directly (at most what the frame still holds); empty
    // otherwise. Follow a read into it with direct_commit().
    std::span<unsigned char> direct_buffer(std::size_t min_bytes);
    // `n` bytes were read into the span direct_buffer() returned: parses them.
    void direct_commit(std::size_t n, event& ev);

    // After an error event, or once this side has sent its close frame: from now on only a
    // close frame is reported; everything else, protocol violations included, is skipped
    // (the observer still sees every header).
    void set_closing() noexcept;
    bool closing() const noexcept { return closing_; }
    // Whether a fragmented message is open (its first frame read, its last not yet).
    bool in_message() const noexcept { return in_message_; }

    // Heap bytes held for messages and control frames in flight (0 when idle).
    std::size_t buffered_bytes() const noexcept { return heap(message_) + heap(control_); }

private:
    enum class state : std::uint8_t { header, payload };

    bool on_header(event& ev);
    void on_payload(unsigned char* p, std::size_t k, bool appended, event& ev);
    void end_of_frame(std::string_view payload, event& ev);
    void on_close(std::string_view payload, event& ev);
    void fail(violation v, event& ev);
    void release_previous();
    std::size_t header_need() const noexcept;
    static std::size_t heap(const std::string& s) noexcept {
        return s.capacity() > std::string().capacity() ? s.capacity() : 0;
    }

    // Wide members first, then the flags, so an idle connection's parser stays small.
    std::uint64_t max_message_;
    std::unique_ptr<frame_observer> observer_; // a pointer: a server's parsers have none
    // The frame being read.
    frame_header frame_;
    std::uint64_t remaining_ = 0; // of its payload, still to come
    // The message being read (possibly over several frames).
    std::uint64_t message_size_ = 0;
    std::string message_; // a message that spans reads or frames
    std::string control_; // a control frame payload that spans reads
    std::size_t direct_offset_ = 0;
    unsigned char header_[max_header_bytes];
    std::uint8_t header_size_ = 0; // bytes of header_ filled
    role role_;
    state state_ = state::header;
    bool closing_ = false;
    bool skip_ = false; // the frame's payload is discarded
    bool in_message_ = false;
    bool text_ = false;
    bool direct_pending_ = false;  // a read into direct_buffer() is under way
    bool release_message_ = false; // message_ was handed out: clear it on the next call
    utf8_validator utf8_;
};

} // namespace chat::ws
