// The few pieces of RFC 6455 a load client needs (masked client frames, an incremental parser
// of server frames) and the measurement payload carried inside each message's content.
#pragma once

#include <cstddef>     // size_t
#include <cstdint>     // uint8_t, uint32_t, int64_t, uint64_t
#include <string>      // string
#include <string_view> // string_view

namespace chat::load {

enum class opcode : std::uint8_t {
    continuation = 0,
    text = 1,
    binary = 2,
    close = 8,
    ping = 9,
    pong = 10
};

// Appends one complete, masked client frame (FIN set) carrying `payload` to `out`.
void append_frame(std::string& out, opcode op, std::string_view payload, std::uint32_t mask);

// Appends a masked text frame whose payload is {"content":"<content>"}; `content` must need
// no JSON escaping (the measurement payload never does).
void append_content_frame(std::string& out, std::string_view content, std::uint32_t mask);

// One parsed server frame (unmasked payload, pointing into the parsed buffer).
struct frame {
    bool fin = false;
    opcode op = opcode::text;
    std::string_view payload;
};

enum class parse_status { complete, need_more, protocol_error };

// Parses one frame at the start of `data`; on `complete` sets `f` and `used`.
// Server frames must not be masked and control frames must be short and unfragmented.
parse_status parse_frame(std::string_view data, frame& f, std::size_t& used,
                         std::size_t max_payload);

// The close payload: 2-byte code plus reason.
std::string close_payload(int code, std::string_view reason = {});

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
