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
