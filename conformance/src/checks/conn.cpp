// CONN: joining a room with GET /ws?room=R&user=U (SPEC.md section 1).
#include "checks.hpp"

#include "../check_context.hpp"
#include "../message_shape.hpp"

#include "chat/codec.hpp"
#include "chat/url.hpp"

namespace chat::conformance {

namespace {

// An upgrade the server must refuse: 400, a JSON {"error": string} body, no 101.
net::awaitable<void> expect_refused(check_context& ctx, std::string target, std::string clause,
                                    std::string what_is_wrong) {
    auto r = co_await ctx.try_upgrade(target, "U");
    auto expected = "GET " + target + " (" + what_is_wrong +
                    ") answered 400 with a JSON {\"error\": string} body, not upgraded";
    if (!r.ok())
        ctx.fail(clause, expected, "no HTTP answer: " + r.error);
    if (r.status == 101)
        ctx.fail(clause, expected, "the server upgraded the connection (101 Switching Protocols)");
    if (r.status != 400)
        ctx.fail(clause, expected,
                 "the server answered " + std::to_string(r.status) + " " + excerpt(r.body));
    std::string why;
    if (!inspect_error_body(r.body, why))
        ctx.fail(clause, expected, "the 400 body is " + why);
    if (!is_json_content_type(r.content_type))
        ctx.fail("HTTP-4",
                 "the 400 answer to GET " + target + " carries Content-Type: application/json",
                 "Content-Type is \"" + r.content_type + "\"");
}

// A name of exactly `bytes` bytes after decoding, made of `prefix` then `fill` (then 'x').
std::string name_of_bytes(std::string prefix, std::size_t bytes, std::string_view fill) {
    while (prefix.size() + fill.size() <= bytes)
        prefix += fill;
    while (prefix.size() < bytes)
        prefix += 'x';
    return prefix;
}

// CONN-1: a well-formed upgrade is accepted and makes the client a client of the room.
net::awaitable<void> join_accepted(check_context& ctx) {
    // Setup, act: join a room of this check
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    // Expect: listed as a client of that room, and its messages are the room's
    co_await ctx.expect_clients(room, 1, "CONN-1", "after the 101");
    auto m = co_await ctx.send_and_echo(a, "hello");
    if (m.room != room)
        ctx.fail("CONN-1", "messages of A to carry room \"" + room + "\"",
                 "room is \"" + excerpt(m.room, 80) + "\"");
}

// CONN-1 at the edge of CONN-5: names of exactly MAX_NAME_BYTES bytes (after decoding) are
// accepted. Multi-byte characters catch servers that count characters or encoded bytes.
net::awaitable<void> name_at_limit(check_context& ctx) {
    auto max = ctx.constants().max_name_bytes;
    auto prefix = ctx.room();
    if (prefix.size() + 2 > max)
        ctx.skip("MAX_NAME_BYTES (" + std::to_string(max) +
                 ") is shorter than this run's room names");
    auto room = name_of_bytes(prefix + "-", max, "\xC3\xA9"); // é
    auto user = name_of_bytes("", max, "\xC3\xBC");           // ü
    auto a = co_await ctx.join(room, user, "A");
    auto m = co_await ctx.send_and_echo(a, "at the limit");
    if (m.room != room || m.user != user)
        ctx.fail("CONN-1", "a message carrying the full " + std::to_string(max) + "-byte names",
                 "room has " + std::to_string(m.room.size()) + " bytes, user " +
                     std::to_string(m.user.size()));
}

// CONN-2: room or user missing or empty after decoding.
net::awaitable<void> missing_params(check_context& ctx) {
    auto room = percent_encode(ctx.room("never"));
    auto ws = ctx.path("/ws");
    co_await expect_refused(ctx, ws, "CONN-2", "no query at all");
    co_await expect_refused(ctx, ws + "?user=u", "CONN-2", "room missing");
    co_await expect_refused(ctx, ws + "?room=" + room, "CONN-2", "user missing");
    co_await expect_refused(ctx, ws + "?room=&user=u", "CONN-2", "room empty");
    co_await expect_refused(ctx, ws + "?room=" + room + "&user=", "CONN-2", "user empty");
    co_await expect_refused(ctx, ws + "?room=" + room + "&user", "CONN-2", "user without a value");
    co_await expect_refused(ctx, ws + "?rooms=" + room + "&user=u", "CONN-2",
                            "room missing, a look-alike parameter given");
}

// CONN-3: names are percent-decoded ('+' is a space in the query, stays '+' in a path).
net::awaitable<void> percent_decoding(check_context& ctx) {
    // Setup: a room "<prefix>-café x+y" named in the query as caf%C3%A9+x%2By
    auto prefix = ctx.room();
    auto room = prefix + "-caf\xC3\xA9 x+y";
    auto user = std::string("\xC3\xBCser 1");
    auto target =
        ctx.path("/ws?room=" + percent_encode(prefix) + "-caf%C3%A9+x%2By&user=%C3%BCser+1");
    std::shared_ptr<ws_client> ws;
    auto r = co_await ctx.try_upgrade(target, "A", &ws);
    if (r.status != 101)
        ctx.fail("CONN-1", "101 for GET " + target,
                 r.ok() ? "the server answered " + std::to_string(r.status) + " " + excerpt(r.body)
                        : r.error);
    peer a{"A", room, user, ws};
    // Act: send a message
    co_await ctx.send(a, "decoded?");
    auto m = co_await ctx.receive(a, "MSG-1", "its own message back");
    // Expect: the message names the decoded room and user
    if (m.room != room)
        ctx.fail("CONN-3", "room \"" + room + "\" (decoded from the query of " + target + ")",
                 "room is \"" + excerpt(m.room, 120) + "\"");
    if (m.user != user)
        ctx.fail("CONN-3", "user \"" + user + "\" (decoded, '+' is a space)",
                 "user is \"" + excerpt(m.user, 120) + "\"");
    // Expect: the same room through the REST path, where '+' stays '+'
    auto rest = ctx.path("/api/rooms/" + percent_encode(prefix) + "-caf%C3%A9%20x+y/messages");
    auto h = co_await ctx.get(rest, "CONN-3");
    if (h.status != 200)
        ctx.fail("CONN-3", "GET " + rest + " to name the same room \"" + room + "\" and answer 200",
                 "it answered " + std::to_string(h.status) + " " + excerpt(h.body));
    auto messages = co_await ctx.history(room, "CONN-3");
    if (messages.size() != 1 || messages[0].content != "decoded?")
        ctx.fail(
            "CONN-3", "GET " + rest + " to answer room \"" + room + "\" with the 1 message sent",
            "it answered " + std::to_string(messages.size()) + " messages" +
                (messages.empty() ? std::string()
                                  : ", the first \"" + excerpt(messages[0].content, 60) + "\""));
}

// A path segment that names `name` with every byte outside the unreserved set escaped, and
// '.' escaped too, so a name such as ".." is never a dot segment (RFC 3986 section 6.2.2.3).
std::string segment_of(std::string_view name) {
    std::string out;
    for (char c : percent_encode(name))
        out += c == '.' ? std::string("%2E") : std::string(1, c);
    return out;
}

// CONN-3: names that URL routers and query parsers get wrong (reserved characters inside a
// value or a segment, spaces, '+', '%', dot segments, non-ASCII, and names that differ only
// after decoding) name the same room through /ws, the REST path and the room list.
net::awaitable<void> router_names(check_context& ctx) {
    const auto prefix = ctx.room();
    // The same room must come back whatever the name holds; ".." and "." are rooms too.
    const std::vector<std::string> names{
        prefix + "-a/b",
        prefix + "-a?b#c",
        prefix + "-a&b=c;d",
        prefix + "-a+b a%2Bb",
        prefix + "-100%",
        prefix + "-Ã©â ð",
        prefix + "-x%41",
        prefix + "-xA", // differ only after one decoding too many
        "..",
        ".",
    };
    std::vector<peer> peers;
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto p = co_await ctx.join(names[i], names[i], "N" + std::to_string(i));
        // Act: each says something unique in its room. ".." and "." are shared with every run
        // against this server: their replay and other runs' messages come first, skip them.
        auto content = prefix + " in room #" + std::to_string(i);
        co_await ctx.send(p, content, "MSG-1");
        chat_message m;
        for (long k = 0;; ++k) {
            m = co_await ctx.receive(p, "MSG-1", "its own message \"" + content + "\" back");
            if (m.content == content || k > ctx.constants().history_limit + 50)
                break;
        }
        // Expect: the message names the decoded room and user
        if (m.room != names[i] || m.user != names[i])
            ctx.fail("CONN-3",
                     "room and user \"" + excerpt(names[i], 80) + "\" (decoded from " +
                         ws_target(ctx.settings().target, names[i], names[i]) + ")",
                     "room is \"" + excerpt(m.room, 80) + "\", user \"" + excerpt(m.user, 80) +
                         "\"");
        peers.push_back(std::move(p));
    }
    // Expect: each room's history, through the REST path, holds that room's message
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto target = ctx.path("/api/rooms/" + segment_of(names[i]) + "/messages");
        auto r = co_await ctx.get(target, "CONN-3");
        auto expected = "GET " + target + " to answer the history of room \"" +
                        excerpt(names[i], 80) + "\", which holds \"" + prefix + " in room #" +
                        std::to_string(i) + "\"";
        if (r.status != 200)
            ctx.fail("CONN-3", expected,
                     "it answered " + std::to_string(r.status) + " " + excerpt(r.body));
        std::string why;
        auto body = observe_history(r.body, why);
        if (!body)
            ctx.fail("HIST-3", expected, why);
        if (body->room != names[i])
            ctx.fail("CONN-3", expected,
                     "it answered the history of room \"" + excerpt(body->room, 80) + "\"");
        bool found = false;
        for (const auto& o : body->messages)
            if (o.message) {
                auto m = ctx.try_observe(encode_message(*o.message));
                found |=
                    m.message && m.message->content == prefix + " in room #" + std::to_string(i);
            }
        if (!found)
            ctx.fail("CONN-3", expected,
                     "the history of " + std::to_string(body->messages.size()) +
                         " messages does not hold it (another room's history?)");
    }
    // Expect: the room list names each of them as decoded
    auto list = co_await ctx.rooms();
    for (const auto& name : names) {
        bool listed = false;
        for (const auto& e : list)
            listed |= e.name == name;
        if (!listed)
            ctx.fail("CONN-3", "GET /api/rooms to list room \"" + excerpt(name, 80) + "\"",
                     "it is not listed under that name among " + std::to_string(list.size()) +
                         " rooms");
    }
}

