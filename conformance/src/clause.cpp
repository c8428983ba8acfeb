// The clause table of SPEC.md 1.2. Keep it verbatim: test/clause_table.cpp compares it with
// SPEC.md row by row.
#include "clause.hpp"

namespace chat::conformance {

const char* to_string(level l) noexcept {
    switch (l) {
    case level::must:
        return "MUST";
    case level::should:
        return "SHOULD";
    case level::may:
        return "MAY";
    }
    return "?";
}

const std::vector<clause>& clauses() {
    // clang-format off
    static const std::vector<clause> table{
        {"CONN-1", level::must, "A WebSocket upgrade request for `/ws` whose query has non-empty `room` and `user` values is accepted with `101 Switching Protocols`, and the client becomes a client of room `room`."},
        {"CONN-2", level::must, "An upgrade request for `/ws` whose `room` or `user` is missing or empty after decoding is answered `400` with a JSON body `{\"error\": string}` and is not upgraded."},
        {"CONN-3", level::must, "`room` and `user` are decoded before use, and room names are compared after decoding, so `caf%C3%A9` in `/ws` and in `/api/rooms/caf%C3%A9/messages` name the same room `café`."},
        {"CONN-4", level::must, "An upgrade request that gives `room` or `user` more than once, contains a malformed percent-escape anywhere in its request target, or whose `room` or `user` is not valid UTF-8 after decoding (`room=%FF`), is answered `400` with a JSON `{\"error\": string}` body and is not upgraded."},
        {"CONN-5", level::should, "A `room` or `user` longer than `MAX_NAME_BYTES` bytes after decoding is answered `400` with a JSON `{\"error\": string}` body."},
        {"MSG-1", level::must, "A client frame from a client of room R is broadcast as a message to every client of R, the sender included."},
        {"MSG-2", level::must, "A broadcast message is a JSON object with exactly the members `user`, `room`, `content` and `timestamp`, where `user` and `room` are the sending connection's decoded query values and `content` is the frame's `content`."},
        {"MSG-3", level::must, "`timestamp` is an integer: the server's clock in Unix milliseconds when it received the frame."},
        {"MSG-4", level::must, "`content` round-trips exactly: quotes, backslashes, newlines, control characters, any Unicode, and any length the message size limit allows arrive as sent, that is as the same string after JSON decoding (the escapes that encode it may differ)."},
        {"MSG-5", level::must, "A text frame that is not JSON, not a JSON object, has no `content` or has it more than once, or whose `content` is not a string or holds an escape that is no Unicode scalar value (a lone surrogate such as `\\ud800`), is ignored: not broadcast, not stored in history, and the connection stays open."},
        {"MSG-6", level::must, "A binary message is ignored in the same way and the connection stays open."},
        {"MSG-7", level::must, "A message of room R is never delivered to a client that is not a client of room R."},
        {"MSG-8", level::must, "Members of a client frame other than `content` are ignored, whatever their values (numbers of any size and precision included): `user` and `room` always come from the connection, never from the frame."},
        {"ORD-1", level::must, "Every client of a room receives the room's messages in one and the same order, however many clients send concurrently."},
        {"ORD-2", level::must, "The messages of one client are broadcast in the order that client sent them."},
        {"ORD-3", level::must, "A client that keeps reading receives every message broadcast in its room while it is a client of the room exactly once: none lost, none duplicated."},
        {"ORD-4", level::must, "A room's history holds its messages in the same order in which they were broadcast."},
        {"HIST-1", level::must, "The server keeps the most recent `HISTORY_LIMIT` messages of every room, oldest first."},
        {"HIST-2", level::must, "When a room has more than `HISTORY_LIMIT` messages, the oldest are dropped first, so exactly the last `HISTORY_LIMIT` remain."},
        {"HIST-3", level::must, "`GET /api/rooms/:room/messages` answers `200` with `{\"data\":{\"room\": R, \"messages\": [message, ...]}}`, the room's history oldest first (`[]` when it has none), where R is the decoded room name."},
        {"HIST-4", level::must, "`GET /api/rooms/:room/messages` for a room that does not exist answers `404` with `{\"error\":\"room not found\"}`."},
        {"HIST-5", level::must, "A client that joins first receives the room's history, oldest first, and only then live messages: no live message arrives before or between the replayed ones."},
        {"HIST-6", level::must, "Across a join, every message of the room is either in the joining client's replay or delivered to it live, exactly once."},
        {"HIST-7", level::must, "A room's history survives its last client leaving."},
        {"ROOM-1", level::must, "A room named `general` exists from start-up, with 0 clients until someone joins it."},
        {"ROOM-2", level::must, "Joining a room that does not exist creates it."},
        {"ROOM-3", level::must, "`GET /api/rooms` answers `200` with `{\"data\":{\"rooms\":[{\"name\": string, \"clients\": integer}, ...]}}`, listing every room exactly once, in no particular order."},
        {"ROOM-4", level::must, "A room's `clients` is the number of its clients: a join shows within `SETTLE_MS` of the `101` response, and a disconnect (close, drop or broken connection) within `SETTLE_MS` of the server noticing it."},
        {"ROOM-5", level::must, "A room survives its last client leaving, listed with `clients` 0."},
        {"SLOW-1", level::must, "Each client has an outbound queue bounded at `SEND_QUEUE` messages; a client for which a message arrives while its queue is full is disconnected."},
        {"SLOW-2", level::must, "A disconnected slow client is removed from its room, as ROOM-4 says."},
        {"SLOW-3", level::must, "A slow client never delays or prevents delivery to the other clients of its room: a client that keeps reading receives every message."},
        {"SLOW-4", level::must, "Dropping a slow client never harms the server: it goes on serving existing and new clients."},
        {"SLOW-5", level::should, "A client that has stopped reading is dropped no later than when its queue overflows, and the server closes the TCP connection without waiting for the client to read (a close frame MAY be attempted, code 1008)."},
        {"HTTP-1", level::must, "`GET /health` answers `200` with `{\"data\":{\"status\":\"ok\"}}`."},
        {"HTTP-2", level::must, "A request for a path the server does not serve answers `404` with a JSON `{\"error\": string}` body."},
        {"HTTP-3", level::must, "A request with a method other than `GET` on `/health`, `/api/rooms`, `/api/rooms/:room/messages` or `/ws` answers `405` with a JSON `{\"error\": string}` body (for `HEAD`, the `405` without a body)."},
        {"HTTP-4", level::must, "Every JSON response carries `Content-Type: application/json` (parameters such as `; charset=utf-8` may follow)."},
        {"HTTP-5", level::should, "A `405` response carries an `Allow: GET` header."},
        {"HTTP-6", level::must, "Every JSON body the server sends is valid UTF-8 JSON, whatever bytes the request held (a name, a path or a header echoed in an error is escaped or replaced, never copied raw)."},
        {"HTTP-7", level::must, "A request target in absolute form (`GET http://host:port/health HTTP/1.1`) is served exactly like its path and query."},
        {"HTTP-8", level::must, "A request for `/api/rooms/:room/messages` whose room segment holds a malformed percent-escape is answered `400` with a JSON `{\"error\": string}` body."},
        {"WS-1", level::must, "A ping is answered with a pong carrying the same payload."},
        {"WS-2", level::must, "A close frame from the client is answered with a close frame, and the client leaves its room."},
        {"WS-3", level::must, "A text message that is not valid UTF-8 closes the connection with code 1007."},
        {"WS-4", level::must, "A message larger than `MAX_MESSAGE_BYTES` closes the connection with code 1009."},
        {"WS-5", level::must, "A message sent as several frames (continuation frames) is reassembled and treated as one client frame."},
        {"SHUT-1", level::must, "On SIGINT or SIGTERM the server stops accepting connections, sends a close frame with code 1001 to every client, and exits within `SHUTDOWN_MS`."},
        {"LIMIT-1", level::should, "A request whose header section (from the first byte of the request line through the empty line that ends it, line ends included) exceeds `MAX_HEADER_BYTES` bytes is answered `431` with a JSON `{\"error\": string}` body, and the connection is then closed."},
        {"LIMIT-2", level::should, "A request that is not valid HTTP/1.1 (a malformed request line, header field or chunked body) is answered `400` with a JSON `{\"error\": string}` body, and the connection is then closed."},
        {"LIMIT-3", level::may, "A connection whose HTTP request, an upgrade included, has not arrived whole within `HANDSHAKE_TIMEOUT_MS` of the connection opening or of the previous response is closed without an answer."},
        {"LIMIT-4", level::may, "A server may cap its number of rooms; a join that would create a room beyond the cap is answered `503` with a JSON `{\"error\": string}` body and is not upgraded, and joins of existing rooms are still accepted."},
        {"LIMIT-5", level::should, "A malformed or oversized request, or a WebSocket protocol error on one connection, never affects the others: the server goes on serving existing and new clients."},
        {"SEC-1", level::may, "A server may restrict WebSocket upgrades to a list of allowed origins: an upgrade whose `Origin` header is not on the list is answered `403` with a JSON `{\"error\": string}` body, and an upgrade without an `Origin` header is not refused for lacking one."},
    };
    // clang-format on
    return table;
}

const clause* find_clause(std::string_view id) noexcept {
    for (const auto& c : clauses())
        if (c.id == id)
            return &c;
    return nullptr;
}

} // namespace chat::conformance
