// Socket tests of connection life: WebSocket control (section 8), slow clients (section 6),
// shutdown (section 9), the command line, and a few mutants.
#include "child_process.hpp"
#include "test_support.hpp"

#include <algorithm> // count
#include <csignal>   // SIGTERM
#include <cstdio>    // printf

using namespace test;

TEST_CASE("WebSocket: a ping is answered with a pong carrying the same payload", "[socket][WS-1]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto c = co_await join(srv.url, "general", "pinger");
        {
            auto got = co_await c->ping("are-you-there", step);
            REQUIRE(!got);
        }
        // The pong arrives while the next read is under way.
        co_await say(*c, "after ping");
        {
            auto got = co_await next_message(*c);
            CHECK(got.content == "after ping");
        }
        CHECK(c->pongs_received() == 1);
        CHECK(c->last_pong_payload() == "are-you-there");
    });
}

TEST_CASE("WebSocket: a client's close frame is answered, and the client leaves its room",
          "[socket][WS-2][ROOM-4]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto c = co_await join(srv.url, "closing", "c");
        {
            auto got = co_await listing_shows(srv.url, "closing", 1);
            CHECK(got);
        }
        auto ev = co_await c->close(1000, step);
        CHECK(ev.type == chat::ws_event::kind::closed);
        CHECK(ev.close_code == 1000);
        {
            auto got = co_await listing_shows(srv.url, "closing", 0);
            CHECK(got);
        }
    });
}

TEST_CASE("WebSocket: a text message that is not valid UTF-8 closes with 1007", "[socket][WS-3]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        const std::vector<std::string> invalid{"\xFF\xFE not utf-8", "{\"content\":\"\xC3\"}",
                                               "{\"content\":\"\xED\xA0\x80\"}"};
        for (const auto& bad : invalid) {
            auto c = co_await join(srv.url, "general", "utf8");
            {
                auto got = co_await c->send_text(bad, step);
                REQUIRE(!got);
            }
            auto ev = co_await c->read(step);
            CHECK(ev.type == chat::ws_event::kind::closed);
            CHECK(ev.close_code == 1007);
        }
        {
            auto got = co_await listing_shows(srv.url, "general", 0);
            CHECK(got);
        }
    });
}

TEST_CASE("WebSocket: a message over MAX_MESSAGE_BYTES closes with 1009, one at the limit is "
          "accepted",
          "[socket][WS-4]") {
    running_server srv; // MAX_MESSAGE_BYTES 65536
    run([&]() -> awaitable<void> {
        const std::string envelope = chat::encode_client_frame("");
        const std::string at_limit =
            chat::encode_client_frame(std::string(65536 - envelope.size(), 'a'));
        REQUIRE(at_limit.size() == 65536);
        auto c = co_await join(srv.url, "general", "big");
        {
            auto got = co_await c->send_text(at_limit, step);
            REQUIRE(!got);
        }
        {
            auto got = co_await next_message(*c);
            CHECK(got.content.size() == 65536 - envelope.size());
        }

        const std::string over =
            chat::encode_client_frame(std::string(65537 - envelope.size(), 'a'));
        {
            auto got = co_await c->send_text(over, step);
            REQUIRE(!got);
        }
        auto ev = co_await c->read(step);
        CHECK(ev.type == chat::ws_event::kind::closed);
        CHECK(ev.close_code == 1009);
        // A fragmented message is limited as a whole.
        auto f = co_await join(srv.url, "parts", "big-parts"); // no history to replay
        {
            const std::vector<std::string> parts{"{\"content\":\"", std::string(40000, 'b'),
                                                 std::string(40000, 'b'), "\"}"};
            auto got = co_await f->send_fragmented(parts, step);
            REQUIRE(!got);
        }
        auto ef = co_await f->read(step);
        INFO(chat::to_string(ef.type) << ": " << ef.ec.message());
        CHECK(ef.type == chat::ws_event::kind::closed);
        CHECK(ef.close_code == 1009);
    });
}

