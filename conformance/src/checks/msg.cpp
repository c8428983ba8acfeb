// MSG: what a client frame becomes, and what is ignored (SPEC.md section 2).
#include "checks.hpp"

#include "../check_context.hpp"
#include "../message_shape.hpp"

#include "chat/codec.hpp"

#include <algorithm> // find
#include <chrono>    // system_clock
#include <set>       // multiset

namespace chat::conformance {

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Where two strings first differ, in words.
std::string first_difference(const std::string& want, const std::string& got) {
    std::size_t i = 0;
    while (i < want.size() && i < got.size() && want[i] == got[i])
        ++i;
    return "got " + std::to_string(got.size()) + " bytes, expected " + std::to_string(want.size()) +
           "; first difference at byte " + std::to_string(i) + ": expected \"" +
           excerpt(want.substr(i, 24)) + "\", got \"" + excerpt(got.substr(i, 24)) + "\"";
}

// Receives `p`'s next message and expects `content` from `from`.
net::awaitable<void> expect_content(check_context& ctx, const peer& p, const peer& from,
                                    std::string content, std::string clause) {
    auto m = co_await ctx.receive(p, "MSG-1",
                                  "the message \"" + excerpt(content, 40) + "\" of " + from.label);
    if (m.room != p.room)
        ctx.fail("MSG-7", p.label + " receives only messages of room \"" + p.room + "\"",
                 p.label + " received a message of room \"" + excerpt(m.room, 80) + "\": \"" +
                     excerpt(m.content, 60) + "\"");
    if (m.content != content)
        ctx.fail(clause,
                 p.label + " to receive exactly \"" + excerpt(content, 60) + "\" from " +
                     from.label,
                 first_difference(content, m.content));
    if (m.user != from.user)
        ctx.fail("MSG-2", "user \"" + from.user + "\" (the sender's query value)",
                 "user is \"" + excerpt(m.user, 80) + "\"");
}

// MSG-1: a frame goes to every client of the room, the sender included.
net::awaitable<void> broadcast_echo(check_context& ctx) {
    // Setup: three clients of one room
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto b = co_await ctx.join(room, ctx.user("bob"), "B");
    auto c = co_await ctx.join(room, ctx.user("carol"), "C");
    // Act, expect: each one's message reaches all three, in turn
    for (const peer* from : {&a, &b, &c}) {
        auto text = "hello from " + from->label;
        co_await ctx.send(*from, text, "MSG-1");
        for (const peer* to : {&a, &b, &c})
            co_await expect_content(ctx, *to, *from, text, "MSG-1");
    }
}

// MSG-2: exactly user, room, content, timestamp; user and room decoded from the query.
net::awaitable<void> fields(check_context& ctx) {
    auto room = ctx.room() + "-\xC3\xBC x";
    auto a = co_await ctx.join(room, "\xC3\xBCnicode user", "A");
    auto b = co_await ctx.join(room, ctx.user("bob"), "B");
    co_await ctx.send(a, "fields");
    // receive() judges the shape (this check judges MSG-2): exactly the four members, strings
    // and an integer, and a content that is the frame's member, not the whole frame
    for (const peer* to : {&a, &b}) {
        auto m = co_await ctx.receive(*to, "MSG-1", "A's message \"fields\"");
        if (m.content != "fields")
            ctx.fail("MSG-2", "content \"fields\"", "content is \"" + excerpt(m.content) + "\"");
        if (m.user != a.user)
            ctx.fail("MSG-2", "user \"" + a.user + "\" (A's decoded query value)",
                     "user is \"" + excerpt(m.user) + "\"");
        if (m.room != room)
            ctx.fail("MSG-2", "room \"" + room + "\" (A's decoded query value)",
                     "room is \"" + excerpt(m.room) + "\"");
    }
}

// MSG-3: the timestamp is the server's clock in Unix milliseconds at receipt.
net::awaitable<void> timestamp(check_context& ctx) {
    auto a = co_await ctx.join(ctx.room(), ctx.user("alice"), "A");
    auto skew = ctx.settings().clock_skew_ms;
    for (int i = 0; i < 3; ++i) {
        auto before = now_ms();
        auto m = co_await ctx.send_and_echo(a, "what time is it " + std::to_string(i));
        auto after = now_ms();
        auto expected = "timestamp in Unix milliseconds between " + std::to_string(before - skew) +
                        " and " + std::to_string(after + skew) + " (our clock " +
                        std::to_string(before) + ".." + std::to_string(after) + ", skew allowed " +
                        std::to_string(skew) + " ms)";
        auto ts = m.timestamp;
        if (ts >= before - skew && ts <= after + skew)
            continue;
        if (ts >= (before - skew) / 1000 && ts <= (after + skew) / 1000 + 1)
            ctx.fail("MSG-3", expected,
                     "timestamp is " + std::to_string(ts) +
                         ", which is Unix seconds, not milliseconds");
        if (ts / 1000 >= before - skew && ts / 1000 <= after + skew)
            ctx.fail("MSG-3", expected,
                     "timestamp is " + std::to_string(ts) +
                         ", which is Unix microseconds, not milliseconds");
        if (ts / 1000000 >= before - skew && ts / 1000000 <= after + skew)
            ctx.fail("MSG-3", expected,
                     "timestamp is " + std::to_string(ts) +
                         ", which is Unix nanoseconds, not milliseconds");
        ctx.fail("MSG-3", expected,
                 "timestamp is " + std::to_string(ts) + ", " +
                     std::to_string((ts - before) / 1000) + " s away from our clock");
    }
}

// MSG-4: content arrives exactly as sent, to everyone and in history.
net::awaitable<void> round_trip(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto b = co_await ctx.join(room, ctx.user("bob"), "B");
    std::string controls;
    for (char c = 1; c < 0x20; ++c)
        controls += c;
    controls += '\x7f';
    std::vector<std::string> contents{
        "quotes \" and 'single' and \\ backslash \\\\ and \\\" escaped-looking",
        "line1\nline2\r\nline3\ttabbed",
        "controls: " + controls,
        std::string("nul \0 inside", 12),
        "caf\xC3\xA9 \xC3\xBC \xC3\xB1 \xE4\xB8\xAD\xE6\x96\x87 "
        "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9 "
        "\xD7\xA2\xD7\x91\xD7\xA8\xD7\x99\xD7\xAA \xF0\x9F\x98\x80 "
        "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7 "
        "\xF0\x9D\x84\x9E e\xCC\x81",
        "edges: \xEF\xBB\xBF bom, \xE2\x80\xA8 ls, \xE2\x80\xA9 ps, \xEF\xBF\xBF, \xF4\x8F\xBF\xBF",
        "</script><script>alert(1)</script> & <b>",
        "{\"content\":\"nested JSON stays text\"}",
        "",
        "   ",
    };
    // The largest frame MAX_MESSAGE_BYTES allows: {"content":"..."} with 4-byte characters.
    auto max = ctx.constants().max_message_bytes;
    const std::string emoji = "\xF0\x9F\x98\x80"; // needs no escaping: 4 bytes in the frame
    auto room_for = max - encode_client_frame("").size();
    std::string large;
    large.reserve(room_for);
    for (std::size_t i = 0; i + emoji.size() <= room_for; i += emoji.size())
        large += emoji;
    large.append(room_for - large.size(), 'a');
    contents.push_back(large);

    // Act, expect: each content reaches the sender and the other client unchanged
    for (const auto& content : contents) {
        co_await ctx.send(a, content, "MSG-4");
        for (const peer* to : {&a, &b})
            co_await expect_content(ctx, *to, a, content, "MSG-4");
    }
    // A frame that spells characters as JSON escapes arrives decoded
    co_await ctx.send_text(a, R"({"content":"\u00e9\ud83d\ude00\/\b\f\u0000"})", "MSG-4");
    const std::string decoded("\xC3\xA9\xF0\x9F\x98\x80/\b\f\0", 10);
    for (const peer* to : {&a, &b})
        co_await expect_content(ctx, *to, a, decoded, "MSG-4");
    contents.push_back(decoded);
    ctx.note("largest frame " + std::to_string(encode_client_frame(large).size()) + " bytes");

    // Expect: history holds them unchanged too
    auto history = co_await ctx.history(room, "HIST-3");
    if (history.size() != contents.size())
        ctx.fail("MSG-4",
                 "history to hold the " + std::to_string(contents.size()) + " messages sent",
                 "it holds " + std::to_string(history.size()));
    // In whatever order (the order is HIST-1's): each content exactly as sent
    std::multiset<std::string> want(contents.begin(), contents.end()), got;
    for (const auto& m : history)
        got.insert(m.content);
    for (std::size_t i = 0; i < contents.size(); ++i)
        if (got.count(contents[i]) < want.count(contents[i])) {
            const auto& closest = i < history.size() ? history[i].content : std::string();
            ctx.fail("MSG-4",
                     "history to hold message " + std::to_string(i) + " \"" +
                         excerpt(contents[i], 60) + "\" unchanged",
                     "it is not there; message " + std::to_string(i) +
                         " of the history: " + first_difference(contents[i], closest));
        }
}

// Sends `marker` from `from` and expects it as the next message of each of `to`; anything
// else that arrives first must be a frame that should have been ignored.
net::awaitable<void> expect_marker_next(check_context& ctx, const peer& from,
                                        std::vector<const peer*> to, std::string marker,
                                        std::string clause, std::string ignored_what) {
    co_await ctx.send(from, marker, clause);
    for (const peer* p : to) {
        auto ev = co_await ctx.next_event(*p);
        // A message of another room is MSG-7's matter (msg.isolation judges it), not a frame
        // that was not ignored: note it and read on.
        for (int others = 0; ev.type == ws_event::kind::text && others < 16; ++others) {
            auto v = ctx.try_observe(ev.data);
            if (!v.message || v.message->room.empty() || v.message->room == p->room)
                break;
            ctx.note(p->label + " received a message of room \"" + excerpt(v.message->room, 60) +
                     "\", not its own (MSG-7's matter); read on");
            ev = co_await ctx.next_event(*p);
        }
        auto expected = p->label + "'s next message to be \"" + marker + "\", because " +
                        ignored_what + " is ignored and the connection stays open";
        // Hearing nothing at all, the connection open, is MSG-1's matter (the sender is
        // included; another client, maybe on another endpoint, is a client of the room too):
        // a frame that was not ignored shows as something arriving or a close.
        if (ev.type == ws_event::kind::timeout)
            ctx.fail("MSG-1", expected, describe_event(ev, ctx.io_timeout()));
        if (ev.type == ws_event::kind::text) {
            auto v = ctx.try_observe(ev.data);
            if (v.message && v.message->content == marker)
                continue;
            ctx.fail(clause, expected,
                     "it received " + (v.message ? "a broadcast with content \"" +
                                                       excerpt(v.message->content, 80) + "\""
                                                 : "\"" + excerpt(ev.data, 80) + "\""));
        }
        if (ev.type == ws_event::kind::binary)
            ctx.fail(clause, expected,
                     "it received a binary message of " + std::to_string(ev.data.size()) +
                         " bytes");
        ctx.fail(clause, expected,
                 ev.type == ws_event::kind::closed ? "the server closed the connection (code " +
                                                         std::to_string(ev.close_code) + ")"
                 : ev.type == ws_event::kind::timeout
                     ? "nothing arrived within " + std::to_string(ctx.io_timeout().count()) + " ms"
                     : "the connection failed: " + ev.ec.message());
    }
}

// MSG-5: invalid client frames are ignored and the connection stays open.
net::awaitable<void> bad_frames_ignored(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto b = co_await ctx.join(room, ctx.user("bob"), "B");
    const std::vector<const peer*> both{&a, &b};
    const std::vector<std::pair<std::string, std::string>> frames{
        {"not json at all", "text that is not JSON"},
        {"{\"content\":\"unterminated", "truncated JSON"},
        {"{\"content\":\"x\"} trailing", "JSON followed by garbage"},
        {"", "an empty text message"},
        {"   ", "whitespace only"},
        {"[\"content\",\"x\"]", "a JSON array"},
        {"\"content\"", "a JSON string"},
        {"42", "a JSON number"},
        {"null", "JSON null"},
        {"true", "JSON true"},
        {"{}", "an object without content"},
        {"{\"text\":\"x\",\"user\":\"u\"}", "an object without content"},
        {"{\"Content\":\"x\"}", "an object with Content (wrong case)"},
        {"{\"content\":42}", "content a number"},
        {"{\"content\":null}", "content null"},
        {"{\"content\":true}", "content a boolean"},
        {"{\"content\":[\"x\"]}", "content an array"},
        {"{\"content\":{\"text\":\"x\"}}", "content an object"},
    };
    int n = 0;
    for (const auto& [text, what] : frames) {
        // Act: the bad frame, then a valid marker
        co_await ctx.send_text(a, text, "MSG-5");
        auto marker = "marker " + std::to_string(n++);
        // Expect: the marker is the next thing both clients receive
        co_await expect_marker_next(ctx, a, both, marker, "MSG-5",
                                    "the frame " + excerpt(text, 40) + " (" + what + ")");
    }
    // Expect: history holds the markers only
    auto history = co_await ctx.history(room, "HIST-3");
    for (const auto& m : history)
        if (m.content.rfind("marker ", 0) != 0)
            ctx.fail("MSG-5", "history to hold only the valid markers",
                     "it holds \"" + excerpt(m.content, 80) + "\"");
    if (history.size() != frames.size())
        ctx.fail("MSG-5", "history to hold the " + std::to_string(frames.size()) + " valid markers",
                 "it holds " + std::to_string(history.size()) + " messages");
}

// MSG-6: binary messages are ignored and the connection stays open.
net::awaitable<void> binary_ignored(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto b = co_await ctx.join(room, ctx.user("bob"), "B");
    const std::vector<const peer*> both{&a, &b};
    // Act: a binary message holding a valid client frame, then a text marker
    auto ec = co_await a.ws->send_binary(encode_client_frame("sent as binary"), ctx.io_timeout());
    if (ec)
        ctx.fail("MSG-6", "A can send a binary message", "sending failed: " + ec.message());
    co_await expect_marker_next(ctx, a, both, "marker after binary", "MSG-6", "a binary message");
    auto history = co_await ctx.history(room, "HIST-3");
    if (history.size() != 1)
        ctx.fail("MSG-6", "history to hold only the marker",
                 "it holds " + std::to_string(history.size()) + " messages");
}

// MSG-7: a room's messages never reach clients of other rooms.
net::awaitable<void> isolation(check_context& ctx) {
    auto one = ctx.room("one");
    auto two = ctx.room("two");
    auto a = co_await ctx.join(one, ctx.user("alice"), "A");
    auto b = co_await ctx.join(one, ctx.user("bob"), "B");
    auto c = co_await ctx.join(two, ctx.user("carol"), "C");
    // A server may leak into its busiest or oldest room rather than a fresh one: watch general
    // too (where others may talk: only messages of other rooms or of room one count there).
    // (Only when general exists: joining would create it, and ROOM-1 is judged elsewhere.)
    bool has_general = false;
    for (const auto& r : co_await ctx.rooms())
        has_general = has_general || r.name == "general";
    std::optional<peer> g;
    if (has_general)
        g = co_await ctx.join("general", ctx.user("gina"), "G");
    const std::vector<const peer*> both{&a, &b};
    const std::vector<const peer*> only_c{&c};
    // Act: room one talks
    std::vector<std::string> said;
    for (int i = 0; i < 5; ++i) {
        auto text = "room one says " + std::to_string(i) + " (" + one + ")";
        co_await ctx.send_and_echo(a, text);
        co_await expect_content(ctx, b, a, text, "MSG-1");
        said.push_back(text);
    }
    // Expect: G's own marker arrives with nothing of room one before it
    auto g_marker = "general marker " + ctx.room();
    if (g)
        co_await ctx.send(*g, g_marker, "MSG-1");
    while (g) {
        auto m = co_await ctx.receive(*g, "MSG-1", "its own marker in general");
        if (m.content == g_marker && m.user == g->user)
            break;
        bool leaked =
            m.room != "general" || std::find(said.begin(), said.end(), m.content) != said.end();
        if (leaked)
            ctx.fail("MSG-7", "G, a client of general, receives no message of room \"" + one + "\"",
                     "G received \"" + excerpt(m.content, 80) + "\" of room \"" +
                         excerpt(m.room, 80) + "\"");
    }
    // Expect: C's next message is its own marker, then A's next is A's marker
    co_await expect_marker_next(ctx, c, only_c, "room two marker", "MSG-7",
                                "nothing of room one reaches room two: every message");
    co_await expect_marker_next(ctx, a, both, "room one marker", "MSG-7",
                                "nothing of room two reaches room one: every message");
    auto history = co_await ctx.history(two, "HIST-3");
    if (history.size() != 1)
        ctx.fail("MSG-7", "room two's history to hold only its marker",
                 "it holds " + std::to_string(history.size()) + " messages");
}

// MSG-8: user and room come from the connection, never from the frame.
net::awaitable<void> identity_from_connection(check_context& ctx) {
    auto room = ctx.room();
    auto other = ctx.room("other");
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto c = co_await ctx.join(other, ctx.user("carol"), "C");
    const std::vector<const peer*> only_c{&c};
    auto frame = R"({"content":"spoof","user":"mallory","room":")" + other + R"(","timestamp":1})";
    co_await ctx.send_text(a, frame, "MSG-8");
    auto m = co_await ctx.receive(a, "MSG-1", "its own message \"spoof\" back");
    if (m.user != a.user)
        ctx.fail("MSG-8",
                 "user \"" + a.user + "\" from the connection, not \"mallory\" from the frame",
                 "user is \"" + excerpt(m.user) + "\"");
    if (m.room != room)
        ctx.fail("MSG-8", "room \"" + room + "\" from the connection, not the frame's",
                 "room is \"" + excerpt(m.room) + "\"");
    if (m.timestamp == 1)
        ctx.fail("MSG-8", "the server's timestamp, not the frame's 1", "timestamp is 1");
    if (m.content != "spoof")
        ctx.fail("MSG-2", "content \"spoof\"", "content is \"" + excerpt(m.content) + "\"");
    co_await expect_marker_next(ctx, c, only_c, "other room marker", "MSG-8",
                                "a frame naming another room in its \"room\" member");
}

} // namespace

std::vector<check> msg_checks() {
    return {
        {"msg.broadcast-echo",
         {"MSG-1"},
         "a frame reaches every client of the room, the sender too",
         broadcast_echo},
        {"msg.fields", {"MSG-2"}, "messages have exactly user, room, content, timestamp", fields},
        {"msg.timestamp",
         {"MSG-3"},
         "timestamp is the server clock in Unix milliseconds",
         timestamp},
        {"msg.round-trip",
         {"MSG-4"},
         "content round-trips: escapes, control characters, Unicode, the largest frame",
         round_trip},
        {"msg.bad-frames-ignored",
         {"MSG-5"},
         "invalid frames are ignored, not stored, and the connection stays open",
         bad_frames_ignored},
        {"msg.binary-ignored",
         {"MSG-6"},
         "binary messages are ignored, the connection stays open",
         binary_ignored},
        {"msg.isolation", {"MSG-7"}, "messages never cross rooms", isolation},
        {"msg.identity-from-connection",
         {"MSG-8"},
         "user and room come from the connection, never from the frame",
         identity_from_connection},
    };
}

} // namespace chat::conformance
