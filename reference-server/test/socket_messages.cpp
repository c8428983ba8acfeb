// Socket tests of messages, order and history (SPEC.md sections 2, 3 and 4) against an
// in-process chat-server on loopback.
#include "test_support.hpp"

#include <algorithm> // count
#include <map>       // map
#include <set>       // set

using namespace test;

TEST_CASE("Messages: a frame is broadcast to every client of the room, sender included",
          "[socket][MSG-1][CONN-1]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto alice = co_await join(srv.url, "general", "alice");
        auto bob = co_await join(srv.url, "general", "bob");
        co_await say(*alice, "Hello Bob");
        {
            auto got = co_await next_message(*alice);
            CHECK(got.content == "Hello Bob");
        }
        {
            auto got = co_await next_message(*bob);
            CHECK(got.content == "Hello Bob");
        }
        co_await say(*bob, "Hi Alice");
        {
            auto got = co_await next_message(*alice);
            CHECK(got.content == "Hi Alice");
        }
        {
            auto got = co_await next_message(*bob);
            CHECK(got.content == "Hi Alice");
        }
    });
}

TEST_CASE("Messages: exactly user, room, content, timestamp, user and room from the "
          "connection, timestamp in Unix ms at receipt",
          "[socket][MSG-2][MSG-3][MSG-8]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto alice = co_await join(srv.url, "lobby", "alice");
        const auto before = unix_ms();
        auto ec = co_await alice->send_text(
            R"({"content":"hi","user":"mallory","room":"general","timestamp":1,"extra":true})",
            step);
        REQUIRE(!ec);
        auto ev = co_await alice->read(step);
        const auto after = unix_ms();
        REQUIRE(ev.type == chat::ws_event::kind::text);
        auto j = nlohmann::json::parse(ev.data);
        INFO(ev.data);
        REQUIRE(j.is_object());
        CHECK(j.size() == 4);
        CHECK(j["user"] == "alice");
        CHECK(j["room"] == "lobby");
        CHECK(j["content"] == "hi");
        REQUIRE(j["timestamp"].is_number_integer());
        const auto ts = j["timestamp"].get<std::int64_t>();
        CHECK(ts >= before);
        CHECK(ts <= after);
    });
}

TEST_CASE("Messages: content round-trips exactly", "[socket][MSG-4]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto alice = co_await join(srv.url, "general", "alice");
        std::string control;
        for (char c = 1; c < 0x20; ++c)
            control += c;
        // As large as MAX_MESSAGE_BYTES allows once framed, with characters that need escaping.
        std::string big(20000, 'x');
        for (std::size_t i = 0; i < big.size(); i += 7)
            big[i] = "\"\\\n\t{}"[i % 6];
        big += std::string(65536 - chat::encode_client_frame(big).size(), 'y');
        REQUIRE(chat::encode_client_frame(big).size() == 65536);
        const std::vector<std::string> samples = {
            R"(quotes " and backslash \ and \" and \\)",
            "line\nbreak\r\nand\ttab",
            control,
            "caf\xC3\xA9 \xE6\xBC\xA2\xE5\xAD\x97 \xF0\x9F\x98\x80 \xE2\x80\xA8 \x7F",
            R"({"content":"nested"})",
            "",
            big,
        };
        for (const auto& s : samples) {
            co_await say(*alice, s);
            auto m = co_await next_message(*alice);
            CHECK(m.content == s);
        }
    });
}

TEST_CASE("Messages: never delivered outside the room", "[socket][MSG-7]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto a = co_await join(srv.url, "room-a", "alice");
        auto b = co_await join(srv.url, "room-b", "bob");
        auto g = co_await join(srv.url, "general", "gina");
        co_await say(*a, "for a");
        {
            auto got = co_await next_message(*a);
            CHECK(got.content == "for a");
        }
        co_await say(*b, "for b");
        co_await say(*g, "for general");
        // Each client's next message is its own room's: nothing from room-a came first.
        auto mb = co_await next_message(*b);
        CHECK(mb.content == "for b");
        CHECK(mb.room == "room-b");
        auto mg = co_await next_message(*g);
        CHECK(mg.content == "for general");
        co_await say(*a, "a again");
        {
            auto got = co_await next_message(*a);
            CHECK(got.content == "a again");
        }
    });
}