TEST_CASE("Slow clients: a client that stops reading is dropped when its queue overflows, "
          "leaves the listing, and delays nobody, the server goes on serving",
          "[socket][SLOW-1][SLOW-2][SLOW-3][SLOW-4][SLOW-5][ROOM-4]") {
    running_server srv; // SEND_QUEUE 256
    run([&]() -> awaitable<void> {
        chat::ws_options tiny;
        tiny.receive_buffer_bytes = 4096;
        auto slow = co_await join(srv.url, "slow", "sleeper", tiny);
        auto sender = co_await join(srv.url, "slow", "sender");
        auto watcher = co_await join(srv.url, "slow", "watcher");
        {
            auto got = co_await listing_shows(srv.url, "slow", 3);
            REQUIRE(got);
        }

        // In lock step: each message is received by both readers before the next is sent,
        // so a delay caused by the sleeper would show as a read deadline here.
        const std::string content(16 * 1024, 's');
        const auto start = std::chrono::steady_clock::now();
        int sent = 0;
        while (srv.clients("slow") == 3) {
            REQUIRE(sent < 2000);
            co_await say(*sender, content);
            ++sent;
            {
                auto got = co_await next_message(*sender);
                REQUIRE(got.content.size() == content.size());
            }
            {
                auto got = co_await next_message(*watcher);
                REQUIRE(got.content.size() == content.size());
            }
        }
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        const auto frame_bytes = chat::encode_message({"sender", "slow", content, 0}).size();
        std::printf("slow client dropped after %d messages (%zu bytes of messages), %lld ms\n",
                    sent, static_cast<std::size_t>(sent) * frame_bytes, static_cast<long long>(ms));
        // SLOW-1: not before its queue (256) could be full.
        CHECK(sent > 256);
        {
            auto got = co_await listing_shows(srv.url, "slow", 2);
            CHECK(got);
        }

        // SLOW-5: the TCP connection is gone without the sleeper reading it all: what it can
        // still read ends in a reset or close, not a read deadline.
        chat::ws_event ev;
        for (int i = 0; i < 2000; ++i) {
            ev = co_await slow->read(step);
            if (ev.type != chat::ws_event::kind::text)
                break;
        }
        CHECK(ev.type != chat::ws_event::kind::timeout);
        CHECK(ev.type != chat::ws_event::kind::text);

        // SLOW-4: existing and new clients go on.
        co_await say(*sender, "still here");
        {
            auto got = co_await next_message(*sender);
            CHECK(got.content == "still here");
        }
        {
            auto got = co_await next_message(*watcher);
            CHECK(got.content == "still here");
        }
        auto newcomer = co_await join(srv.url, "slow", "newcomer");
        for (int i = 0; i < 100; ++i) // its replay
            co_await next_message(*newcomer);
        co_await say(*newcomer, "hello");
        {
            auto got = co_await next_message(*newcomer);
            CHECK(got.content == "hello");
        }
        {
            auto got = co_await http(srv.url, "/health");
            CHECK(got.status == 200);
        }
    });
}

#if !defined(_WIN32)

namespace {

// Starts the binary on a free port and returns the URL from its first line of output.
chat::base_url started(child_process& child) {
    auto line = child.read_line(5s);
    REQUIRE(line);
    const std::string prefix = "chat-server listening on http://127.0.0.1:";
    REQUIRE(line->rfind(prefix, 0) == 0);
    auto port = line->substr(prefix.size());
    port = port.substr(0, port.find(' '));
    return *chat::parse_base_url("http://127.0.0.1:" + port);
}

} // namespace

TEST_CASE("Shutdown: SIGTERM stops accepting, closes every client with 1001, exits within "
          "5 s",
          "[socket][process][SHUT-1]") {
    child_process child(server_binary,
                        {"--address", "127.0.0.1", "--port", "0", "--log-level", "error"});
    const auto url = started(child);
    run([&]() -> awaitable<void> {
        std::vector<client_ptr> clients;
        clients.push_back(co_await join(url, "general", "a"));
        clients.push_back(co_await join(url, "general", "b"));
        clients.push_back(co_await join(url, "other", "c"));
        co_await say(*clients[0], "before");
        for (int i = 0; i < 2; ++i)
            co_await next_message(*clients[i]);
        // An idle keep-alive HTTP connection must not hold the server up either.
        {
            auto got = co_await listing_shows(url, "other", 1);
            REQUIRE(got);
        }

        const auto signalled = std::chrono::steady_clock::now();
        child.signal(SIGTERM);
        std::vector<int> codes(clients.size());
        std::vector<awaitable<void>> reads;
        for (std::size_t i = 0; i < clients.size(); ++i)
            reads.push_back([](chat::ws_client& c, int& code) -> awaitable<void> {
                auto ev = co_await c.read(step);
                code = ev.type == chat::ws_event::kind::closed ? ev.close_code : -1;
            }(*clients[i], codes[i]));
        co_await all_of(std::move(reads));
        CHECK(codes == std::vector<int>(clients.size(), 1001));

        auto status = child.wait(5s);
        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - signalled);
        REQUIRE(status);
        CHECK(*status == 0);
        CHECK(took < 5s);
        // Nothing accepts any more.
        auto after = co_await chat::http_request(co_await net::this_coro::executor, url, "GET",
                                                 "/health", 1s, no_request_options, no_sink);
        CHECK_FALSE(after.ok());
    });
}

