// Socket tests of the HTTP side: endpoints, errors, joining rules and the room listing
// (SPEC.md sections 1, 5 and 7) against an in-process chat-server on loopback.
#include "test_support.hpp"

using namespace test;

TEST_CASE("HTTP: /health answers 200 {\"data\":{\"status\":\"ok\"}} as JSON",
          "[socket][HTTP-1][HTTP-4]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto r = co_await http(srv.url, "/health");
        CHECK(r.status == 200);
        CHECK(r.content_type == "application/json");
        CHECK(r.body == R"({"data":{"status":"ok"}})");
    });
}

TEST_CASE("HTTP: paths the server does not serve answer 404 with a JSON error",
          "[socket][HTTP-2][HTTP-4]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        for (const char* t :
             {"/", "/nope", "/api", "/api/rooms/", "/health/", "/ws/x", "/api/rooms/general",
              "/api/rooms/general/messages/x", "/API/ROOMS"}) {
            auto r = co_await http(srv.url, t);
            INFO(t);
            CHECK(r.status == 404);
            require_json_error(r);
        }
    });
}

TEST_CASE("HTTP: other methods on the served paths answer 405 JSON with Allow: GET",
          "[socket][HTTP-3][HTTP-4][HTTP-5]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        for (const char* t : {"/health", "/api/rooms", "/api/rooms/general/messages",
                              "/api/rooms/unknown/messages", "/ws", "/ws?room=a&user=b"}) {
            for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
                auto r = co_await http(srv.url, t, method);
                INFO(method << " " << t);
                CHECK(r.status == 405);
                CHECK(r.header("Allow") == "GET");
                require_json_error(r);
            }
        }
    });
}

TEST_CASE("Joining: missing, empty or repeated room/user, bad escapes and over-long names "
          "answer 400 JSON and are not upgraded",
          "[socket][CONN-2][CONN-4][CONN-5]") {
    running_server srv;
    const std::string long_name(257, 'n');
    run([&]() -> awaitable<void> {
        for (const std::string& t : std::vector<std::string>{
                 "/ws", "/ws?user=bob", "/ws?room=general", "/ws?room=&user=bob",
                 "/ws?room=general&user=", "/ws?room&user", "/ws?room=a&room=b&user=bob",
                 "/ws?room=a&user=bob&user=bob", "/ws?room=%ZZ&user=bob", "/ws?room=a&user=%4",
                 "/ws?room=a%&user=bob", "/ws?room=" + long_name + "&user=bob",
                 "/ws?room=general&user=" + long_name}) {
            auto r = co_await try_upgrade(srv.url, t);
            INFO(t);
            CHECK(r.status == 400);
            require_json_error(r);
        }
        // Exactly MAX_NAME_BYTES is fine.
        auto ok = co_await try_upgrade(srv.url, "/ws?room=" + std::string(256, 'r') +
                                                    "&user=" + std::string(256, 'u'));
        CHECK(ok.status == 101);
        // Nothing above created a room.
        auto rooms = co_await http(srv.url, "/api/rooms");
        CHECK(rooms.body.find(R"("name":"a")") == std::string::npos);
    });
}

TEST_CASE("Joining: GET /ws with a valid query but no upgrade answers 400 JSON",
          "[socket][CONN-2][HTTP-4]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto r = co_await http(srv.url, "/ws?room=general&user=bob");
        CHECK(r.status == 400);
        CHECK(r.body == R"({"error":"websocket upgrade required"})");
        require_json_error(r);
    });
}

TEST_CASE("Joining: room and user are percent-decoded, caf%C3%A9 in /ws and REST is one room",
          "[socket][CONN-3]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        chat::ws_client c(co_await net::this_coro::executor, srv.url);
        auto r = co_await c.connect_target("/ws?room=caf%C3%A9&user=z%C3%BC+rich", step,
                                           default_ws_options);
        REQUIRE(r.status == 101);
        co_await say(c, "bonjour");
        auto m = co_await next_message(c);
        CHECK(m.room == "caf\xC3\xA9");
        CHECK(m.user == "z\xC3\xBC rich");
        auto h = co_await http(srv.url, "/api/rooms/caf%C3%A9/messages");
        REQUIRE(h.status == 200);
        auto decoded = chat::decode_history(h.body);
        REQUIRE(decoded);
        CHECK(decoded->room == "caf\xC3\xA9");
        CHECK(contents(decoded->messages) == std::vector<std::string>{"bonjour"});
        {
            auto got = co_await listed_clients(srv.url, "caf\xC3\xA9");
            CHECK(got == 1);
        }
        // An escaped slash stays inside its path segment.
        auto slash = co_await join(srv.url, "a/b", "s");
        co_await say(*slash, "x");
        co_await next_message(*slash);
        auto hs = co_await http(srv.url, "/api/rooms/a%2Fb/messages");
        CHECK(hs.status == 200);
        // '+' in a path segment is a plus, not a space.
        auto plus = co_await join(srv.url, "a+b", "p");
        co_await say(*plus, "y");
        co_await next_message(*plus);
        auto hp = co_await http(srv.url, "/api/rooms/a+b/messages");
        CHECK(hp.status == 200);
        CHECK(chat::decode_history(hp.body)->room == "a+b");
    });
}

TEST_CASE("Rooms: general exists at start with 0 clients", "[socket][ROOM-1][ROOM-3]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto r = co_await http(srv.url, "/api/rooms");
        CHECK(r.status == 200);
        CHECK(r.content_type == "application/json");
        auto rooms = chat::decode_room_list(r.body);
        REQUIRE(rooms);
        CHECK(*rooms == std::vector<chat::room_entry>{{"general", 0}});
    });
}

TEST_CASE("Rooms: joining creates a room, the listing follows joins, closes, drops of the "
          "connection, and keeps the empty room",
          "[socket][ROOM-2][ROOM-3][ROOM-4][ROOM-5][WS-2]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        {
            auto got = co_await listed_clients(srv.url, "den");
            CHECK(got == -1);
        }
        auto a = co_await join(srv.url, "den", "a");
        auto b = co_await join(srv.url, "den", "b");
        auto g = co_await join(srv.url, "general", "g");
        {
            auto got = co_await listing_shows(srv.url, "den", 2);
            CHECK(got);
        }
        {
            auto got = co_await listing_shows(srv.url, "general", 1);
            CHECK(got);
        }
        // Every room listed exactly once.
        auto rooms = chat::decode_room_list((co_await http(srv.url, "/api/rooms")).body);
        REQUIRE(rooms);
        CHECK(rooms->size() == 2);
        // A close handshake...
        auto ev = co_await a->close(1000, step);
        CHECK(ev.type == chat::ws_event::kind::closed);
        {
            auto got = co_await listing_shows(srv.url, "den", 1);
            CHECK(got);
        }
        // ... and a broken connection both count down.
        b->abort();
        {
            auto got = co_await listing_shows(srv.url, "den", 0);
            CHECK(got);
        }
        {
            auto got = co_await listed_clients(srv.url, "general");
            CHECK(got == 1);
        }
    });
}
