// Hostile input against chat-server over real loopback sockets (SPEC.md sections 1, 8 and 10):
// each case asserts the status or close code SPEC.md gives, and that the server then still
// serves everyone else: a bystander keeps receiving and a newcomer can join.
#include "child_process.hpp"
#include "raw_client.hpp"
#include "test_support.hpp"

#include <string> // string
#include <vector> // vector

using namespace test;

namespace {

// Two clients of room "lobby" (one speaks, one listens) and the room "fresh" for newcomers.
struct bystanders {
    client_ptr reader;
    client_ptr speaker;
    int rounds = 0;
};

awaitable<bystanders> gather(const chat::base_url& url) {
    bystanders b;
    b.reader = co_await join(url, "lobby", "reader");
    b.speaker = co_await join(url, "lobby", "speaker");
    auto fresh = co_await join(url, "fresh", "first");
    co_await fresh->close(1000, step);
    co_return b;
}

// The server still serves everyone else: the bystander receives, a newcomer joins, /health.
awaitable<void> still_serves(const chat::base_url& url, bystanders& b, const std::string& after) {
    INFO("after: " << after);
    const std::string text = "still here " + std::to_string(++b.rounds);
    co_await say(*b.speaker, text);
    {
        auto got = co_await next_message(*b.reader);
        CHECK(got.content == text);
    }
    co_await next_message(*b.speaker); // its own copy
    auto newcomer = co_await join(url, "fresh", "newcomer-" + std::to_string(b.rounds));
    co_await newcomer->close(1000, step);
    {
        auto got = co_await http(url, "/health");
        CHECK(got.status == 200);
    }
}

awaitable<std::unique_ptr<raw_client>> raw_connect(const chat::base_url& url) {
    auto c = std::make_unique<raw_client>(co_await net::this_coro::executor);
    auto ok = co_await c->connect(url.port, step);
    REQUIRE(ok);
    co_return c;
}

// A raw client upgraded on /ws?room=R&user=U (101 required).
awaitable<std::unique_ptr<raw_client>> raw_join(const chat::base_url& url, std::string room,
                                                std::string user) {
    auto c = co_await raw_connect(url);
    {
        auto ec =
            co_await c->write(raw_client::upgrade_request(chat::ws_target(url, room, user)), step);
        REQUIRE(!ec);
    }
    auto r = co_await c->read_response(step);
    REQUIRE(r.status == 101);
    co_return c;
}

struct http_case {
    std::string name;
    std::string bytes;
    int status;
};

std::string padded_header(std::size_t bytes) {
    return "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: " + std::string(bytes, 'a') +
           "\r\n\r\n";
}

std::string many_headers(int n) {
    std::string s = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < n; ++i)
        s += "X-Header-" + std::to_string(i) + ": " + std::string(30, 'v') + "\r\n";
    return s + "\r\n";
}

} // namespace