TEST_CASE("Shutdown: SIGTERM while 20 clients are sending: every client gets 1001, the process "
          "exits within 5 s and cleanly (no sanitizer report)",
          "[socket][process][SHUT-1]") {
    child_process child(server_binary,
                        {"--address", "127.0.0.1", "--port", "0", "--log-level", "warn"});
    const auto url = started(child);
    std::chrono::steady_clock::time_point signalled;
    run([&]() -> awaitable<void> {
        constexpr int n = 20;
        std::vector<client_ptr> clients;
        for (int i = 0; i < n; ++i)
            clients.push_back(
                co_await join(url, "load-" + std::to_string(i % 4), "sender-" + std::to_string(i)));
        std::vector<int> codes(n, 0);
        std::vector<int> received(n, 0);
        bool stop_sending = false;
        std::vector<awaitable<void>> tasks;
        for (int i = 0; i < n; ++i) {
            // Sends every 20 ms until the connection closes.
            tasks.push_back([](chat::ws_client& c, const bool& stop, int i) -> awaitable<void> {
                for (int k = 0; !stop && k < 10000; ++k) {
                    auto text = chat::encode_client_frame("load " + std::to_string(i) + "/" +
                                                          std::to_string(k));
                    if (co_await c.send_text(text, step))
                        break;
                    co_await pause(20ms);
                }
            }(*clients[i], stop_sending, i));
            // Reads until the close frame.
            tasks.push_back(
                [](chat::ws_client& c, int& code, int& count, bool& stop) -> awaitable<void> {
                    while (true) {
                        auto ev = co_await c.read(step);
                        if (ev.is_message()) {
                            ++count;
                            continue;
                        }
                        code = ev.type == chat::ws_event::kind::closed ? ev.close_code : -1;
                        stop = true;
                        break;
                    }
                }(*clients[i], codes[i], received[i], stop_sending));
        }
        tasks.push_back([](const std::vector<int>& received, child_process& child,
                           std::chrono::steady_clock::time_point& signalled) -> awaitable<void> {
            // Under way: every client has received something.
            const auto deadline = std::chrono::steady_clock::now() + 10s;
            while (std::chrono::steady_clock::now() < deadline &&
                   std::count(received.begin(), received.end(), 0) != 0)
                co_await pause(10ms);
            signalled = std::chrono::steady_clock::now();
            child.signal(SIGTERM);
        }(received, child, signalled));
        co_await all_of(std::move(tasks));
        CHECK(std::count(received.begin(), received.end(), 0) == 0);
        CHECK(codes == std::vector<int>(n, 1001));
    });
    auto status = child.wait(5s);
    const auto took = std::chrono::steady_clock::now() - signalled;
    REQUIRE(status);
    CHECK(*status == 0);
    CHECK(took < 5s);
    const auto log = child.read_stderr(2s);
    INFO(log);
    CHECK(log.find("Sanitizer") == std::string::npos);
    CHECK(log.find("runtime error") == std::string::npos);
}

TEST_CASE("Command line: a bad flag value exits 2 with one line naming flag and value",
          "[process][cli]") {
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"--port", "70000"},           {"--port", "http"},        {"--threads", "0"},
        {"--threads", "many"},         {"--history-limit", "-1"}, {"--send-queue", "0"},
        {"--max-message-bytes", "1k"}, {"--max-name-bytes", ""},  {"--log-level", "loud"},
        {"--address", "localhost:1"},
    };
    for (const auto& [flag, value] : bad) {
        INFO(flag << " " << value);
        std::vector<std::string> args{flag, value};
        if (flag != "--port")
            args.insert(args.end(), {"--port", "0"});
        child_process child(server_binary, args);
        auto err = child.read_stderr(5s);
        auto status = child.wait(5s);
        REQUIRE(status);
        CHECK(*status == 2);
        CHECK(err.find(flag) != std::string::npos);
        CHECK(err.find("'" + value + "'") != std::string::npos);
        CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    }
    child_process unknown(server_binary, {"--nope"});
    auto err = unknown.read_stderr(5s);
    CHECK(unknown.wait(5s) == 2);
    CHECK(err.find("--nope") != std::string::npos);
}

