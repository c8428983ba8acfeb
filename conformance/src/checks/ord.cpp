// ORD: one order per room, every message exactly once (SPEC.md section 3).
#include "checks.hpp"

#include "../check_context.hpp"
#include "../sequence.hpp"

#include <algorithm> // min
#include <map>       // map
#include <set>       // set

namespace chat::conformance {

namespace {

// A message as an order check sees it: who sent it and its number.
struct stamp {
    std::string user;
    long n = -1;
    friend bool operator==(const stamp&, const stamp&) = default;
    friend auto operator<=>(const stamp&, const stamp&) = default;
};

std::string show(const stamp& s) {
    return s.user + " #" + std::to_string(s.n);
}

// Sends `count` numbered messages as fast as the connection takes them.
net::awaitable<void> send_numbered(check_context& ctx, peer p, std::string tag, long count) {
    for (long i = 0; i < count; ++i)
        co_await ctx.send(p, numbered(tag, i), "ORD-3");
}

// A sender that has heard none of its own messages back: MSG-1 (the sender is included), not
// a loss of this check's clauses. `got_own` says whether it heard any.
void fail_silence(check_context& ctx, const peer& p, bool sender, bool got_own, const ws_event& ev,
                  const std::string& expected) {
    if (sender && !got_own && ev.type == ws_event::kind::timeout)
        ctx.fail("MSG-1", p.label + " to receive its own messages back",
                 p.label + " received none of them; then " + describe_event(ev, ctx.io_timeout()));
    ctx.fail("ORD-3", expected, describe_event(ev, ctx.io_timeout()));
}

// Reads `count` messages of `tag` into `out`.
net::awaitable<void> read_numbered(check_context& ctx, peer p, std::string tag, long count,
                                   bool sender, std::vector<stamp>* out) {
    bool got_own = false;
    while (static_cast<long>(out->size()) < count) {
        auto expected = p.label + " to receive message " + std::to_string(out->size() + 1) +
                        " of " + std::to_string(count) + " sent to the room";
        auto ev = co_await ctx.next_event(p);
        if (ev.type != ws_event::kind::text)
            fail_silence(ctx, p, sender, got_own, ev, expected);
        auto m = ctx.observe(ev.data, expected);
        got_own |= m.user == p.user;
        auto n = number_of(m.content, tag);
        out->push_back(stamp{m.user, n.value_or(-1)});
    }
}

// ORD-1, ORD-2, ORD-3: concurrent senders, every client sees one and the same order.
net::awaitable<void> one_order(check_context& ctx) {
    constexpr int senders = 4;
    constexpr long each = 40;
    constexpr long total = senders * each;
    auto room = ctx.room();
    // Setup: four senders and two clients that only read
    std::vector<peer> peers;
    for (int i = 0; i < senders; ++i)
        peers.push_back(co_await ctx.join(room, ctx.user("sender" + std::to_string(i)),
                                          "S" + std::to_string(i)));
    for (int i = 0; i < 2; ++i)
        peers.push_back(co_await ctx.join(room, ctx.user("reader" + std::to_string(i)),
                                          "R" + std::to_string(i)));
    // Act: all send at once while everyone reads
    std::vector<std::vector<stamp>> seen(peers.size());
    std::vector<net::awaitable<void>> tasks;
    for (int i = 0; i < senders; ++i)
        tasks.push_back(send_numbered(ctx, peers[i], "o", each));
    for (std::size_t i = 0; i < peers.size(); ++i)
        tasks.push_back(read_numbered(ctx, peers[i], "o", total,
                                      i < static_cast<std::size_t>(senders), &seen[i]));
    co_await all_of(ctx, std::move(tasks));

    // Expect ORD-3: each client got every message once
    for (std::size_t i = 0; i < peers.size(); ++i) {
        std::set<stamp> distinct(seen[i].begin(), seen[i].end());
        if (distinct.size() != seen[i].size() || distinct.size() != static_cast<std::size_t>(total))
            ctx.fail("ORD-3",
                     peers[i].label + " receives each of the " + std::to_string(total) +
                         " messages exactly once",
                     peers[i].label + " received " + std::to_string(distinct.size()) +
                         " distinct of " + std::to_string(seen[i].size()) + " messages");
    }
    // Expect ORD-1: everyone's order is R0's
    const auto& order = seen[senders];
    for (std::size_t i = 0; i < peers.size(); ++i)
        for (std::size_t k = 0; k < order.size(); ++k)
            if (seen[i][k] != order[k])
                ctx.fail("ORD-1", "every client receives the messages in the same order",
                         "message " + std::to_string(k + 1) + " is " + show(seen[i][k]) + " for " +
                             peers[i].label + " but " + show(order[k]) + " for " +
                             peers[senders].label);
    // Expect ORD-2: each sender's messages in the order sent
    std::map<std::string, long> last;
    for (const auto& s : order) {
        auto [it, fresh] = last.try_emplace(s.user, s.n);
        if (!fresh) {
            if (s.n != it->second + 1)
                ctx.fail("ORD-2",
                         s.user + "'s messages broadcast in the order sent (#" +
                             std::to_string(it->second + 1) + " after #" +
                             std::to_string(it->second) + ")",
                         "#" + std::to_string(s.n) + " came after #" + std::to_string(it->second));
            it->second = s.n;
        }
    }
}

// ORD-3: a reader receives every message exactly once, none lost, none doubled.
net::awaitable<void> exactly_once(check_context& ctx) {
    constexpr long count = 250; // more than 2 x 100: losses "every 100th" show
    auto room = ctx.room();
    auto s = co_await ctx.join(room, ctx.user("sender"), "S");
    auto r0 = co_await ctx.join(room, ctx.user("reader0"), "R0");
    auto r1 = co_await ctx.join(room, ctx.user("reader1"), "R1");
    // Act: S sends `count` numbered messages, then an end marker; everyone reads to the end
    std::vector<std::vector<long>> seen(3);
    auto send_all = [](check_context& c, peer p, long n) -> net::awaitable<void> {
        for (long i = 0; i < n; ++i)
            co_await c.send(p, numbered("x", i), "ORD-3");
        co_await c.send(p, "end", "ORD-3");
    };
    auto read_to_end = [](check_context& c, peer p, bool sender,
                          std::vector<long>* out) -> net::awaitable<void> {
        for (;;) {
            auto ev = co_await c.next_event(p);
            if (ev.type != ws_event::kind::text)
                fail_silence(c, p, sender, !out->empty(), ev,
                             p.label + " to receive the next message, up to the end marker");
            auto m = c.observe(ev.data, p.label + " to receive the next message");
            if (m.content == "end")
                co_return;
            out->push_back(number_of(m.content, "x").value_or(-1));
        }
    };
    std::vector<net::awaitable<void>> tasks;
    tasks.push_back(send_all(ctx, s, count));
    tasks.push_back(read_to_end(ctx, s, true, &seen[0]));
    tasks.push_back(read_to_end(ctx, r0, false, &seen[1]));
    tasks.push_back(read_to_end(ctx, r1, false, &seen[2]));
    co_await all_of(ctx, std::move(tasks));
    // Expect: 0..count-1, once each, in order (one sender: ORD-2 fixes the order)
    const peer* who[] = {&s, &r0, &r1};
    for (std::size_t i = 0; i < 3; ++i) {
        std::vector<long> want(count);
        for (long k = 0; k < count; ++k)
            want[static_cast<std::size_t>(k)] = k;
        if (seen[i] == want)
            continue;
        std::map<long, int> times;
        for (long n : seen[i])
            ++times[n];
        std::vector<long> missing, doubled;
        for (long k = 0; k < count; ++k) {
            if (times[k] == 0)
                missing.push_back(k);
            if (times[k] > 1)
                doubled.push_back(k);
        }
        auto expected =
            who[i]->label + " receives messages 0.." + std::to_string(count - 1) + " exactly once";
        if (!missing.empty() || !doubled.empty())
            ctx.fail("ORD-3", expected,
                     who[i]->label + " received " + std::to_string(seen[i].size()) + " messages" +
                         (missing.empty() ? "" : "; missing " + ranges(missing)) +
                         (doubled.empty() ? "" : "; more than once " + ranges(doubled)));
        ctx.fail("ORD-2", "S's messages in the order sent",
                 who[i]->label + " received " + describe(seen[i]));
    }
}

// ORD-2, ORD-3, SLOW-1 under bursts: a client writes hundreds of frames in one TCP write, as
// real clients do after a reconnect. Each burst stays under SEND_QUEUE, so no reading client's
// queue may overflow: a server that reads the burst and starves its writers until the queue
// overflows drops a reading client, which SLOW-1 does not allow.
net::awaitable<void> burst(check_context& ctx) {
    const long per_burst = std::max<long>(1, ctx.constants().send_queue * 3 / 4);
    constexpr int bursts = 3;
    auto room = ctx.room();
    auto s = co_await ctx.join(room, ctx.user("sender"), "S");
    auto r0 = co_await ctx.join(room, ctx.user("reader0"), "R0");
    auto r1 = co_await ctx.join(room, ctx.user("reader1"), "R1");
    const peer* who[] = {&s, &r0, &r1};
    for (int b = 0; b < bursts; ++b) {
        // Act: one write of per_burst frames; everyone reads them all
        std::vector<std::string> contents;
        for (long i = 0; i < per_burst; ++i)
            contents.push_back(numbered("b", b * per_burst + i));
        co_await ctx.send_burst(s, contents, "ORD-3");
        std::vector<std::vector<long>> seen(3);
        auto read_burst = [](check_context& c, peer p, long n, long first, bool sender,
                             std::vector<long>* out) -> net::awaitable<void> {
            while (static_cast<long>(out->size()) < n) {
                auto ev = co_await c.next_event(p);
                if (sender && first == 0 && out->empty() && ev.type == ws_event::kind::timeout)
                    fail_silence(c, p, true, false, ev, "");
                if (!ev.is_message())
                    c.fail(ev.type == ws_event::kind::closed || ev.type == ws_event::kind::error
                               ? "SLOW-1"
                               : "ORD-3",
                           p.label + ", which keeps reading, receives all " + std::to_string(n) +
                               " messages of a burst (fewer than SEND_QUEUE)",
                           p.label + " got " + std::to_string(out->size()) + " (from #" +
                               std::to_string(first) + ") and then " +
                               describe_event(ev, c.io_timeout()));
                auto m = c.observe(ev.data, p.label + " to receive the burst's messages");
                out->push_back(number_of(m.content, "b").value_or(-1));
            }
        };
        std::vector<net::awaitable<void>> tasks;
        for (std::size_t i = 0; i < 3; ++i)
            tasks.push_back(read_burst(ctx, *who[i], per_burst, b * per_burst, i == 0, &seen[i]));
        co_await all_of(ctx, std::move(tasks));
        // Expect: the burst, once each, in the order written
        for (std::size_t i = 0; i < 3; ++i) {
            std::vector<long> want;
            for (long k = 0; k < per_burst; ++k)
                want.push_back(b * per_burst + k);
            if (seen[i] == want)
                continue;
            std::vector<long> sorted = seen[i];
            std::sort(sorted.begin(), sorted.end());
            ctx.fail(sorted == want ? "ORD-2" : "ORD-3",
                     who[i]->label + " receives burst " + std::to_string(b + 1) + " (" +
                         ranges(want) + ") once each, in the order S wrote it",
                     who[i]->label + " received " + describe(seen[i]));
        }
    }
    ctx.note(std::to_string(bursts) + " bursts of " + std::to_string(per_burst) +
             " frames, each in one write, delivered whole to 3 clients");
}

// ORD-4: history holds the messages in broadcast order.
net::awaitable<void> history_order(check_context& ctx) {
    constexpr int senders = 3;
    const long each = std::min<long>(20, ctx.constants().history_limit / senders);
    auto room = ctx.room();
    std::vector<peer> peers;
    for (int i = 0; i < senders; ++i)
        peers.push_back(co_await ctx.join(room, ctx.user("sender" + std::to_string(i)),
                                          "S" + std::to_string(i)));
    auto r = co_await ctx.join(room, ctx.user("reader"), "R");
    // Act: concurrent senders; R records the broadcast order with timestamps
    std::vector<chat_message> order;
    auto read_all = [](check_context& c, peer p, long n,
                       std::vector<chat_message>* out) -> net::awaitable<void> {
        while (static_cast<long>(out->size()) < n)
            out->push_back(co_await c.receive(p, "ORD-3", "the next of the messages sent"));
    };
    std::vector<net::awaitable<void>> tasks;
    for (int i = 0; i < senders; ++i)
        tasks.push_back(send_numbered(ctx, peers[i], "h", each));
    tasks.push_back(read_all(ctx, r, senders * each, &order));
    co_await all_of(ctx, std::move(tasks));
    // A message delivered twice in a row is ORD-3's matter; the broadcast order is the rest
    order.erase(std::unique(order.begin(), order.end()), order.end());
    // Expect: the history is that order, message for message
    auto history = co_await ctx.history(room, "HIST-3");
    if (history.size() > order.size() &&
        std::all_of(order.begin(), order.end(), [&](const chat_message& m) {
            return std::find(history.begin(), history.end(), m) != history.end();
        }))
        ctx.fail("ORD-3", "R receives every message broadcast",
                 "R received " + std::to_string(order.size()) + " of the " +
                     std::to_string(history.size()) + " messages the history holds");
    // Newest first is the REST rendering's order, HIST-3's matter, not a history out of order
    if (history.size() == order.size() && history.size() > 1 &&
        std::equal(history.begin(), history.end(), order.rbegin()))
        ctx.fail("HIST-3", "GET /api/rooms/:room/messages to list the history oldest first",
                 "it lists the " + std::to_string(history.size()) +
                     " messages exactly newest first");
    if (history.size() != order.size())
        ctx.fail("ORD-4",
                 "history holds the " + std::to_string(order.size()) + " messages broadcast",
                 "it holds " + std::to_string(history.size()));
    for (std::size_t k = 0; k < order.size(); ++k)
        if (!(history[k] == order[k]))
            ctx.fail("ORD-4",
                     "history message " + std::to_string(k + 1) +
                         " to be the broadcast's: " + order[k].user + " \"" + order[k].content +
                         "\" at " + std::to_string(order[k].timestamp),
                     "it is " + history[k].user + " \"" + history[k].content + "\" at " +
                         std::to_string(history[k].timestamp));
}

} // namespace

std::vector<check> ord_checks() {
    return {
        {"ord.one-order",
         {"ORD-1", "ORD-2", "ORD-3"},
         "concurrent senders: every client receives one and the same order",
         one_order},
        {"ord.exactly-once",
         {"ORD-3", "ORD-2"},
         "250 messages reach every reader exactly once, in order",
         exactly_once},
        {"ord.burst",
         {"ORD-3", "ORD-2", "SLOW-1"},
         "bursts of 3/4 SEND_QUEUE frames in one write reach every reader, none dropped",
         burst},
        {"ord.history-order",
         {"ORD-4"},
         "history holds the messages in broadcast order",
         history_order},
    };
}

} // namespace chat::conformance