TEST_CASE("Hostile HTTP: malformed requests get 400, oversized headers 431, too-large bodies "
          "413, all JSON, and the server serves everyone else",
          "[socket][hostile][LIMIT-1][LIMIT-2]") {
    running_server srv;
    const std::vector<http_case> cases{
        {"garbage request line", "HELLO THERE\r\n\r\n", 400},
        {"bad HTTP version", "GET /health HTTP/9.Z\r\nHost: 127.0.0.1\r\n\r\n", 400},
        {"header line without a colon", "GET /health HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n", 400},
        {"control character in the target",
         std::string("GET /hea\x01lth HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 400},
        {"space in a header name", "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Name: x\r\n\r\n",
         400},
        {"bad chunked body",
         "POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n\r\n",
         400},
        {"one 16 KiB header", padded_header(16 * 1024), 431},
        {"300 headers (12 KiB)", many_headers(300), 431},
        {"10 KB request target",
         "GET /health?" + std::string(10000, 'q') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 431},
        {"1 MB announced body",
         "POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n" +
             std::string(70000, 'b'),
         413},
    };
    run([&]() -> awaitable<void> {
        auto b = co_await gather(srv.url);
        for (const auto& c : cases) {
            INFO("case: " << c.name);
            auto raw = co_await raw_connect(srv.url);
            co_await raw->write(c.bytes, step); // the server may stop reading early
            auto r = co_await raw->read_response(step);
            CHECK(r.status == c.status);
            require_json_error_body(r);
            // The connection is closed after the answer.
            {
                auto got = co_await raw->closed_by_server(step);
                CHECK(got);
            }
            co_await still_serves(srv.url, b, c.name);
        }
    });
}

TEST_CASE("Hostile joins: bad escapes, missing, empty, repeated, over-long or non-UTF-8 names "
          "get 400 JSON and the server serves everyone else",
          "[socket][hostile][CONN-2][CONN-4][CONN-5]") {
    running_server srv; // MAX_NAME_BYTES 256
    std::string long_user;
    for (int i = 0; i < 129; ++i)
        long_user += "%C3%A9"; // 258 bytes after decoding, 774 before
    const std::vector<std::pair<std::string, std::string>> cases{
        {"bad percent-escape", "/ws?room=%ZZ&user=u"},
        {"truncated percent-escape", "/ws?room=lobby&user=u%4"},
        {"missing room", "/ws?user=u"},
        {"empty user", "/ws?room=lobby&user="},
        {"room given twice", "/ws?room=a&room=b&user=u"},
        {"257-byte room", "/ws?room=" + std::string(257, 'r') + "&user=u"},
        {"258-byte user after decoding", "/ws?room=lobby&user=" + long_user},
        {"room not UTF-8 after decoding", "/ws?room=%FF%FE&user=u"},
    };
    run([&]() -> awaitable<void> {
        auto b = co_await gather(srv.url);
        for (const auto& [name, target] : cases) {
            INFO("case: " << name << " " << target.substr(0, 80));
            auto r = co_await try_upgrade(srv.url, target);
            CHECK(r.status == 400);
            require_json_error(r);
            co_await still_serves(srv.url, b, name);
        }
        // None of them made a room.
        CHECK(srv.server.rooms().list().size() == 3);
    });
}

TEST_CASE("Hostile upgrades: a version other than 13 gets 426 naming 13, a missing or malformed "
          "key 400, JSON, no room is made, and the server serves everyone else",
          "[socket][hostile][LIMIT-5]") {
    running_server srv;
    const auto upgrade = [](const std::string& room, const std::string& extra) {
        return "GET /ws?room=" + room +
               "&user=u HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\n" +
               extra + "\r\n";
    };
    const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    const std::vector<http_case> cases{
        {"version 8", upgrade("v8", key + "Sec-WebSocket-Version: 8\r\n"), 426},
        {"no version", upgrade("v0", key), 426},
        {"no key", upgrade("nokey", "Sec-WebSocket-Version: 13\r\n"), 400},
        {"key of 8 bytes",
         upgrade("shortkey", "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n"), 400},
    };
    run([&]() -> awaitable<void> {
        auto b = co_await gather(srv.url);
        for (const auto& c : cases) {
            INFO("case: " << c.name);
            auto raw = co_await raw_connect(srv.url);
            co_await raw->write(c.bytes, step);
            auto r = co_await raw->read_response(step);
            CHECK(r.status == c.status);
            require_json_error_body(r);
            if (c.status == 426)
                CHECK(r.head.find("Sec-WebSocket-Version: 13") != std::string::npos);
            co_await still_serves(srv.url, b, c.name);
        }
        // None of them made a room.
        CHECK(srv.server.rooms().list().size() == 3);
    });
}

TEST_CASE("Hostile frames: invalid UTF-8 closes cleanly with 1007, oversized messages with "
          "1009, protocol errors with 1002, and the server serves everyone else",
          "[socket][hostile][WS-3][WS-4]") {
    running_server srv; // MAX_MESSAGE_BYTES 65536
    struct frame_case {
        std::string name;
        std::string bytes;
        int code;
        bool clean = true; // the server can answer our close frame (and then closes cleanly)
    };
    const std::string big(70000, 'x');
    const std::vector<frame_case> cases{
        {"invalid UTF-8 text", ws_frame(1, "{\"content\":\"\xC3\x28\"}"), 1007},
        {"invalid UTF-8 followed by more frames",
         ws_frame(1, "\xFF\xFE") + ws_frame(1, "{\"content\":\"after\"}") +
             ws_frame(1, std::string(20000, 'z')),
         1007},
        {"invalid UTF-8 across fragments",
         ws_frame(1, "{\"content\":\"\xE2\x82", false) + ws_frame(0, "\x28\"}", true), 1007},
        {"surrogate code point", ws_frame(1, "{\"content\":\"\xED\xA0\x80\"}"), 1007},
        {"one 70 KB frame", ws_frame(1, big), 1009},
        // Our close frame would be more payload: the server's close handshake times out.
        {"a frame announcing 2^62 bytes", ws_frame(1, big, true, true, 0, std::uint64_t{1} << 62),
         1009, false},
        {"70 KB in 35 fragments",
         [] {
             std::string s;
             for (int i = 0; i < 35; ++i)
                 s += ws_frame(i == 0 ? 1 : 0, std::string(2000, 'f'), i == 34);
             return s;
         }(),
         1009},
        {"unmasked client frame", ws_frame(1, "{\"content\":\"x\"}", true, false), 1002},
        {"reserved opcode 3", ws_frame(3, "x"), 1002},
        {"RSV1 without an extension", ws_frame(1, "{\"content\":\"x\"}", true, true, 4), 1002},
        {"continuation without a start", ws_frame(0, "x"), 1002},
        {"126-byte ping", ws_frame(9, std::string(126, 'p')), 1002},
        {"fragmented ping", ws_frame(9, "p", false), 1002},
        {"new text frame inside a fragmented one",
         ws_frame(1, "{\"content\":", false) + ws_frame(1, "\"x\"}"), 1002},
    };
    run([&]() -> awaitable<void> {
        auto b = co_await gather(srv.url);
        for (const auto& c : cases) {
            INFO("case: " << c.name);
            auto raw = co_await raw_join(srv.url, "hostile", "h");
            co_await raw->write(c.bytes, step);
            auto code = co_await raw->read_close_code(step);
            CHECK(code == c.code);
            // A clean close: the server answers our close with EOF, not a reset.
            if (code > 0 && c.clean) {
                auto how = co_await raw->finish_close(step);
                CHECK(how == "eof");
            }
            co_await still_serves(srv.url, b, c.name);
        }
        auto got = co_await listing_shows(srv.url, "hostile", 0);
        CHECK(got);
    });
}

TEST_CASE("Hostile frames: fragmented messages (with a ping between fragments) are reassembled, "
          "binary messages ignored, the connection stays open",
          "[socket][hostile][WS-5][MSG-6][WS-1]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto b = co_await gather(srv.url);
        auto raw = co_await raw_join(srv.url, "frags", "f");
        {
            auto ec = co_await raw->write(ws_frame(1, "{\"content\":\"one ", false) +
                                              ws_frame(9, "mid-ping") + ws_frame(0, "two ", false) +
                                              ws_frame(0, "three\"}", true),
                                          step);
            REQUIRE(!ec);
        }
        bool pong = false;
        std::string text;
        for (int i = 0; i < 2; ++i) {
            auto f = co_await raw->read_frame(step);
            if (f.opcode == 10)
                pong = f.payload == "mid-ping";
            else if (f.opcode == 1)
                text = f.payload;
        }
        CHECK(pong);
        CHECK(text.find("\"content\":\"one two three\"") != std::string::npos);
        // A binary message is ignored; the next text message is the echo of the next frame.
        {
            auto ec = co_await raw->write(ws_frame(2, "{\"content\":\"binary\"}") +
                                              ws_frame(1, "{\"content\":\"text\"}"),
                                          step);
            REQUIRE(!ec);
        }
        auto f = co_await raw->read_frame(step);
        CHECK(f.opcode == 1);
        CHECK(f.payload.find("\"content\":\"text\"") != std::string::npos);
        co_await still_serves(srv.url, b, "fragments and binary");
    });
}