TEST_CASE("Command line: --help lists every flag, the production binary has no --mutant",
          "[process][cli]") {
    child_process help(server_binary, {"--help"});
    std::string out;
    while (auto line = help.read_line(5s))
        out += *line + "\n";
    CHECK(help.wait(5s) == 0);
    for (const char* flag : {"--address", "--port", "--threads", "--history-limit", "--send-queue",
                             "--max-message-bytes", "--max-name-bytes", "--log-level"})
        CHECK(out.find(flag) != std::string::npos);
    CHECK(out.find("--mutant") == std::string::npos);

    child_process mutant(server_binary, {"--mutant", "no-echo", "--port", "0"});
    mutant.read_stderr(5s);
    CHECK(mutant.wait(5s) == 2);
}

TEST_CASE("Command line: a port in use is a clear one-line error, exit 2", "[process][cli]") {
    running_server srv;
    const auto port = std::to_string(srv.server.port());
    child_process child(server_binary, {"--address", "127.0.0.1", "--port", port});
    auto err = child.read_stderr(5s);
    CHECK(child.wait(5s) == 2);
    CHECK(err == "chat-server: cannot listen on 127.0.0.1:" + port +
                     ": address already in use (stop whatever uses it, or pick another --port; "
                     "0 picks a free one)\n");
}

TEST_CASE("Mutants: chat-server-mutant selects one by name and rejects unknown names",
          "[process][mutant]") {
    child_process bogus(mutant_binary, {"--mutant", "bogus", "--port", "0"});
    auto err = bogus.read_stderr(5s);
    CHECK(bogus.wait(5s) == 2);
    CHECK(err.find("'bogus'") != std::string::npos);

    child_process child(mutant_binary, {"--address", "127.0.0.1", "--port", "0", "--mutant",
                                        "no-echo", "--log-level", "error"});
    const auto url = started(child);
    run([&]() -> awaitable<void> {
        auto a = co_await join(url, "general", "a");
        auto b = co_await join(url, "general", "b");
        co_await say(*a, "from a");
        co_await say(*b, "from b");
        // no-echo: a's first message is b's, not its own.
        {
            auto got = co_await next_message(*a);
            CHECK(got.content == "from b");
        }
    });
    child.signal(SIGTERM);
    CHECK(child.wait(5s) == 0);
}

#endif

TEST_CASE("Mutants: in-process hooks break their clause", "[socket][mutant]") {
    const auto config = test_config();
    auto with = [&](const char* names) { return mutant_hooks(names, config); };
    SECTION("double-wrap") {
        running_server srv(config, with("double-wrap"));
        run([&]() -> awaitable<void> {
            auto c = co_await join(srv.url, "general", "a");
            co_await say(*c, "x");
            {
                auto got = co_await next_message(*c);
                CHECK(got.content == R"({"content":"x"})");
            }
        });
    }
    SECTION("timestamp-seconds") {
        running_server srv(config, with("timestamp-seconds"));
        run([&]() -> awaitable<void> {
            auto c = co_await join(srv.url, "general", "a");
            co_await say(*c, "x");
            {
                auto got = co_await next_message(*c);
                CHECK(got.timestamp < unix_ms() / 100);
            }
        });
    }
    SECTION("no-general, unknown-room-200, plain-400, wrong-method-404") {
        run([&]() -> awaitable<void> {
            running_server a(config, with("no-general"));
            {
                auto got = co_await listed_clients(a.url, "general");
                CHECK(got == -1);
            }
            running_server b(config, with("unknown-room-200"));
            {
                auto got = co_await http(b.url, "/api/rooms/nope/messages");
                CHECK(got.status == 200);
            }
            running_server c(config, with("plain-400"));
            auto r = co_await try_upgrade(c.url, "/ws?room=a");
            CHECK(r.status == 400);
            CHECK_FALSE(chat::decode_error(r.body));
            running_server d(config, with("wrong-method-404"));
            {
                auto got = co_await http(d.url, "/health", "POST");
                CHECK(got.status == 404);
            }
        });
    }
}
