// Socket tests of reference-server/mutants: the catalogue's listing, stacked mutants applying
// every member, seed-original applying every deviation of the original server, and the legal
// variants still speaking the protocol. chat-server without hooks is the rest of the suite.
#include "child_process.hpp"
#include "raw_client.hpp"
#include "test_support.hpp"

#include <csignal> // SIGABRT
#include <set>     // set
#include <string>  // string
#include <tuple>   // tuple
#include <utility> // pair
#include <vector>  // vector

using namespace test;

namespace {

awaitable<std::unique_ptr<raw_client>> raw_join(const chat::base_url& url, std::string room,
                                                std::string user) {
    auto c = std::make_unique<raw_client>(co_await net::this_coro::executor);
    {
        auto ok = co_await c->connect(url.port, step);
        REQUIRE(ok);
    }
    {
        auto ec =
            co_await c->write(raw_client::upgrade_request(chat::ws_target(url, room, user)), step);
        REQUIRE(!ec);
    }
    auto r = co_await c->read_response(step);
    REQUIRE(r.status == 101);
    co_return c;
}

// The tests that start a program need child_process, which is POSIX only (child_process.hpp).
#if !defined(_WIN32)
std::string everything(child_process& p) {
    std::string out;
    while (auto line = p.read_line(5s))
        out += *line + "\n";
    return out;
}
#endif

} // namespace

#if !defined(_WIN32)
TEST_CASE("Mutants: --list-mutants is one JSON table, and a profile breaks its members' union",
          "[process][mutant]") {
    child_process list(mutant_binary, {"--list-mutants"});
    const auto out = everything(list);
    CHECK(list.wait(5s) == 0);
    const auto table = nlohmann::json::parse(out, nullptr, false);
    REQUIRE(table.is_object());
    for (const auto& [name, e] : table.items()) {
        INFO(name);
        CHECK(e["breaks"].is_array());
        CHECK(!e["description"].get<std::string>().empty());
        CHECK((e["kind"] == "variant") == e["breaks"].empty());
    }
    const auto& seed = table["seed-original"];
    std::set<std::string> members_break;
    for (const auto& m : seed["members"])
        for (const auto& c : table[m.get<std::string>()]["breaks"])
            members_break.insert(c.get<std::string>());
    CHECK(seed["breaks"].get<std::set<std::string>>() == members_break);
    for (const char* clause :
         {"MSG-2", "MSG-6", "CONN-2", "HTTP-3", "WS-3", "WS-4", "CONN-4", "SLOW-4", "HTTP-2"})
        CHECK(members_break.count(clause) == 1);

    // The production binary knows no mutant at all.
    child_process plain(server_binary, {"--list-mutants"});
    plain.read_stderr(5s);
    CHECK(plain.wait(5s) == 2);
    child_process help(server_binary, {"--help"});
    const auto text = everything(help);
    CHECK(help.wait(5s) == 0);
    CHECK(text.find("--mutant") == std::string::npos);
    CHECK(text.find("--list-mutants") == std::string::npos);
}
#endif

TEST_CASE("Mutants: a stack applies every member", "[socket][mutant]") {
    const auto config = test_config();
    running_server srv(
        config, mutant_hooks("double-wrap,timestamp-seconds,no-general,wrong-method-404", config));
    run([&]() -> awaitable<void> {
        {
            auto got = co_await listed_clients(srv.url, "general"); // no-general
            CHECK(got == -1);
        }
        {
            auto got = co_await http(srv.url, "/health", "POST"); // wrong-method-404
            CHECK(got.status == 404);
        }
        auto c = co_await join(srv.url, "r", "a");
        co_await say(*c, "x");
        auto got = co_await next_message(*c);
        CHECK(got.content == R"({"content":"x"})"); // double-wrap
        CHECK(got.timestamp < unix_ms() / 100);     // timestamp-seconds
    });
}

