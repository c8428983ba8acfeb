// SLOW: a client that stops reading is dropped and harms nobody (SPEC.md section 6).
#include "checks.hpp"

#include "../check_context.hpp"
#include "../message_shape.hpp"
#include "../sequence.hpp"

#include "chat/codec.hpp"

#include <algorithm> // min
#include <chrono>    // steady_clock
#include <cstdio>    // snprintf

namespace chat::conformance {

namespace {

using clock = std::chrono::steady_clock;

std::string megabytes(double bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
    return buf;
}

long ms_since(clock::time_point t) {
    return static_cast<long>(std::chrono::duration_cast<milliseconds>(clock::now() - t).count());
}

// What the parts of the drop scenario share (one thread: no locks).
struct drop_state {
    explicit drop_state(net::any_io_executor ex) : progress(ex) {}
    std::string room;
    long bound = 0; // messages after which X must have been dropped
    std::size_t frame_bytes = 0;
    long sent = 0;        // numbered messages S has sent
    long s_count = 0;     // S's own copies received
    long r_count = 0;     // messages R received, in order
    bool dropped = false; // X has left the room listing
    long sent_at_drop = 0;
    clock::time_point started;
    clock::time_point dropped_at;
    clock::time_point last_progress;
    bool done_sending = false;
    wakeup progress;
};

// S never hears its own messages while R hears them: MSG-1's matter (the sender is included),
// not the slow client's.
void fail_if_no_echo(check_context& ctx, const drop_state& st, const std::string& expected,
                     const std::string& actual) {
    if (st.s_count == 0 && st.r_count > 0)
        ctx.fail("MSG-1", expected + " (S is a client of the room: it receives its own messages)",
                 actual + "; R received " + std::to_string(st.r_count));
}

// Why a part of the scenario failed at `since` or later: when the server no longer answers at
// all, or the failure began after X was dropped, the server did not survive dropping a slow
// client (SLOW-4); when it began while X was still stuck in the room, the slow client harmed the
// others (SLOW-3).
net::awaitable<std::pair<std::string, std::string>>
diagnose(check_context& ctx, std::shared_ptr<drop_state> st, clock::time_point since) {
    auto r = co_await ctx.try_request("GET", rooms_target(ctx.settings().target));
    if (!r.ok())
        co_return std::pair<std::string, std::string>{
            "SLOW-4",
            " (the server stopped answering after dropping a slow client: " + r.error + ")"};
    std::string why;
    if (auto rooms = inspect_room_list(r.body, why))
        for (const auto& e : *rooms)
            if (e.name == st->room && e.clients <= 2 && !st->dropped) {
                st->dropped = true;
                st->dropped_at = clock::now();
            }
    if (st->dropped && st->dropped_at <= since)
        co_return std::pair<std::string, std::string>{
            "SLOW-4", " (after the server dropped the slow client X)"};
    co_return std::pair<std::string, std::string>{"SLOW-3",
                                                  " (while the slow client X was not reading)"};
}

std::string describe(const ws_event& ev, milliseconds waited) {
    switch (ev.type) {
    case ws_event::kind::closed:
        return "a close (code " + std::to_string(ev.close_code) + ")";
    case ws_event::kind::timeout:
        return "nothing for " + std::to_string(waited.count()) + " ms";
    case ws_event::kind::error:
        return "a connection error: " + ev.ec.message();
    case ws_event::kind::binary:
        return "a binary message";
    case ws_event::kind::text:
        break;
    }
    return "a text message";
}

// S sends large numbered messages, never more than `window` ahead of R and of itself.
net::awaitable<void> writer(check_context& ctx, peer s, std::shared_ptr<drop_state> st) {
    constexpr long window = 8;
    auto pad = std::string(ctx.constants().max_message_bytes - 64, 'x');
    for (long i = 0;; ++i) {
        if (st->dropped && i >= st->sent_at_drop + 10)
            break;
        if (i >= st->bound)
            break;
        while (i - std::min(st->r_count, st->s_count) >= window) {
            if (clock::now() - st->last_progress > ctx.io_timeout()) {
                fail_if_no_echo(ctx, *st, "S receives its own messages", "S received none");
                auto [clause, words] = co_await diagnose(ctx, st, st->last_progress);
                ctx.fail(clause,
                         "R and S, which keep reading, receive every message without stalling",
                         "R had received " + std::to_string(st->r_count) + " and S " +
                             std::to_string(st->s_count) + " of " + std::to_string(i) +
                             " messages, and nothing more arrived for " +
                             std::to_string(ctx.io_timeout().count()) + " ms" + words);
            }
            co_await st->progress.wait(milliseconds(50));
        }
        auto content = numbered("slow", i) + " " + pad;
        auto frame = encode_client_frame(content);
        st->frame_bytes = frame.size();
        ctx.sent_frame(frame);
        auto since = clock::now();
        if (auto ec = co_await s.ws->send_text(frame, ctx.io_timeout())) {
            auto [clause, words] = co_await diagnose(ctx, st, since);
            ctx.fail(clause, "S can send message " + std::to_string(i),
                     "sending failed: " + ec.message() + words);
        }
        st->sent = i + 1;
    }
    st->done_sending = true;
    co_await ctx.send(s, "slow end", "SLOW-4");
}

// S reads its own copies (counted; R judges the content).
net::awaitable<void> sender_reader(check_context& ctx, peer s, std::shared_ptr<drop_state> st) {
    for (;;) {
        auto since = clock::now();
        auto ev = co_await ctx.next_event(s);
        if (ev.type != ws_event::kind::text) {
            fail_if_no_echo(ctx, *st, "S receives its own messages",
                            "S got " + describe(ev, ctx.io_timeout()));
            auto [clause, words] = co_await diagnose(ctx, st, since);
            ctx.fail(clause, "S, which keeps reading, receives its own messages",
                     "S got " + describe(ev, ctx.io_timeout()) + words);
        }
        if (ctx.observe(ev.data, "S to receive its own messages").content == "slow end")
            co_return;
        ++st->s_count;
        st->last_progress = clock::now();
        st->progress.notify();
    }
}

// R reads and judges every message: all of them, in order (SLOW-3).
net::awaitable<void> reader(check_context& ctx, peer r, std::shared_ptr<drop_state> st) {
    for (;;) {
        auto since = clock::now();
        auto ev = co_await ctx.next_event(r);
        auto expected =
            "R, which keeps reading, receives message " + std::to_string(st->r_count) + " next";
        if (ev.type != ws_event::kind::text) {
            auto [clause, words] = co_await diagnose(ctx, st, since);
            ctx.fail(clause, expected, "R got " + describe(ev, ctx.io_timeout()) + words);
        }
        auto m = ctx.observe(ev.data, "R to receive the messages S sends");
        if (m.content == "slow end")
            co_return;
        auto n = number_of(m.content, "slow");
        // A message lost or doubled while R keeps up is ORD-3's matter; SLOW-3 is judged by
        // stalls (delivery delayed or prevented while X is stuck).
        if (n != st->r_count)
            ctx.fail("ORD-3", expected + " (every message, in order)",
                     "R received " + (n ? "message " + std::to_string(*n)
                                        : "\"" + excerpt(m.content, 40) + "\""));
        ++st->r_count;
        st->last_progress = clock::now();
        st->progress.notify();
    }
}

// Watches GET /api/rooms until X leaves the room: the moment of the drop.
net::awaitable<void> monitor(check_context& ctx, std::shared_ptr<drop_state> st) {
    auto target = rooms_target(ctx.settings().target);
    while (!st->dropped && !st->done_sending) {
        auto since = clock::now();
        auto r = co_await ctx.try_request("GET", target);
        if (!r.ok() || r.status != 200) {
            auto [clause, words] = co_await diagnose(ctx, st, since);
            ctx.fail(clause, "the server keeps answering GET /api/rooms",
                     (r.ok() ? "it answered " + std::to_string(r.status) : r.error) + words);
        }
        std::string why;
        auto rooms = inspect_room_list(r.body, why);
        if (!rooms)
            ctx.fail("ROOM-3", "GET /api/rooms answers the room list", why);
        for (const auto& e : *rooms)
            if (e.name == st->room && e.clients <= 2) {
                st->dropped = true;
                st->sent_at_drop = st->sent;
                st->dropped_at = clock::now();
                ctx.transcribe("..", "X left the room listing after " + std::to_string(st->sent) +
                                         " messages");
            }
        if (!st->dropped)
            co_await ctx.sleep(milliseconds(20));
    }
}

// SLOW-1..5: X stops reading (tiny receive buffer, messages near MAX_MESSAGE_BYTES) while S
// sends and R reads.
net::awaitable<void> drop_stuck_client(check_context& ctx) {
    const auto& k = ctx.constants();
    if (k.max_message_bytes < 1024)
        ctx.skip("MAX_MESSAGE_BYTES is too small for this check (" +
                 std::to_string(k.max_message_bytes) + ")");
    auto st = std::make_shared<drop_state>(ctx.executor());
    st->room = ctx.room();
    // Setup: a reader R, a sender S, and X, which will never read
    auto r = co_await ctx.join(st->room, ctx.user("reader"), "R");
    auto s = co_await ctx.join(st->room, ctx.user("sender"), "S");
    ws_options tiny;
    tiny.receive_buffer_bytes = 4096;
    auto x = co_await ctx.join(st->room, ctx.user("stuck"), "X", tiny);
    co_await ctx.expect_clients(st->room, 3, "ROOM-4", "after R, S and X joined");
    // Generous: the queue plus 16 MiB of socket buffers on the way.
    auto message_bytes = static_cast<long>(k.max_message_bytes);
    st->bound = k.send_queue + (16L * 1024 * 1024 + message_bytes - 1) / message_bytes + 16;

    // Act: S sends; R and S read; X does not
    st->started = clock::now();
    st->last_progress = st->started;
    std::vector<net::awaitable<void>> tasks;
    tasks.push_back(writer(ctx, s, st));
    tasks.push_back(sender_reader(ctx, s, st));
    tasks.push_back(reader(ctx, r, st));
    tasks.push_back(monitor(ctx, st));
    co_await all_of(ctx, std::move(tasks));
    auto bytes_at = [&](long n) {
        return megabytes(static_cast<double>(n) * static_cast<double>(st->frame_bytes));
    };

    // Expect SLOW-1, SLOW-2: X was dropped and left the room
    if (!st->dropped) {
        auto start = clock::now();
        while (!st->dropped && clock::now() - start < ctx.settle_timeout()) {
            auto clients = co_await ctx.room_clients(st->room);
            if (clients && *clients <= 2)
                st->dropped = true;
            else
                co_await ctx.sleep(milliseconds(25));
        }
    }
    if (!st->dropped) {
        // Was X disconnected but left in the listing (SLOW-2), or never disconnected (SLOW-1)?
        long drained = 0;
        for (;;) {
            auto ev = co_await ctx.next_event(x, ctx.scaled(milliseconds(1000)));
            if (ev.is_message()) {
                ++drained;
                continue;
            }
            if (ev.type == ws_event::kind::timeout) {
                // Never dropped at all: dropped no later than at overflow (SLOW-5) fails too
                ctx.warn("SLOW-5",
                         "X, which stopped reading, is dropped no later than when its queue "
                         "overflows",
                         "X was never dropped after " + std::to_string(st->sent) + " messages (" +
                             bytes_at(st->sent) + ")");
                ctx.fail(
                    "SLOW-1",
                    "X, which stopped reading, is disconnected once its queue of SEND_QUEUE (" +
                        std::to_string(k.send_queue) + ") messages is full",
                    "after " + std::to_string(st->sent) + " messages (" + bytes_at(st->sent) +
                        ") X was still connected and counted; reading it afterwards gave " +
                        std::to_string(drained) +
                        " messages (if your server's queue is larger, pass --send-queue)");
            }
            ctx.fail("SLOW-2",
                     "X, disconnected as a slow client, leaves the room listing within SETTLE_MS",
                     "the server closed X's connection (after " + std::to_string(drained) +
                         " buffered messages) but GET /api/rooms still counts it after " +
                         std::to_string(ctx.settle_timeout().count()) + " ms");
        }
    }
    auto drop_ms = ms_since(st->started) - ms_since(st->dropped_at);
    ctx.note("X dropped after about " + std::to_string(st->sent_at_drop) + " messages (" +
             bytes_at(st->sent_at_drop) + ") and " + std::to_string(drop_ms) + " ms");

    // Expect SLOW-3: R received every message (it read up to the end marker)
    if (st->r_count != st->sent)
        ctx.fail("SLOW-3", "R receives all " + std::to_string(st->sent) + " messages sent",
                 "R received " + std::to_string(st->r_count));

    // Expect SLOW-4: the server serves existing and new clients
    try {
        co_await ctx.send(s, "after the drop", "SLOW-4");
        auto m =
            co_await ctx.receive(r, "SLOW-4", "a message sent after the slow client was dropped");
        if (m.content != "after the drop")
            ctx.fail("SLOW-4", "R receives \"after the drop\"",
                     "R received \"" + excerpt(m.content, 60) + "\"");
        auto n = co_await ctx.join(ctx.room("after"), ctx.user("newcomer"), "N");
        co_await ctx.send_and_echo(n, "still serving");
        auto health = co_await ctx.try_request("GET", health_target(ctx.settings().target));
        if (!health.ok() || health.status != 200)
            ctx.fail("SLOW-4", "GET /health answers 200 after a slow client was dropped",
                     health.ok() ? "it answered " + std::to_string(health.status) : health.error);
    } catch (const harness_error& e) {
        ctx.fail("SLOW-4", "the server goes on serving new clients after dropping a slow client",
                 "the server stopped answering after dropping a slow client: " + e.reason);
    }

    // Expect SLOW-5 (SHOULD): X's TCP connection is closed without waiting for X to read
    long buffered = 0;
    for (;;) {
        auto ev = co_await ctx.next_event(x, ctx.scaled(milliseconds(2000)));
        if (ev.is_message()) {
            ++buffered;
            continue;
        }
        if (ev.type == ws_event::kind::timeout)
            ctx.warn("SLOW-5",
                     "the server closes the TCP connection of a dropped client without waiting for "
                     "it to read",
                     "X's connection was still open " +
                         std::to_string(ctx.scaled(milliseconds(2000)).count()) +
                         " ms after X left the room listing (X then read " +
                         std::to_string(buffered) + " buffered messages)");
        else
            ctx.note("X's connection was closed" +
                     (ev.type == ws_event::kind::closed
                          ? " with close code " + std::to_string(ev.close_code)
                          : std::string(" without a close frame")) +
                     " after " + std::to_string(buffered) + " buffered messages; R received all " +
                     std::to_string(st->r_count) + " messages");
        break;
    }
}

} // namespace

std::vector<check> slow_checks() {
    return {
        {"slow.drop-stuck-client",
         {"SLOW-1", "SLOW-2", "SLOW-3", "SLOW-4", "SLOW-5"},
         "a client that stops reading is dropped, leaves the room, and harms nobody",
         drop_stuck_client,
         20000,
         false,
         true},
    };
}

} // namespace chat::conformance