// CONN-4: a name given twice, or a malformed escape.
net::awaitable<void> duplicate_or_malformed(check_context& ctx) {
    auto room = percent_encode(ctx.room("never"));
    auto ws = ctx.path("/ws");
    co_await expect_refused(ctx, ws + "?room=" + room + "&room=" + room + "x&user=u", "CONN-4",
                            "room given twice");
    co_await expect_refused(ctx, ws + "?room=" + room + "&room=" + room + "&user=u", "CONN-4",
                            "room given twice with the same value");
    co_await expect_refused(ctx, ws + "?room=" + room + "&user=u&user=v", "CONN-4",
                            "user given twice");
    co_await expect_refused(ctx, ws + "?room=" + room + "%ZZ&user=u", "CONN-4",
                            "malformed escape %ZZ in room");
    co_await expect_refused(ctx, ws + "?room=" + room + "&user=u%4", "CONN-4",
                            "truncated escape %4 in user");
    co_await expect_refused(ctx, ws + "?room=%&user=u", "CONN-4", "lone % in room");
}

// CONN-5: names longer than MAX_NAME_BYTES after decoding.
net::awaitable<void> name_too_long(check_context& ctx) {
    auto max = ctx.constants().max_name_bytes;
    auto long_room = name_of_bytes(ctx.room("long") + "-", max + 1, "\xC3\xA9");
    auto ok_room = percent_encode(ctx.room("never"));
    co_await expect_refused(ctx, ctx.path("/ws?room=" + percent_encode(long_room) + "&user=u"),
                            "CONN-5", "room of " + std::to_string(max + 1) + " bytes");
    auto long_user = name_of_bytes("", max + 1, "a");
    co_await expect_refused(ctx, ctx.path("/ws?room=" + ok_room + "&user=" + long_user), "CONN-5",
                            "user of " + std::to_string(max + 1) + " bytes");
}

} // namespace

std::vector<check> conn_checks() {
    return {
        {"conn.join",
         {"CONN-1"},
         "a well-formed upgrade is accepted and joins the room",
         join_accepted},
        {"conn.name-at-limit",
         {"CONN-1"},
         "room and user of exactly MAX_NAME_BYTES bytes (multi-byte UTF-8) are accepted",
         name_at_limit},
        {"conn.missing-params",
         {"CONN-2", "HTTP-4"},
         "missing or empty room/user: 400 with a JSON error, no upgrade",
         missing_params},
        {"conn.percent-decoding",
         {"CONN-3"},
         "room and user are percent-decoded; the same room through /ws and the REST path",
         percent_decoding},
        {"conn.router-names",
         {"CONN-3"},
         "reserved characters, spaces, '+', '%', dot segments and non-ASCII in room and user "
         "names: one room through /ws, the REST path and the room list",
         router_names},
        {"conn.duplicate-or-malformed",
         {"CONN-4", "HTTP-4"},
         "repeated room/user or a malformed escape: 400 with a JSON error",
         duplicate_or_malformed},
        {"conn.name-too-long",
         {"CONN-5"},
         "names over MAX_NAME_BYTES: 400 with a JSON error",
         name_too_long},
    };
}

} // namespace chat::conformance
