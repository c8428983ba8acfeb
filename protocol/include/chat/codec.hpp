// The wire codec: client frames, broadcast messages and REST bodies, as SPEC.md defines them.
#pragma once

#include "chat/message.hpp"

#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace chat {

// Why a client text frame is not a chat message (SPEC.md MSG-4: such frames are ignored).
enum class frame_error {
    none,
    not_json,               // the text does not parse as JSON
    not_object,             // valid JSON, but not an object
    content_missing,        // an object without "content"
    content_not_string,     // "content" is there but is not a string
    content_repeated,       // the object has "content" more than once (SPEC.md MSG-5)
    content_lone_surrogate, // "content" holds an unpaired surrogate escape ("\ud800"): no
                            // UTF-8 can represent it (RFC 8259 section 8.2)
};

const char* to_string(frame_error e) noexcept;

struct client_frame {
    std::string content;
    frame_error error = frame_error::none;
    bool ok() const noexcept { return error == frame_error::none; }
};

// Decodes the text of a client frame: RFC 8259 JSON text (UTF-8, no BOM) whose top-level value
// is an object with exactly one "content" member, a string. Never throws: every other input is
// an error value. A number's size never matters (RFC 8259 section 6); other members are not
// looked at beyond their grammar (SPEC.md MSG-8); escapes in the content are decoded, a
// surrogate pair to one 4-byte UTF-8 sequence.
client_frame decode_client_frame(std::string_view text);

// {"content":"..."}: what a client sends.
std::string encode_client_frame(std::string_view content);

// Appends `s` as a JSON string literal (quotes included). `s` must be valid UTF-8; control
// characters, quotes and backslashes are escaped, everything else is copied byte for byte.
void append_json_string(std::string& out, std::string_view s);

// {"user":...,"room":...,"content":...,"timestamp":...} in that key order.
std::string encode_message(const chat_message& m);

// Strict decoding of a server message: an object with string user/room/content and an
// integer timestamp. On failure returns nullopt and, if `why` is given, says what was wrong.
std::optional<chat_message> decode_message(std::string_view text, std::string* why = nullptr);

// {"error":"..."}: valid UTF-8 JSON (RFC 8259 section 8.1) whatever `message` holds, so a
// message that quotes request bytes (a target, an Origin) needs no care: every byte that does
// not begin a well-formed UTF-8 sequence becomes U+FFFD (one per byte), then the text is
// escaped as append_json_string does.
std::string encode_error(std::string_view message);

// `s` with every byte that does not begin a well-formed UTF-8 sequence (RFC 3629: no overlong
// forms, surrogates or code points past U+10FFFF; a truncated sequence counts byte by byte)
// replaced by U+FFFD; valid input is returned unchanged.
std::string valid_utf8(std::string_view s);

// Bodies of the REST endpoints, decoded strictly against SPEC.md's envelopes.
std::optional<std::vector<room_entry>> decode_room_list(std::string_view body,
                                                        std::string* why = nullptr);
struct room_history {
    std::string room;
    std::vector<chat_message> messages;
};
std::optional<room_history> decode_history(std::string_view body, std::string* why = nullptr);
// {"error": string} with a non-empty message.
std::optional<std::string> decode_error(std::string_view body, std::string* why = nullptr);

} // namespace chat
