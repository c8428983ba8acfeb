// Judges what a server sends against the shapes SPEC.md defines, and says what is wrong in
// words: broadcast messages (MSG-2, MSG-3), REST envelopes (HIST-3, ROOM-3), error bodies.
#pragma once

#include "chat/message.hpp"

#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace chat::conformance {

struct message_verdict {
    std::optional<chat_message> message; // set when the text is a valid message
    std::string clause;                  // otherwise: the clause it breaks (MSG-2 or MSG-3)
    std::string problem;                 // and what is wrong
};
// A broadcast message: a JSON object with exactly user, room, content (strings) and an
// integer timestamp.
message_verdict inspect_message(std::string_view text);

// One way a message differs from SPEC.md's shape, and the clause that difference breaks.
struct deviation {
    std::string clause; // "MSG-2", "MSG-3"
    std::string problem;
};
// What a check can still recognise in a server's text message (the tolerant observation
// layer): a JSON object with a string `content` is recognised even when other members are
// missing, extra or of the wrong type (each a deviation); `message` is empty only when the text
// cannot be told apart from any other (not JSON, not an object, no string `content`), and then
// `unrecognised` says why, under MSG-2.
struct observation {
    std::optional<chat_message> message;
    std::vector<deviation> deviations;
    deviation unrecognised;
};
observation observe_message(std::string_view text);

// The REST history with its messages observed as above; nullopt when the envelope itself is
// wrong (HIST-3), with `why`.
struct observed_history {
    std::string room;
    std::vector<observation> messages;
};
std::optional<observed_history> observe_history(std::string_view body, std::string& why);

// Why `text` is not JSON text (RFC 8259: valid UTF-8 included), or nullopt when it is.
std::optional<std::string> json_problem(std::string_view text);

// {"error": string}: the error message, or nullopt with `why`.
std::optional<std::string> inspect_error_body(std::string_view body, std::string& why);
// {"data":{"rooms":[{"name": string, "clients": integer}, ...]}}, names unique.
std::optional<std::vector<room_entry>> inspect_room_list(std::string_view body, std::string& why);
struct history_body {
    std::string room;
    std::vector<chat_message> messages;
};
// {"data":{"room": R, "messages": [message, ...]}}
std::optional<history_body> inspect_history(std::string_view body, std::string& why);
// {"data":{"status":"ok"}}
bool is_health_ok(std::string_view body, std::string& why);

// `application/json`, optionally with parameters ("application/json; charset=utf-8").
bool is_json_content_type(std::string_view content_type);

// A printable excerpt for a report: JSON-style escapes, at most `max` bytes, "..." when cut.
std::string excerpt(std::string_view text, std::size_t max = 160);

} // namespace chat::conformance
