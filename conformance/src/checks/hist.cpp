// HIST: the last HISTORY_LIMIT messages, over REST and on join (SPEC.md section 4).
#include "checks.hpp"

#include "../check_context.hpp"
#include "../message_shape.hpp"
#include "../sequence.hpp"

#include <algorithm> // min, is_sorted
#include <set>       // set

namespace chat::conformance {

namespace {

// Sends `count` numbered messages from `p` in windows and returns the broadcast copies p
// received, in order. Sender-side problems are judged here (MSG-1, ORD-2, ORD-3).
net::awaitable<std::vector<chat_message>> fill(check_context& ctx, const peer& p, std::string tag,
                                               long count) {
    const long window = std::max<long>(1, std::min<long>(50, ctx.constants().send_queue / 4));
    std::vector<chat_message> echoes;
    for (long first = 0; first < count; first += window) {
        long last = std::min(count, first + window);
        for (long i = first; i < last; ++i)
            co_await ctx.send(p, numbered(tag, i), "MSG-1");
        for (long i = first; i < last; ++i) {
            auto m = co_await ctx.receive(p, "MSG-1",
                                          "its own message \"" + numbered(tag, i) + "\" back");
            auto n = number_of(m.content, tag);
            if (n != i)
                ctx.fail("ORD-3",
                         p.label + " receives its own messages once each, in order: \"" +
                             numbered(tag, i) + "\" next",
                         p.label + " received \"" + excerpt(m.content, 60) + "\"");
            echoes.push_back(std::move(m));
        }
    }
    co_return echoes;
}

std::vector<long> numbers(const std::vector<chat_message>& ms, std::string_view tag) {
    std::vector<long> out;
    for (const auto& m : ms)
        out.push_back(number_of(m.content, tag).value_or(-1));
    return out;
}

// Judges a history (REST body or join replay) against the last `limit` of `sent`.
void judge_history(check_context& ctx, const std::vector<chat_message>& got,
                   const std::vector<chat_message>& sent, long limit, std::string_view tag,
                   const std::string& where, const std::string& order_clause) {
    auto total = static_cast<long>(sent.size());
    auto keep = std::min(total, limit);
    std::vector<chat_message> want(sent.end() - keep, sent.end());
    auto want_n = numbers(want, tag);
    auto got_n = numbers(got, tag);
    auto expected = where + " holds exactly the last " + std::to_string(keep) + " of " +
                    std::to_string(total) + " messages, oldest first: " + ranges(want_n);
    if (got_n == want_n) {
        for (std::size_t i = 0; i < got.size(); ++i)
            if (!(got[i] == want[i]))
                ctx.fail("HIST-1",
                         where + " holds the messages as broadcast (" + want[i].user + " \"" +
                             want[i].content + "\" at " + std::to_string(want[i].timestamp) + ")",
                         "message " + std::to_string(i + 1) + " is " + got[i].user + " \"" +
                             excerpt(got[i].content, 60) + "\" at " +
                             std::to_string(got[i].timestamp));
        return;
    }
    std::multiset<long> a(want_n.begin(), want_n.end()), b(got_n.begin(), got_n.end());
    if (a == b)
        ctx.fail(order_clause, expected,
                 "it holds the right messages in another order: " + ranges(got_n) +
                     (std::is_sorted(got_n.rbegin(), got_n.rend()) ? " (newest first)" : ""));
    std::string hint;
    if (got_n.size() == want_n.size() + 1 || got_n.size() + 1 == want_n.size())
        hint = " (off by one from HISTORY_LIMIT " + std::to_string(limit) +
               "; if your server uses another limit, pass --history-limit)";
    else if (!got_n.empty() && got_n.front() == 0 && total > limit)
        hint = " (the oldest were kept instead of the newest)";
    ctx.fail("HIST-2", expected, "it holds " + describe(got_n) + hint);
}

// HIST-1, HIST-2, HIST-3: more than HISTORY_LIMIT messages; REST keeps exactly the last N.
net::awaitable<void> cap_rest(check_context& ctx) {
    auto limit = static_cast<long>(ctx.constants().history_limit);
    auto room = ctx.room();
    // Setup, act: HISTORY_LIMIT + 50 messages
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto sent = co_await fill(ctx, a, "h", limit + 50);
    // Expect: the REST history is the last HISTORY_LIMIT, oldest first, as broadcast
    auto history = co_await ctx.history(room, "HIST-3");
    judge_history(ctx, history, sent, limit, "h", "GET /api/rooms/:room/messages", "HIST-3");
}

// HIST-1, HIST-2, HIST-5: a fresh client's replay is exactly the last N, before anything live.
net::awaitable<void> cap_replay(check_context& ctx) {
    auto limit = static_cast<long>(ctx.constants().history_limit);
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto sent = co_await fill(ctx, a, "h", limit + 50);
    // Act: a new client joins and says something live
    auto j = co_await ctx.join(room, ctx.user("joiner"), "J");
    co_await ctx.send(j, "live marker", "MSG-1");
    // Expect: everything before the live marker is the replay: the last N, oldest first
    std::vector<chat_message> replay;
    for (;;) {
        auto m = co_await ctx.receive(j, "HIST-5",
                                      "the replay of " + std::to_string(limit) +
                                          " messages, then its own live marker");
        if (m.content == "live marker" && m.user == j.user)
            break;
        replay.push_back(std::move(m));
        if (static_cast<long>(replay.size()) > limit + 60)
            ctx.fail("HIST-2", "a replay of at most " + std::to_string(limit) + " messages",
                     "more than " + std::to_string(limit + 60) +
                         " messages before the live marker");
    }
    if (static_cast<long>(replay.size()) < limit) {
        // Too short a replay: did the rest come after the live marker? (only refines the clause)
        std::vector<chat_message> late;
        for (;;) {
            auto ev = co_await ctx.next_event(j, ctx.scaled(milliseconds(500)));
            if (ev.type != ws_event::kind::text)
                break;
            auto v = ctx.try_observe(ev.data);
            if (v.message && number_of(v.message->content, "h"))
                late.push_back(std::move(*v.message));
        }
        if (!late.empty())
            ctx.fail("HIST-5",
                     "the replay of " + std::to_string(limit) +
                         " messages before J's own live marker",
                     std::to_string(replay.size()) +
                         " replayed messages came before the live marker and " +
                         std::to_string(late.size()) + " after it: " + ranges(numbers(late, "h")));
    }
    judge_history(ctx, replay, sent, limit, "h", "the join replay", "HIST-1");
}

// HIST-3: the envelope, the decoded room name, [] for an empty room.
net::awaitable<void> rest_envelope(check_context& ctx) {
    auto room = ctx.room() + "-\xC3\xBC \xC3\xB1";
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto empty = co_await ctx.history(room, "HIST-3");
    if (!empty.empty())
        ctx.fail("HIST-3", "\"messages\": [] for a room without messages",
                 std::to_string(empty.size()) + " messages");
    auto m1 = co_await ctx.send_and_echo(a, "first");
    auto m2 = co_await ctx.send_and_echo(a, "second");
    auto two = co_await ctx.history(room, "HIST-3");
    if (two.size() != 2 || !(two[0] == m1) || !(two[1] == m2))
        ctx.fail("HIST-3", "the 2 messages sent, oldest first, exactly as broadcast",
                 std::to_string(two.size()) + " messages" +
                     (two.size() == 2 ? ": \"" + excerpt(two[0].content, 40) + "\", \"" +
                                            excerpt(two[1].content, 40) + "\""
                                      : ""));
}

// HIST-4: an unknown room is 404 {"error":"room not found"}.
net::awaitable<void> unknown_room(check_context& ctx) {
    auto target = history_target(ctx.settings().target, ctx.room("never-joined"));
    auto r = co_await ctx.get(target, "HIST-4");
    auto expected =
        "GET " + target + " (a room nobody joined) answers 404 {\"error\":\"room not found\"}";
    if (r.status != 404)
        ctx.fail("HIST-4", expected,
                 "it answered " + std::to_string(r.status) + " " + excerpt(r.body));
    std::string why;
    auto error = inspect_error_body(r.body, why);
    if (!error)
        ctx.fail("HIST-4", expected, "the body is " + why);
    if (*error != "room not found")
        ctx.fail("HIST-4", expected, "the error is \"" + excerpt(*error) + "\"");
    if (!is_json_content_type(r.content_type))
        ctx.fail("HTTP-4", "the 404 carries Content-Type: application/json",
                 "Content-Type is \"" + r.content_type + "\"");
}

// HIST-5, HIST-6: clients join while a sender keeps sending; each sees replay then live, and
// together they form 0..N-1 exactly once, in order.
net::awaitable<void> join_continuity(check_context& ctx) {
    const long total = std::max<long>(10, std::min<long>(99, ctx.constants().history_limit - 1));
    constexpr int joiners = 6;
    auto room = ctx.room();
    auto s = co_await ctx.join(room, ctx.user("sender"), "S");
    struct progress {
        long sent = 0;
    };
    auto state = std::make_shared<progress>();
    std::vector<std::vector<long>> seen(joiners);

    // The sender: numbered messages in small bursts, then an end marker
    auto sender = [](check_context& c, peer p, long n,
                     std::shared_ptr<progress> st) -> net::awaitable<void> {
        constexpr long burst = 3;
        for (long i = 0; i < n; i += burst) {
            long last = std::min(n, i + burst);
            for (long k = i; k < last; ++k)
                co_await c.send(p, numbered("j", k), "MSG-1");
            for (long k = i; k < last; ++k)
                co_await c.receive(p, "MSG-1", "its own message \"" + numbered("j", k) + "\" back");
            st->sent = last;
            co_await c.sleep(milliseconds(1));
        }
        co_await c.send(p, "end", "MSG-1");
    };
    // A joiner: joins once the sender is some way in, then reads to the end marker
    // `seam`: the sender's count when the join began and when its 101 came: what was sent
    // before is the replay's, what came well after is live delivery (ORD-3's, not the join's).
    auto joiner = [](check_context& c, std::string room_name, int index, long start_after,
                     std::shared_ptr<progress> st, std::vector<long>* out,
                     std::pair<long, long>* seam) -> net::awaitable<void> {
        while (st->sent < start_after)
            co_await c.sleep(milliseconds(1));
        seam->first = st->sent;
        auto j = co_await c.join(room_name, c.user("joiner" + std::to_string(index)),
                                 "J" + std::to_string(index));
        seam->second = st->sent;
        for (;;) {
            auto ev = co_await c.next_event(j);
            if (ev.type != ws_event::kind::text)
                co_return; // judged below by what is missing
            auto m = c.observe(ev.data, j.label + " to receive the replay, then live messages");
            if (m.content == "end")
                break;
            out->push_back(number_of(m.content, "j").value_or(-1));
        }
        if (static_cast<long>(out->size()) >= st->sent)
            co_return;
        // Messages missing at the end marker: did they come after it? (only refines the clause)
        for (;;) {
            auto ev = co_await c.next_event(j, c.scaled(milliseconds(500)));
            if (ev.type != ws_event::kind::text)
                co_return;
            auto v = c.try_observe(ev.data);
            if (v.message)
                out->push_back(number_of(v.message->content, "j").value_or(-1));
        }
    };
    std::vector<std::pair<long, long>> seams(joiners);
    std::vector<net::awaitable<void>> tasks;
    tasks.push_back(sender(ctx, s, total, state));
    for (int i = 0; i < joiners; ++i)
        tasks.push_back(joiner(ctx, room, i, (i + 1) * total / (joiners + 2), state,
                               &seen[static_cast<std::size_t>(i)],
                               &seams[static_cast<std::size_t>(i)]));
    co_await all_of(ctx, std::move(tasks));

    // Expect: every joiner saw 0..total-1 exactly once, in order
    for (int i = 0; i < joiners; ++i) {
        const auto& got = seen[static_cast<std::size_t>(i)];
        std::vector<long> want(static_cast<std::size_t>(total));
        for (long k = 0; k < total; ++k)
            want[static_cast<std::size_t>(k)] = k;
        if (got == want)
            continue;
        auto who = "J" + std::to_string(i);
        auto expected = who + " (joined while messages were being sent) receives 0.." +
                        std::to_string(total - 1) +
                        " exactly once: the replay, then the live messages";
        // Doubled well after the join: a live delivery doubled, ORD-3's; at the seam, HIST-6's
        const auto [before, after] = seams[static_cast<std::size_t>(i)];
        for (std::size_t k = 1; k < got.size(); ++k)
            if (got[k] == got[k - 1] && got[k] >= after + 3)
                ctx.fail("ORD-3", expected,
                         who + " received message " + std::to_string(got[k]) +
                             " twice in a row, well after its join: a live delivery doubled");
        std::multiset<long> a(want.begin(), want.end()), b(got.begin(), got.end());
        if (a == b)
            ctx.fail("HIST-5", expected,
                     "a live message arrived before or between the replayed ones: " + ranges(got));
        // Lost well after the join (the sender sends in bursts of 3): a live loss, ORD-3's
        bool at_seam = false;
        std::vector<long> missing;
        for (long k = 0; k < total; ++k)
            if (!b.count(k)) {
                missing.push_back(k);
                at_seam |= k < after + 3;
            }
        if (!missing.empty() && !at_seam)
            ctx.fail("ORD-3", expected,
                     who + " missed live message(s) " + ranges(missing) + " sent after its join (" +
                         std::to_string(after) + " had been sent when its 101 came)");
        ctx.fail("HIST-6", expected,
                 who + " received " + describe(got) + " (joined when " + std::to_string(before) +
                     ".." + std::to_string(after) + " had been sent)");
    }
}

// HIST-7: history survives the last client leaving.
net::awaitable<void> survives_leave(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    for (int i = 0; i < 3; ++i)
        co_await ctx.send_and_echo(a, numbered("kept", i));
    co_await ctx.leave(a);
    co_await ctx.expect_clients(room, 0, "ROOM-4", "after its only client closed");
    // Expect: the 3 messages are still there (in whatever order: that is HIST-1's)
    auto history = co_await ctx.history(room, "HIST-7");
    auto kept = numbers(history, "kept");
    std::sort(kept.begin(), kept.end());
    if (kept != std::vector<long>{0, 1, 2})
        ctx.fail("HIST-7",
                 "the 3 messages of room \"" + room + "\" still there after its last client left",
                 "GET /api/rooms/:room/messages holds " + describe(numbers(history, "kept")));
    // Expect: a newcomer is replayed them (when, relative to live messages, is HIST-5's)
    auto b = co_await ctx.join(room, ctx.user("bob"), "B");
    co_await ctx.send(b, "back", "MSG-1");
    std::vector<long> replay, late;
    bool back = false;
    while (!back || replay.size() + late.size() < 3) {
        auto ev = co_await ctx.next_event(b, ctx.scaled(milliseconds(1000)));
        if (!ev.is_message())
            break;
        auto m = ctx.observe(ev.data, "B to receive the 3 kept messages and its own");
        if (m.content == "back")
            back = true;
        else if (auto n = number_of(m.content, "kept"))
            (back ? late : replay).push_back(*n);
    }
    auto all = replay;
    all.insert(all.end(), late.begin(), late.end());
    std::sort(all.begin(), all.end());
    if (all != std::vector<long>{0, 1, 2})
        ctx.fail("HIST-7", "a client joining the emptied room is replayed its 3 messages",
                 "it was replayed " + describe(all));
    if (!late.empty())
        ctx.fail("HIST-5", "the replay before B's own live message",
                 std::to_string(late.size()) + " of the 3 came after it");
}

} // namespace

std::vector<check> hist_checks() {
    return {
        {"hist.cap-rest",
         {"HIST-1", "HIST-2", "HIST-3"},
         "HISTORY_LIMIT+50 messages: REST keeps exactly the last N, oldest first",
         cap_rest},
        {"hist.cap-replay",
         {"HIST-1", "HIST-2", "HIST-5"},
         "HISTORY_LIMIT+50 messages: a new client is replayed exactly the last N, then live",
         cap_replay},
        {"hist.rest-envelope",
         {"HIST-3"},
         "the history envelope, the decoded room name, [] when empty",
         rest_envelope},
        {"hist.unknown-room",
         {"HIST-4"},
         "an unknown room is 404 {\"error\":\"room not found\"}",
         unknown_room},
        {"hist.join-continuity",
         {"HIST-5", "HIST-6"},
         "joining during a stream: replay then live, nothing lost or doubled",
         join_continuity},
        {"hist.survives-leave",
         {"HIST-7"},
         "history survives its last client leaving",
         survives_leave},
    };
}

} // namespace chat::conformance
