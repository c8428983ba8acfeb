// WS: the parts of RFC 6455 a chat client depends on (SPEC.md section 8).
#include "checks.hpp"

#include "../check_context.hpp"
#include "../message_shape.hpp"

#include "chat/codec.hpp"

namespace chat::conformance {

namespace {

std::string event_words(const ws_event& ev, milliseconds waited) {
    switch (ev.type) {
    case ws_event::kind::text:
        return "a text message " + excerpt(ev.data, 80);
    case ws_event::kind::binary:
        return "a binary message";
    case ws_event::kind::closed:
        return "a close with code " + std::to_string(ev.close_code);
    case ws_event::kind::timeout:
        return "nothing within " + std::to_string(waited.count()) + " ms";
    case ws_event::kind::error:
        break;
    }
    return describe_event(ev, waited);
}

// Expects the server to close `p` with `code`: messages that arrive first are a failure.
net::awaitable<void> expect_close(check_context& ctx, const peer& p, int code, std::string clause,
                                  std::string after_what) {
    auto ev = co_await ctx.next_event(p);
    if (ev.type == ws_event::kind::closed && ev.close_code == code)
        co_return;
    ctx.fail(clause,
             "the server closes the connection with code " + std::to_string(code) + " " +
                 after_what,
             "it answered with " + event_words(ev, ctx.io_timeout()));
}

// The content of the next message of `to`, waited for as `marker`; `own` when `to` sent it
// (then silence is MSG-1's matter: the sender is included in the broadcast), else anything but
// a text message fails `clause` with `why`.
net::awaitable<std::string> next_content(check_context& ctx, const peer& to,
                                         const std::string& marker, const std::string& clause,
                                         const std::string& why, bool own) {
    auto ev = co_await ctx.next_event(to);
    if (ev.type != ws_event::kind::text) {
        if (own && ev.type == ws_event::kind::timeout)
            ctx.fail("MSG-1", to.label + " to receive its own \"" + marker + "\" back",
                     describe_event(ev, ctx.io_timeout()));
        ctx.fail(clause, to.label + "'s next message is \"" + marker + "\" (" + why + ")",
                 describe_event(ev, ctx.io_timeout()));
    }
    co_return ctx.observe(ev.data, to.label + " to receive \"" + marker + "\"").content;
}

// Expects `marker` as the next message of `to` (see next_content).
net::awaitable<void> expect_next(check_context& ctx, const peer& to, std::string marker,
                                 std::string clause, std::string why, bool own) {
    const auto got = co_await next_content(ctx, to, marker, clause, why, own);
    if (got != marker)
        ctx.fail(clause, to.label + "'s next message is \"" + marker + "\" (" + why + ")",
                 "it is \"" + excerpt(got, 80) + "\"");
}

// Judges what A (the sender) and B received next when both should have received `marker`
// right after `previous`. `previous` again at both is the server broadcasting one client
// message twice (WS-5: the fragments were not treated as one client frame); at one of them
// only, a delivery doubled (ORD-3).
void expect_both(check_context& ctx, const std::string& got_a, const std::string& got_b,
                 const std::string& marker, const std::string& previous, const std::string& why) {
    const bool can_repeat = !previous.empty() && previous != marker;
    const bool a_again = can_repeat && got_a == previous;
    const bool b_again = can_repeat && got_b == previous;
    if (a_again && b_again)
        ctx.fail("WS-5", "A's and B's next message is \"" + marker + "\" (" + why + ")",
                 "both received \"" + excerpt(previous, 80) + "\" a second time");
    if (a_again || b_again)
        ctx.fail("ORD-3", std::string(a_again ? "A" : "B") + " receives each message once",
                 std::string(a_again ? "A" : "B") + " received \"" + excerpt(previous, 80) +
                     "\" twice in a row, " + (a_again ? "B" : "A") + " once: a delivery doubled");
    for (const auto& [label, got] : {std::pair{"A", &got_a}, std::pair{"B", &got_b}})
        if (*got != marker)
            ctx.fail("WS-5",
                     std::string(label) + "'s next message is \"" + marker + "\" (" + why + ")",
                     "it is \"" + excerpt(*got, 80) + "\"");
}

// WS-1: ping is answered with pong, same payload.
net::awaitable<void> ping(check_context& ctx) {
    auto a = co_await ctx.join(ctx.room(), ctx.user("alice"), "A");
    const std::string payload = "chat-conform \xE2\x9C\x93 ping";
    if (auto ec = co_await a.ws->ping(payload, ctx.io_timeout()))
        ctx.fail("WS-1", "A can send a ping", "sending failed: " + ec.message());
    // Pongs are seen while reading: read our own messages until one arrives.
    for (int i = 0; i < 20 && a.ws->pongs_received() == 0; ++i) {
        co_await ctx.send_and_echo(a, "reading for the pong " + std::to_string(i));
        if (a.ws->pongs_received() == 0)
            co_await ctx.sleep(milliseconds(10));
    }
    if (a.ws->pongs_received() == 0)
        ctx.fail("WS-1", "a pong in answer to the ping", "no pong arrived");
    if (a.ws->last_pong_payload() != payload)
        ctx.fail("WS-1", "the pong carries the ping's payload \"" + payload + "\"",
                 "its payload is \"" + excerpt(a.ws->last_pong_payload()) + "\"");
}

// WS-2: close is answered with close, and the client leaves its room.
net::awaitable<void> close_handshake(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    co_await ctx.expect_clients(room, 1, "ROOM-4", "after the 101");
    auto ev = co_await a.ws->close(1000, ctx.io_timeout());
    if (ev.type != ws_event::kind::closed)
        ctx.fail("WS-2", "a close frame in answer to A's close frame (1000)",
                 event_words(ev, ctx.io_timeout()));
    // Leaving the room shows only in the count, which ROOM-4 judges (a stale count BLOCKs this).
    co_await ctx.expect_clients(room, 0, "ROOM-4", "after A's close handshake");
}

// WS-3: invalid UTF-8 closes with 1007 and is not broadcast.
net::awaitable<void> invalid_utf8(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto b = co_await ctx.join(room, ctx.user("bob"), "B");
    const std::string invalid = "{\"content\":\"bad \xC3\x28 utf-8 \xFF\"}";
    co_await a.ws->send_text(invalid, ctx.io_timeout()); // judged by the close that follows
    co_await expect_close(ctx, a, 1007, "WS-3", "after a text message that is not valid UTF-8");
    co_await ctx.send(b, "after invalid utf-8", "MSG-1");
    co_await expect_next(ctx, b, "after invalid utf-8", "WS-3",
                         "the invalid message is not delivered", true);
}

// WS-4: a message over MAX_MESSAGE_BYTES (whole or in fragments) closes with 1009.
net::awaitable<void> too_big(check_context& ctx) {
    auto room = ctx.room();
    auto max = ctx.constants().max_message_bytes;
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto b = co_await ctx.join(room, ctx.user("bob"), "B");
    // One frame of MAX_MESSAGE_BYTES + 1
    auto frame = encode_client_frame(std::string(max + 1 - encode_client_frame("").size(), 'x'));
    // The server may close before it has read the whole frame (RFC 6455 7.1.1 lets it): a
    // write cut short is no verdict; its close frame, read next, is.
    co_await a.ws->send_text(frame, ctx.io_timeout());
    co_await expect_close(ctx, a, 1009, "WS-4",
                          "after a message of " + std::to_string(max + 1) +
                              " bytes (MAX_MESSAGE_BYTES + 1)");
    // The same size in small fragments: the limit applies after reassembly
    auto c = co_await ctx.join(room, ctx.user("carol"), "C");
    std::vector<std::string> parts;
    for (std::size_t at = 0; at < frame.size(); at += 4096)
        parts.push_back(frame.substr(at, 4096));
    co_await c.ws->send_fragmented(parts, ctx.io_timeout());
    co_await expect_close(ctx, c, 1009, "WS-4",
                          "after a message of " + std::to_string(max + 1) + " bytes sent in " +
                              std::to_string(parts.size()) + " fragments");
    co_await ctx.send(b, "after too big", "MSG-1");
    co_await expect_next(ctx, b, "after too big", "WS-4",
                         "the oversized messages are not delivered", true);
}

// WS-5: continuation frames are reassembled into one client frame.
net::awaitable<void> fragmented(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto b = co_await ctx.join(room, ctx.user("bob"), "B");
    const std::vector<std::vector<std::string>> messages{
        {"{\"content\":\"frag", "mented ", "message\"}"},
        // a two-byte character split across frames
        {"{\"content\":\"caf\xC3", "\xA9 split\"}"},
    };
    const std::vector<std::string> contents{"fragmented message", "caf\xC3\xA9 split"};
    for (std::size_t i = 0; i < messages.size(); ++i) {
        std::string whole;
        for (const auto& part : messages[i])
            whole += part;
        ctx.sent_frame(whole);
        if (auto ec = co_await a.ws->send_fragmented(messages[i], ctx.io_timeout()))
            ctx.fail("WS-5", "A can send a fragmented message", "sending failed: " + ec.message());
        const auto why = "its " + std::to_string(messages[i].size()) + " frames reassembled";
        const auto got_a = co_await next_content(ctx, a, contents[i], "WS-5", why, true);
        const auto got_b = co_await next_content(ctx, b, contents[i], "WS-5", why, false);
        expect_both(ctx, got_a, got_b, contents[i], i == 0 ? std::string() : contents[i - 1], why);
    }
    co_await ctx.send(a, "whole", "MSG-1");
    const std::string why = "each fragmented message delivered once";
    const auto got_a = co_await next_content(ctx, a, "whole", "WS-5", why, true);
    const auto got_b = co_await next_content(ctx, b, "whole", "WS-5", why, false);
    expect_both(ctx, got_a, got_b, "whole", contents.back(), why);
}

} // namespace

std::vector<check> ws_checks() {
    return {
        {"ws.ping", {"WS-1"}, "a ping is answered with a pong carrying the same payload", ping},
        {"ws.close-handshake",
         {"WS-2"},
         "a close is answered with a close; the client leaves",
         close_handshake},
        {"ws.invalid-utf8", {"WS-3"}, "invalid UTF-8 closes with 1007", invalid_utf8},
        {"ws.too-big",
         {"WS-4"},
         "a message over MAX_MESSAGE_BYTES, whole or fragmented, closes with 1009",
         too_big},
        {"ws.fragmented",
         {"WS-5"},
         "continuation frames are reassembled into one message",
         fragmented},
    };
}

} // namespace chat::conformance