TEST_CASE("Hostile peers: a ping flood that never reads its pongs does not harm the server",
          "[socket][hostile][WS-1][SLOW-4]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto b = co_await gather(srv.url);
        auto raw = co_await raw_join(srv.url, "flood", "pinger");
        std::string burst;
        for (int i = 0; i < 1000; ++i)
            burst += ws_frame(9, std::string(100, 'p'));
        // About 10 MB of pings, unread pongs and all; once the server stops reading (its pongs
        // wait for us) the write deadline ends the flood.
        for (int i = 0; i < 100; ++i)
            if (co_await raw->write(burst, 2s))
                break;
        co_await still_serves(srv.url, b, "ping flood");
        // Reading now: pongs come (or the connection was dropped); the server is alive.
        auto f = co_await raw->read_frame(step);
        CHECK((f.opcode == 10 || f.opcode == 8 || f.opcode == -1));
        raw.reset();
        co_await still_serves(srv.url, b, "ping flood, flooder gone");
    });
}

TEST_CASE("Hostile peers: a client that never reads is dropped and delays nobody",
          "[socket][hostile][SLOW-1][SLOW-3]") {
    running_server srv; // SEND_QUEUE 256
    run([&]() -> awaitable<void> {
        auto b = co_await gather(srv.url);
        chat::ws_options tiny;
        tiny.receive_buffer_bytes = 4096;
        auto sleeper = co_await join(srv.url, "lobby", "sleeper", tiny);
        {
            auto got = co_await listing_shows(srv.url, "lobby", 3);
            REQUIRE(got);
        }
        const std::string content(16 * 1024, 'n');
        int sent = 0;
        while (srv.clients("lobby") == 3) {
            REQUIRE(sent < 2000);
            co_await say(*b.speaker, content);
            ++sent;
            auto got = co_await next_message(*b.reader);
            REQUIRE(got.content.size() == content.size());
            co_await next_message(*b.speaker);
        }
        CHECK(srv.clients("lobby") == 2);
        co_await still_serves(srv.url, b, "never-reading client dropped");
    });
}

