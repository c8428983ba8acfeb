// How the server reads a request target: which endpoint it names (SPEC.md section 7) and,
// for /ws, whether its query is a valid join (SPEC.md CONN-2, CONN-4, CONN-5). Pure functions,
// so the rules are unit-tested without sockets.
#pragma once

#include "chat/ws_frame.hpp" // is_valid_utf8

#include <cstddef>     // size_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view

namespace chat {
struct request_target;
}

namespace chat_server {

struct route {
    enum class endpoint { health, rooms, history, ws, unknown } what = endpoint::unknown;
    bool malformed = false;  // a percent-escape somewhere in the target is bad
    std::string room;        // for `history`: the decoded room name
    std::string query_error; // for `ws`: why the query is not a valid join ("" when it is)
    std::string join_room;   // for `ws` with a valid query: decoded `room` and `user`
    std::string join_user;
};

// Classifies `target` ("/api/rooms/caf%C3%A9/messages", "/ws?room=a&user=b").
route classify(std::string_view target, std::size_t max_name_bytes);

// With --base-path "/prefix": "/prefix/ws?room=a" -> "/ws?room=a"; nullopt for targets outside
// the prefix ("/ws", "/prefixed/ws", "/prefix").
std::optional<std::string_view> strip_base_path(std::string_view target,
                                                std::string_view base_path) noexcept;

// An absolute-form request target (RFC 9112 section 3.2.2) split into the authority it names
// and the origin-form target the server routes: "http://h:1/ws?room=a" -> {"h:1", "/ws?room=a"},
// "https://h" -> {"h", "/"}, "http://h?x" -> {"h", "/?x"}. Schemes "http" and "https" in any
// case; nullopt for every other target (origin-form "/...", asterisk-form, other schemes).
struct absolute_target {
    std::string_view authority;
    std::string origin_form;
};
std::optional<absolute_target> split_absolute_form(std::string_view target);

// Whether `value` can be a Host field value (RFC 9112 section 3.2, RFC 3986 section 3.2.2:
// uri-host [ ":" port ]): reg-name, IPv4 or bracketed IP-literal characters only; empty is
// allowed (a target without authority).
bool valid_host_value(std::string_view value) noexcept;

// True when `s` is well-formed UTF-8 (RFC 3629): the shared validator of the WebSocket codec.
using ::chat::ws::is_valid_utf8;

} // namespace chat_server