TEST_CASE("Messages: frames that are not client frames, and binary messages, are ignored "
          "and the connection stays open",
          "[socket][MSG-5][MSG-6]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto sender = co_await join(srv.url, "bad-frames", "sender");
        auto watcher = co_await join(srv.url, "bad-frames", "watcher");
        const std::vector<std::string> bad = {
            "not json",
            "{\"content\":",
            "[\"content\"]",
            "\"content\"",
            "42",
            "null",
            "{}",
            R"({"text":"x"})",
            R"({"content":1})",
            R"({"content":null})",
            R"({"content":["x"]})",
            R"({"content":{"a":1}})",
            R"({"content":true})",
        };
        for (const auto& f : bad) {
            auto ec = co_await sender->send_text(f, step);
            REQUIRE(!ec);
        }
        {
            auto got = co_await sender->send_binary(R"({"content":"binary"})", step);
            REQUIRE(!got);
        }
        {
            auto got = co_await sender->send_binary(std::string("\x00\xFF\x01", 3), step);
            REQUIRE(!got);
        }
        co_await say(*sender, "marker");
        // The first message either client sees is the marker: nothing before it was broadcast.
        {
            auto got = co_await next_message(*sender);
            CHECK(got.content == "marker");
        }
        {
            auto got = co_await next_message(*watcher);
            CHECK(got.content == "marker");
        }
        CHECK(sender->is_open());
        auto h = co_await history_of(srv.url, "bad-frames");
        CHECK(contents(h.messages) == std::vector<std::string>{"marker"});
    });
}

TEST_CASE("WebSocket: a message sent as several frames is one client frame", "[socket][WS-5]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto c = co_await join(srv.url, "general", "frag");
        const std::vector<std::string> parts{R"({"cont)", R"(ent":"in )", R"(parts"})"};
        auto ec = co_await c->send_fragmented(parts, step);
        REQUIRE(!ec);
        {
            auto got = co_await next_message(*c);
            CHECK(got.content == "in parts");
        }
    });
}

TEST_CASE("Order: concurrent senders, every client sees one sequence, none lost or doubled, "
          "history in the same order",
          "[socket][ORD-1][ORD-2][ORD-3][ORD-4]") {
    auto config = test_config();
    config.history_limit = 1000;
    running_server srv(config);
    // 200 messages in all: below SEND_QUEUE (256), so no client can be dropped as slow
    // even if the server's writers fall behind on a busy machine.
    static constexpr int clients = 5;
    static constexpr int per_client = 40;
    run([&]() -> awaitable<void> {
        std::vector<client_ptr> c;
        for (int i = 0; i < clients; ++i)
            c.push_back(co_await join(srv.url, "order", "u" + std::to_string(i)));
        std::vector<std::vector<std::string>> seen(clients);
        std::vector<awaitable<void>> tasks;
        for (int i = 0; i < clients; ++i) {
            tasks.push_back([](chat::ws_client& me, int id) -> awaitable<void> {
                for (int k = 0; k < per_client; ++k)
                    co_await say(me, std::to_string(id) + ":" + std::to_string(k));
            }(*c[i], i));
            tasks.push_back(
                [](chat::ws_client& me, std::vector<std::string>& out) -> awaitable<void> {
                    while (out.size() < clients * per_client)
                        out.push_back((co_await next_message(me)).content);
                }(*c[i], seen[i]));
        }
        co_await all_of(std::move(tasks));
        // ORD-3: each client got every message exactly once.
        std::set<std::string> distinct(seen[0].begin(), seen[0].end());
        CHECK(distinct.size() == clients * per_client);
        // ORD-1: one and the same order for everyone.
        for (int i = 1; i < clients; ++i)
            CHECK(seen[i] == seen[0]);
        // ORD-2: each sender's messages in the order sent.
        std::map<std::string, int> next;
        for (const auto& s : seen[0]) {
            auto colon = s.find(':');
            auto sender = s.substr(0, colon);
            CHECK(std::stoi(s.substr(colon + 1)) == next[sender]++);
        }
        // ORD-4: the history has the broadcast order.
        auto h = co_await history_of(srv.url, "order");
        CHECK(contents(h.messages) == seen[0]);
    });
}

