// The few pieces of RFC 6455 a load client needs (masked client frames, an incremental parser
// of server frames) and the measurement payload carried inside each message's content.
#pragma once

#include <cstddef>     // size_t
#include <cstdint>     // uint8_t, uint32_t, int64_t, uint64_t
#include <string>      // string
#include <string_view> // string_view

#include "chat/ws_frame.hpp"

namespace chat::load {

// The framing itself (headers, masking, close payloads, keys) is the shared codec's.
namespace ws = chat::ws;
using opcode = ws::opcode;

// Appends a masked text frame whose payload is {"content":"<content>"}; `content` must need
// no JSON escaping (the measurement payload never does).
void append_content_frame(std::string& out, std::string_view content, const ws::mask_key& mask);

enum class parse_status { complete, need_more, protocol_error };

// One parsed server frame (unmasked payload, pointing into the parsed buffer).
struct frame {
    bool fin = false;
    opcode op = opcode::text;
    std::string_view payload;
};

// Parses one frame at the start of `data`; on `complete` sets `f` and `used`. A frame breaking
// a rule of RFC 6455 5.1-5.5 for server frames (ws::check_header: masked, RSV bits, reserved
// opcode, control frame over 125 bytes or fragmented) or longer than `max_payload` is a
// protocol_error; a length in a longer form than needed is tolerated (a load client is no judge).
parse_status parse_frame(std::string_view data, frame& f, std::size_t& used,
                         std::size_t max_payload);

// The largest message (one frame, or fragments reassembled) a load client accepts from a
// server. Chat messages are small (MAX_MESSAGE_BYTES of content, at most 6x on JSON escaping,
// plus the envelope); anything longer is a hostile server and ends the connection.
constexpr std::size_t max_server_message = std::size_t{1} << 20;

// RFC 6455 section 5.4 for a reader. Feeds a data frame (`f.op` text, binary or continuation)
// into the message being assembled in `partial` (`fragmented`: a message is open; `binary`:
// its opcode). Returns `complete` with `message` (pointing into `f.payload` or `partial`,
// `binary` telling its kind) when `f` finishes a message, `need_more` while fragments are
// pending, and `protocol_error` for a continuation without a start, a new message inside a
// fragmented one, or a message over `max_bytes`. The caller clears `partial` after a message.
parse_status assemble(const frame& f, std::string& partial, bool& fragmented, bool& binary,
                      std::string_view& message, std::size_t max_bytes);

// The server's answer to the upgrade request.
enum class upgrade_status {
    need_more, // the head is not complete yet
    switched,  // HTTP/1.1 101 with the expected Sec-WebSocket-Accept
    rejected,  // an HTTP response with another status
    invalid    // not HTTP, a head over max_upgrade_head bytes, or a wrong or missing accept
};
constexpr std::size_t max_upgrade_head = 16 * 1024;
// Checks the response head at the start of `data` against the expected accept value; on
// `switched`, `head_len` is the length of the head including its blank line (frames follow).
upgrade_status check_upgrade(std::string_view data, std::string_view accept, std::size_t& head_len);

// A Sec-WebSocket-Key: the 16 bytes of `a` and `b`, base64 (24 characters; RFC 6455 4.1).
std::string websocket_key(std::uint64_t a, std::uint64_t b);

// The upgrade request of `target` on `host` with `key`; `extra_headers` are whole header lines
// (--header, --origin). Ends with the blank line.
std::string upgrade_request(std::string_view target, std::string_view host, std::string_view key,
                            std::string_view extra_headers);

// --- measurement payload: L|run|sender|seq|intended_us|sent_us|padding ---

struct payload {
    std::string_view run;         // run tag
    std::uint64_t sender = 0;     // global client index of the sender
    std::uint64_t seq = 0;        // 1, 2, 3 ... per sender
    std::int64_t intended_us = 0; // Unix microseconds the schedule said to send it
    std::int64_t sent_us = 0;     // Unix microseconds it was handed to the socket
};

// Writes the content (exactly `size` bytes when size is large enough) into `out`.
void encode_payload(std::string& out, const payload& p, std::size_t size);

// Parses a content string written by encode_payload.
bool decode_payload(std::string_view content, payload& p);

// Finds the "content" string of a broadcast message without a full JSON parse; returns false
// when the message has no plain (escape-free) content string, so the caller can fall back.
bool find_content(std::string_view message, std::string_view& content);

} // namespace chat::load
