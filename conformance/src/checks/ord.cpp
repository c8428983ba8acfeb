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

// Reads `count` messages of `tag` into `out`.
net::awaitable<void> read_numbered(check_context& ctx, peer p, std::string tag, long count,
                                   std::vector<stamp>* out) {
    while (static_cast<long>(out->size()) < count) {
        auto m = co_await ctx.receive(p, "ORD-3",
                                      "message " + std::to_string(out->size() + 1) + " of " +
                                          std::to_string(count) + " sent to the room");
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
        tasks.push_back(read_numbered(ctx, peers[i], "o", total, &seen[i]));
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
    auto read_to_end = [](check_context& c, peer p,
                          std::vector<long>* out) -> net::awaitable<void> {
        for (;;) {
            auto m = co_await c.receive(p, "ORD-3", "the next message, up to the end marker");
            if (m.content == "end")
                co_return;
            out->push_back(number_of(m.content, "x").value_or(-1));
        }
    };
    std::vector<net::awaitable<void>> tasks;
    tasks.push_back(send_all(ctx, s, count));
    tasks.push_back(read_to_end(ctx, s, &seen[0]));
    tasks.push_back(read_to_end(ctx, r0, &seen[1]));
    tasks.push_back(read_to_end(ctx, r1, &seen[2]));
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
    // Expect: the history is that order, message for message
    auto history = co_await ctx.history(room, "HIST-3");
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
        {"ord.history-order",
         {"ORD-4"},
         "history holds the messages in broadcast order",
         history_order},
    };
}

} // namespace chat::conformance