TEST_CASE("History: after 150 messages exactly the last 100 remain, oldest first, in REST and "
          "in the replay on join",
          "[socket][HIST-1][HIST-2][HIST-3][HIST-5]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto sender = co_await join(srv.url, "capped", "sender");
        for (int i = 0; i < 150; ++i)
            co_await say(*sender, "m" + std::to_string(i));
        for (int i = 0; i < 150; ++i) {
            auto got = co_await next_message(*sender);
            REQUIRE(got.content == "m" + std::to_string(i));
        }
        std::vector<std::string> expected;
        for (int i = 50; i < 150; ++i)
            expected.push_back("m" + std::to_string(i));

        auto r = co_await http(srv.url, "/api/rooms/capped/messages");
        CHECK(r.status == 200);
        CHECK(r.content_type == "application/json");
        auto h = co_await history_of(srv.url, "capped");
        CHECK(h.room == "capped");
        CHECK(contents(h.messages) == expected);
        for (const auto& m : h.messages) {
            CHECK(m.user == "sender");
            CHECK(m.room == "capped");
        }

        auto late = co_await join(srv.url, "capped", "late");
        std::vector<std::string> replay;
        for (int i = 0; i < 100; ++i)
            replay.push_back((co_await next_message(*late)).content);
        CHECK(replay == expected);
        co_await say(*sender, "live");
        {
            auto got = co_await next_message(*late);
            CHECK(got.content == "live");
        }
    });
}

TEST_CASE("History: an empty room's history is [] and an unknown room is 404",
          "[socket][HIST-3][HIST-4]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto h = co_await history_of(srv.url, "general");
        CHECK(h.room == "general");
        CHECK(h.messages.empty());
        auto r = co_await http(srv.url, "/api/rooms/no-such-room/messages");
        CHECK(r.status == 404);
        CHECK(r.content_type == "application/json");
        CHECK(r.body == R"({"error":"room not found"})");
    });
}

TEST_CASE("History: a joiner gets the replay first, then live messages, each message exactly "
          "once, while another client keeps sending",
          "[socket][HIST-5][HIST-6]") {
    auto config = test_config();
    config.history_limit = 1000;
    running_server srv(config);
    static constexpr int total = 200; // below SEND_QUEUE, as in the test above
    run([&]() -> awaitable<void> {
        auto sender = co_await join(srv.url, "replay", "sender");
        for (int i = 0; i < 20; ++i)
            co_await say(*sender, std::to_string(i));
        std::vector<int> got;
        std::vector<awaitable<void>> tasks;
        tasks.push_back([](chat::ws_client& s) -> awaitable<void> {
            for (int i = 20; i < total; ++i)
                co_await say(s, std::to_string(i));
        }(*sender));
        tasks.push_back([](chat::ws_client& s) -> awaitable<void> {
            for (int i = 0; i < total; ++i)
                co_await next_message(s);
        }(*sender));
        tasks.push_back([](const chat::base_url& url, std::vector<int>& out) -> awaitable<void> {
            auto joiner = co_await join(url, "replay", "joiner");
            while (out.empty() || out.back() != total - 1)
                out.push_back(std::stoi((co_await next_message(*joiner)).content));
        }(srv.url, got));
        co_await all_of(std::move(tasks));
        // Whatever the moment of the join, the joiner sees 0..total-1 once each, in order:
        // a live message before or between the replayed ones would break the order.
        std::vector<int> expected;
        for (int i = 0; i < total; ++i)
            expected.push_back(i);
        CHECK(got == expected);
    });
}

TEST_CASE("History: the replay comes first even when a live message is sent right after the "
          "101",
          "[socket][HIST-5][HIST-6]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto old = co_await join(srv.url, "first", "old");
        for (const char* s : {"h1", "h2", "h3"})
            co_await say(*old, s);
        for (int i = 0; i < 3; ++i)
            co_await next_message(*old);
        auto joiner = co_await join(srv.url, "first", "joiner");
        co_await say(*old, "live");
        std::vector<std::string> got;
        for (int i = 0; i < 4; ++i) {
            auto m = co_await next_message(*joiner);
            got.push_back(m.content);
        }
        CHECK(got == std::vector<std::string>{"h1", "h2", "h3", "live"});
    });
}

TEST_CASE("History: survives the room's last client leaving", "[socket][HIST-7][ROOM-5]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        {
            auto c = co_await join(srv.url, "ephemeral", "only");
            co_await say(*c, "still here");
            co_await next_message(*c);
            auto ev = co_await c->close(1000, step);
            CHECK(ev.type == chat::ws_event::kind::closed);
        }
        {
            auto got = co_await listing_shows(srv.url, "ephemeral", 0);
            CHECK(got);
        }
        auto h = co_await history_of(srv.url, "ephemeral");
        CHECK(contents(h.messages) == std::vector<std::string>{"still here"});
        auto again = co_await join(srv.url, "ephemeral", "back");
        {
            auto got = co_await next_message(*again);
            CHECK(got.content == "still here");
        }
    });
}