TEST_CASE("Hostile peers: a request that never completes is closed after the handshake "
          "timeout (slowloris)",
          "[socket][hostile][LIMIT-3]") {
    auto config = test_config();
    config.handshake_timeout_ms = 300;
    running_server srv(config);
    run([&]() -> awaitable<void> {
        auto b = co_await gather(srv.url);
        // Connects and says nothing.
        auto silent = co_await raw_connect(srv.url);
        // Half a request line.
        auto half = co_await raw_connect(srv.url);
        co_await half->write("GET /ws?room=lobby&us", step);
        // Complete headers, one byte every 50 ms: never done within the timeout.
        auto trickle = co_await raw_connect(srv.url);
        const std::string request = raw_client::upgrade_request("/ws?room=lobby&user=slow");
        bool cut = false;
        for (std::size_t i = 0; i < request.size() && !cut; ++i) {
            if (co_await trickle->write(request.substr(i, 1), step))
                cut = true;
            else
                co_await pause(50ms);
        }
        {
            auto got = co_await silent->closed_by_server(step);
            CHECK(got);
        }
        {
            auto got = co_await half->closed_by_server(step);
            CHECK(got);
        }
        if (!cut) {
            auto r = co_await trickle->read_response(step);
            CHECK(r.status == 0); // closed, never answered 101
        }
        co_await still_serves(srv.url, b, "slowloris");
        CHECK(srv.clients("lobby") == 2);
    });
}

TEST_CASE("Hostile peers: with --allowed-origin, a foreign Origin gets 403 JSON, a listed "
          "Origin or none is accepted",
          "[socket][hostile][SEC-1]") {
    auto config = test_config();
    config.allowed_origins = {"https://chat.example.com", "http://localhost:3000"};
    running_server srv(config);
    run([&]() -> awaitable<void> {
        auto b = co_await gather(srv.url); // no Origin: accepted
        struct origin_case {
            std::string origin;
            int status;
        };
        const std::vector<origin_case> cases{
            {"https://evil.example", 403},
            {"https://chat.example.com.evil.example", 403},
            {"null", 403},
            {"https://chat.example.com", 101},
            {"HTTPS://CHAT.EXAMPLE.COM", 101},
            {"http://localhost:3000", 101},
        };
        for (const auto& c : cases) {
            INFO("Origin: " << c.origin);
            chat::ws_options opts;
            opts.request.origin = c.origin;
            chat::ws_client client(co_await net::this_coro::executor, srv.url);
            auto r = co_await client.connect("lobby", "browser", step, opts);
            CHECK(r.status == c.status);
            if (c.status == 403)
                require_json_error(r);
            else
                co_await client.close(1000, step);
            co_await still_serves(srv.url, b, "Origin " + c.origin);
        }
    });
}