TEST_CASE("Mutants: seed-original applies every deviation of the original server",
          "[socket][mutant]") {
    auto config = test_config();
    config.max_message_bytes = 1000;
    running_server srv(config, mutant_hooks("seed-original", config));
    run([&]() -> awaitable<void> {
        // Every error body is plain text: 400, 404 (path and room), and 404 for 405.
        const std::vector<std::tuple<std::string, std::string, int>> refusals = {
            {"/nope", "GET", 404},
            {"/api/rooms/nope/messages", "GET", 404},
            {"/health", "DELETE", 404}};
        for (const auto& [target, method, status] : refusals) {
            auto r = co_await http(srv.url, target, method);
            INFO(method << " " << target << ": " << r.body);
            CHECK(r.status == status);
            CHECK(r.content_type.rfind("text/plain", 0) == 0);
            CHECK_FALSE(chat::decode_error(r.body));
        }
        {
            auto r = co_await try_upgrade(srv.url, "/ws?room=a");
            CHECK(r.status == 400);
            CHECK_FALSE(chat::decode_error(r.body));
        }
        // Duplicate query parameters: the first wins.
        auto c = co_await raw_join(srv.url, "seed", "first");
        auto dup = std::make_unique<raw_client>(co_await net::this_coro::executor);
        {
            auto ok = co_await dup->connect(srv.url.port, step);
            REQUIRE(ok);
            co_await dup->write(raw_client::upgrade_request("/ws?room=seed&user=a&user=b"), step);
            auto r = co_await dup->read_response(step);
            CHECK(r.status == 101);
        }
        // The whole frame text is content; not JSON too; binary frames read as text.
        const std::vector<std::pair<int, std::string>> frames = {
            {1, R"({"content":"x"})"}, {1, "not json"}, {2, R"({"content":"bin"})"}};
        for (const auto& [opcode, frame] : frames) {
            co_await c->write(ws_frame(static_cast<std::uint8_t>(opcode), frame), step);
            auto f = co_await c->read_frame(step);
            REQUIRE(f.opcode == 1);
            auto m = chat::decode_message(f.payload);
            REQUIRE(m);
            CHECK(m->content == frame);
        }
        // No UTF-8 check, no size limit: neither closes the connection.
        co_await c->write(ws_frame(1, "\xC3\x28"), step);
        const std::string big = R"({"content":")" + std::string(2000, 'b') + R"("})";
        co_await c->write(ws_frame(1, big), step);
        {
            auto f = co_await c->read_frame(step);
            CHECK(f.opcode == 1);
            CHECK(f.payload.find(std::string(2000, 'b')) != std::string::npos);
        }
    });
}

#if !defined(_WIN32)
TEST_CASE("Mutants: seed-original dies when it drops a slow client", "[process][mutant]") {
    child_process child(mutant_binary,
                        {"--address", "127.0.0.1", "--port", "0", "--mutant", "seed-original",
                         "--send-queue", "4", "--log-level", "error"});
    auto line = child.read_line(5s);
    REQUIRE(line);
    CHECK(line->find("(mutant seed-original)") != std::string::npos);
    const auto at = line->rfind(':');
    const auto url = *chat::parse_base_url("http://127.0.0.1:" +
                                           line->substr(at + 1, line->find(' ', at) - at - 1));
    run([&]() -> awaitable<void> {
        // A client that never reads, and one that floods until the first is dropped.
        auto stuck = co_await raw_join(url, "slow", "stuck");
        auto talker = co_await raw_join(url, "slow", "talker");
        const std::string frame = ws_frame(1, R"({"content":")" + std::string(60000, 'x') + "\"}");
        for (int i = 0; i < 400; ++i) {
            auto ec = co_await talker->write(frame, 2s);
            if (ec)
                break;
            if (child.wait(1ms))
                break;
        }
    });
    const auto status = child.wait(10s);
    REQUIRE(status);
    CHECK(*status == 128 + SIGABRT);
}
#endif

TEST_CASE("Variants: fragments, pings between them, member order, charset, 101 headers",
          "[socket][variant]") {
    const auto config = test_config();
    running_server srv(config, mutant_hooks("variant-ping-between-fragments,variant-member-order,"
                                            "variant-json-charset,variant-upgrade-headers",
                                            config));
    run([&]() -> awaitable<void> {
        {
            auto r = co_await http(srv.url, "/health");
            CHECK(r.content_type == "application/json; charset=utf-8");
        }
        auto c = std::make_unique<raw_client>(co_await net::this_coro::executor);
        {
            auto ok = co_await c->connect(srv.url.port, step);
            REQUIRE(ok);
        }
        co_await c->write(raw_client::upgrade_request(chat::ws_target(srv.url, "v", "a")), step);
        {
            auto r = co_await c->read_response(step);
            CHECK(r.status == 101);
            CHECK(r.head.find("X-Chat-Variant: upgrade-headers\r\n") != std::string::npos);
        }
        co_await c->write(ws_frame(1, chat::encode_client_frame("héllo")), step);
        std::vector<int> opcodes;
        std::string text;
        for (int i = 0; i < 5; ++i) {
            auto f = co_await c->read_frame(step);
            opcodes.push_back(f.opcode);
            if (f.opcode != 9)
                text += f.payload;
        }
        CHECK(opcodes == std::vector<int>{1, 9, 0, 9, 0});
        CHECK(text.rfind(R"({"timestamp":)", 0) == 0);
        auto m = chat::decode_message(text);
        REQUIRE(m);
        CHECK(m->content == "héllo");
        // And a Beast client reassembles it.
        auto b = co_await join(srv.url, "v", "b");
        co_await say(*b, "again");
        for (const char* expected : {"héllo", "again"}) { // the replay, then its own
            auto got = co_await next_message(*b);
            CHECK(got.content == expected);
        }
    });
}

TEST_CASE("Variants: the socket closes right after the server's close frame", "[socket][variant]") {
    const auto config = test_config();
    running_server srv(config, mutant_hooks("variant-close-after-close-frame", config));
    run([&]() -> awaitable<void> {
        auto c = co_await raw_join(srv.url, "v", "a");
        co_await c->write(ws_frame(1, "\xC3\x28"), step);
        {
            auto code = co_await c->read_close_code(step);
            CHECK(code == 1007);
        }
        // Closed without waiting for this client's close frame.
        auto ended = co_await c->closed_by_server(2s);
        CHECK(ended);
    });
}
