// ROOM: the room listing, lazy creation and client counts (SPEC.md section 5).
#include "checks.hpp"

#include "../check_context.hpp"
#include "../message_shape.hpp"

#include <chrono> // steady_clock

namespace chat::conformance {

namespace {

// ROOM-1: general exists from start-up.
net::awaitable<void> general(check_context& ctx) {
    auto rooms = co_await ctx.rooms();
    const room_entry* general = nullptr;
    std::string names;
    for (const auto& r : rooms) {
        if (r.name == "general")
            general = &r;
        if (names.size() < 200)
            names += (names.empty() ? "" : ", ") + excerpt(r.name, 40);
    }
    if (!general)
        ctx.fail("ROOM-1", "GET /api/rooms to list a room \"general\" from start-up",
                 "it lists " + std::to_string(rooms.size()) + " rooms" +
                     (names.empty() ? "" : ": " + names));
    // Its count can only be judged on a server nobody else uses; report it.
    ctx.note("general has " + std::to_string(general->clients) + " clients" +
             (general->clients ? " (0 expected unless someone joined it)" : ""));
    auto r = co_await ctx.get(history_target(ctx.settings().target, "general"), "ROOM-1");
    if (r.status != 200)
        ctx.fail("ROOM-1", "GET /api/rooms/general/messages to answer 200: general exists",
                 "it answered " + std::to_string(r.status) + " " + excerpt(r.body));
}

// ROOM-2: joining an unknown room creates it.
net::awaitable<void> lazy_create(check_context& ctx) {
    auto room = ctx.room();
    for (const auto& r : co_await ctx.rooms())
        if (r.name == room)
            ctx.harness("room \"" + room +
                        "\" exists before this check created it; is another run using run ID \"" +
                        ctx.settings().run_id + "\"?");
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    // Expect: the room appears (ROOM-2) with its one client (ROOM-4)
    auto start = std::chrono::steady_clock::now();
    for (;;) {
        auto clients = co_await ctx.room_clients(room);
        if (clients)
            break;
        if (std::chrono::steady_clock::now() - start > ctx.settle_timeout())
            ctx.fail("ROOM-2",
                     "room \"" + room + "\" listed by GET /api/rooms after a client joined it",
                     "it is not listed " + std::to_string(ctx.settle_timeout().count()) +
                         " ms after the 101");
        co_await ctx.sleep(milliseconds(25));
    }
    co_await ctx.expect_clients(room, 1, "ROOM-4", "after the 101");
    auto history = co_await ctx.history(room, "ROOM-2");
    if (!history.empty())
        ctx.fail("ROOM-2", "a new room starts with an empty history",
                 std::to_string(history.size()) + " messages");
}

// ROOM-4: counts follow joins, closes and broken connections.
net::awaitable<void> counts(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    co_await ctx.expect_clients(room, 1, "ROOM-4", "after 1 join");
    auto b = co_await ctx.join(room, ctx.user("bob"), "B");
    auto c = co_await ctx.join(room, ctx.user("carol"), "C");
    co_await ctx.expect_clients(room, 3, "ROOM-4", "after 3 joins");
    co_await ctx.leave(a);
    co_await ctx.expect_clients(room, 2, "ROOM-4", "after A closed with a handshake");
    b.ws->abort();
    co_await ctx.expect_clients(room, 1, "ROOM-4",
                                "after B's TCP connection was dropped (no close frame)");
    co_await ctx.leave(c);
    co_await ctx.expect_clients(room, 0, "ROOM-4", "after the last client closed");
}

// ROOM-5: an emptied room stays listed with 0 clients.
net::awaitable<void> survives_empty(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    co_await ctx.expect_clients(room, 1, "ROOM-4", "after the 101");
    co_await ctx.leave(a);
    co_await ctx.expect_clients(room, 0, "ROOM-5", "after its only client left");
}

// ROOM-3: several rooms at once, each listed once with its count.
net::awaitable<void> several(check_context& ctx) {
    std::vector<peer> peers;
    for (int r = 1; r <= 3; ++r)
        for (int k = 0; k < r; ++k)
            peers.push_back(co_await ctx.join(ctx.room("r" + std::to_string(r)),
                                              ctx.user("u" + std::to_string(k)),
                                              "R" + std::to_string(r) + "." + std::to_string(k)));
    auto start = std::chrono::steady_clock::now();
    for (;;) {
        auto rooms = co_await ctx.rooms(); // judges ROOM-3's shape and unique names
        int right = 0;
        std::string state;
        for (int r = 1; r <= 3; ++r) {
            auto name = ctx.room(std::string("r") + std::to_string(r));
            std::string shown = "not listed";
            for (const auto& e : rooms)
                if (e.name == name) {
                    shown = std::to_string(e.clients);
                    right += e.clients == r;
                }
            state +=
                (state.empty() ? "" : ", ") + std::string("r") + std::to_string(r) + ": " + shown;
        }
        if (right == 3)
            break;
        if (std::chrono::steady_clock::now() - start > ctx.settle_timeout())
            ctx.fail("ROOM-3", "GET /api/rooms lists rooms r1, r2, r3 with 1, 2 and 3 clients",
                     "it shows " + state);
        co_await ctx.sleep(milliseconds(25));
    }
}

} // namespace

std::vector<check> room_checks() {
    return {
        {"room.general", {"ROOM-1"}, "room general exists from start-up", general},
        {"room.lazy-create",
         {"ROOM-2", "ROOM-4"},
         "joining an unknown room creates it",
         lazy_create},
        {"room.counts",
         {"ROOM-4"},
         "client counts follow joins, closes and dropped connections within SETTLE_MS",
         counts},
        {"room.survives-empty",
         {"ROOM-5"},
         "an emptied room stays listed with 0 clients",
         survives_empty},
        {"room.listing",
         {"ROOM-3"},
         "several rooms at once, each listed once with its count",
         several},
    };
}

} // namespace chat::conformance