TEST_CASE("Hostile peers: thousands of rooms stop at --max-rooms with 503 JSON, existing rooms "
          "still join",
          "[socket][hostile][LIMIT-4]") {
    auto config = test_config();
    config.max_rooms = 2000;
    running_server srv(config);
    run([&]() -> awaitable<void> {
        auto b = co_await gather(srv.url); // general, lobby, fresh
        int created = 0;
        int refused = 0;
        for (int i = 0; i < 2100; ++i) {
            chat::ws_client c(co_await net::this_coro::executor, srv.url);
            auto r = co_await c.connect("many-" + std::to_string(i), "u", step, default_ws_options);
            if (r.status == 101) {
                ++created;
                c.abort();
            } else {
                INFO("room " << i << ": " << r.status << " " << r.body << r.error);
                REQUIRE(r.status == 503);
                require_json_error(r);
                ++refused;
            }
        }
        CHECK(created == 2000 - 3); // general, lobby and fresh exist
        CHECK(refused == 2100 - created);
        CHECK(srv.server.rooms().list().size() == 2000);
        co_await still_serves(srv.url, b, "room cap");
        auto again = co_await join(srv.url, "many-7", "back");
        co_await again->close(1000, step);
    });
}

#if !defined(_WIN32)
namespace {

chat::base_url started(child_process& child) {
    auto line = child.read_line(20s);
    REQUIRE(line);
    auto port = line->substr(line->rfind(':') + 1);
    return *chat::parse_base_url("http://127.0.0.1:" + port);
}

} // namespace

TEST_CASE("Hostile peers: out of file descriptors the server refuses cleanly, keeps serving its "
          "clients, and recovers when descriptors free up",
          "[socket][process][hostile]") {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    // UBSan's vptr check probes memory through a pipe: with no descriptor left it reports every
    // error_category access as an "invalid vptr" and aborts the server (a sanitizer false
    // positive; suppressions do not apply to -fno-sanitize-recover). Release builds run this.
    WARN("skipped in sanitizer builds: UBSan needs a free descriptor");
    return;
#endif
    // 64 descriptors: a few for the process itself, the rest for connections.
    child_process child("/usr/bin/prlimit", {"--nofile=64:64", server_binary, "--address",
                                             "127.0.0.1", "--port", "0", "--log-level", "warn"});
    const auto url = started(child);
    run([&]() -> awaitable<void> {
        auto b = co_await gather(url);
        std::vector<client_ptr> crowd;
        bool refused = false;
        for (int i = 0; i < 100 && !refused; ++i) {
            auto c = std::make_unique<chat::ws_client>(co_await net::this_coro::executor, url);
            auto r = co_await c->connect("crowd", "c" + std::to_string(i), 1s, default_ws_options);
            if (r.status == 101)
                crowd.push_back(std::move(c));
            else
                refused = true; // waits in the backlog: no answer within the deadline
        }
        REQUIRE(refused);
        INFO(crowd.size() << " clients fit");
        // Those already in are served.
        {
            co_await say(*b.speaker, "while full");
            auto got = co_await next_message(*b.reader);
            CHECK(got.content == "while full");
            co_await next_message(*b.speaker);
        }
        // Free some descriptors: a newcomer gets in within a deadline.
        for (std::size_t i = 0; i < 10 && !crowd.empty(); ++i) {
            co_await crowd.back()->close(1000, step);
            crowd.pop_back();
        }
        bool joined = false;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!joined && std::chrono::steady_clock::now() < deadline) {
            chat::ws_client c(co_await net::this_coro::executor, url);
            auto r = co_await c.connect("fresh", "after", 2s, default_ws_options);
            joined = r.status == 101;
        }
        CHECK(joined);
        co_await still_serves(url, b, "descriptors freed");
    });
    child.signal(SIGTERM);
    auto status = child.wait(10s);
    REQUIRE(status);
    CHECK(*status == 0);
    // One line per streak of failures, not one per attempt: the acceptor does not spin.
    const auto log = child.read_stderr(2s);
    std::size_t failures = 0;
    for (std::size_t at = log.find("accept failed"); at != std::string::npos;
         at = log.find("accept failed", at + 1))
        ++failures;
    INFO(log);
    CHECK(failures >= 1);
    CHECK(failures <= 3);
}
#endif
