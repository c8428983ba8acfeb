// Shared fixtures of the socket tests: an in-process chat-server on 127.0.0.1:0, a runner for
// coroutine test bodies, and small client steps. Every wait has a deadline.
#pragma once

#include "catalogue.hpp"
#include "fault_hooks.hpp"
#include "raw_client.hpp"
#include "room_registry.hpp"
#include "server.hpp"

#include "chat/client.hpp"
#include "chat/codec.hpp"
#include "chat/url.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>    // milliseconds, system_clock
#include <cstdlib>   // getenv
#include <exception> // exception_ptr
#include <memory>    // unique_ptr
#include <string>    // string
#include <vector>    // vector

namespace test {

using namespace std::chrono_literals;
namespace net = boost::asio;
using chat::milliseconds;
using net::awaitable;

constexpr milliseconds step = 5s; // deadline of one client step

// g++ 12 mishandles class-type default arguments of coroutines (the temporary is destroyed
// twice), so every coroutine call here passes these explicitly instead.
inline const chat::request_options no_request_options{};
inline const chat::transcript_sink no_sink{};
inline const chat::ws_options default_ws_options{};

inline chat_server::server_config test_config() {
    chat_server::server_config c;
    c.address = "127.0.0.1";
    c.port = 0;
    c.threads = 2;
    c.log = chat_server::log_level::error;
    // CHAT_TEST_LOG=info|debug shows the servers' connection log.
    if (const char* level = std::getenv("CHAT_TEST_LOG"))
        if (auto l = chat_server::parse_log_level(level))
            c.log = *l;
    return c;
}

// The fault hooks of `names` ("a,b" as chat-server-mutant --mutant takes them); null for none.
inline std::shared_ptr<chat_server::fault_hooks> mutant_hooks(const std::string& names,
                                                              const chat_server::server_config& c) {
    std::string why;
    auto s = chat_server::mutants::parse_selection(names, &why);
    if (!s)
        FAIL(why);
    return chat_server::mutants::make_hooks(*s, c);
}

// CHAT_TEST_MUTANT=NAME[,NAME...] runs every in-process server with those mutants: the tests
// of the clauses they break must then fail (a check that these tests can fail).
inline std::shared_ptr<chat_server::fault_hooks> env_hooks(const chat_server::server_config& c) {
    const char* names = std::getenv("CHAT_TEST_MUTANT");
    return names ? mutant_hooks(names, c) : nullptr;
}

// A chat-server running in this process on a free loopback port.
struct running_server {
    explicit running_server(const chat_server::server_config& c = test_config())
        : running_server(c, env_hooks(c)) {}
    running_server(const chat_server::server_config& c,
                   std::shared_ptr<chat_server::fault_hooks> faults)
        : server(c, std::move(faults)) {
        const auto error = server.listen();
        if (!error.empty())
            FAIL(error);
        server.start();
        url = *chat::parse_base_url("http://127.0.0.1:" + std::to_string(server.port()));
    }
    ~running_server() { server.stop(); }

    // Clients of `room` as the server counts them right now (-1: no such room).
    std::int64_t clients(const std::string& room) {
        auto r = server.rooms().find(room);
        return r ? r->clients() : -1;
    }

    chat_server::server server;
    chat::base_url url;
};

// Runs the coroutine `body()` on a fresh io_context in this thread and rethrows what it threw
// (so REQUIRE inside it fails the test case).
template <class F> void run(F&& body) {
    net::io_context ioc;
    std::exception_ptr error;
    bool finished = false;
    net::co_spawn(ioc, body(), [&](std::exception_ptr e) {
        error = e;
        finished = true;
    });
    ioc.run();
    if (error)
        std::rethrow_exception(error);
    REQUIRE(finished);
}

// Runs every task concurrently on this coroutine's executor and waits for all of them.
inline awaitable<void> all_of(std::vector<awaitable<void>> tasks) {
    auto ex = co_await net::this_coro::executor;
    auto remaining = std::make_shared<std::size_t>(tasks.size());
    auto error = std::make_shared<std::exception_ptr>();
    auto done = std::make_shared<net::steady_timer>(ex, net::steady_timer::time_point::max());
    for (auto& t : tasks)
        net::co_spawn(ex, std::move(t), [remaining, error, done](std::exception_ptr e) {
            if (e && !*error)
                *error = e;
            if (--*remaining == 0)
                done->cancel();
        });
    if (*remaining != 0) {
        boost::system::error_code ec;
        co_await done->async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    if (*error)
        std::rethrow_exception(*error);
}

inline awaitable<void> pause(milliseconds d) {
    net::steady_timer t(co_await net::this_coro::executor, d);
    boost::system::error_code ec;
    co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
}

using client_ptr = std::unique_ptr<chat::ws_client>;

// Connects a client of `room` as `user`; requires 101.
inline awaitable<client_ptr> join(const chat::base_url& url, std::string room, std::string user,
                                  const chat::ws_options& opts) {
    auto c = std::make_unique<chat::ws_client>(co_await net::this_coro::executor, url);
    auto r = co_await c->connect(room, user, step, opts);
    if (r.status != 101)
        FAIL("joining " << room << " as " << user << ": status " << r.status << " " << r.body
                        << r.error);
    co_return c;
}

inline awaitable<client_ptr> join(const chat::base_url& url, std::string room, std::string user) {
    co_return co_await join(url, std::move(room), std::move(user), default_ws_options);
}

// Connects with a raw target; returns the server's answer.
inline awaitable<chat::http_result> try_upgrade(const chat::base_url& url, std::string target) {
    chat::ws_client c(co_await net::this_coro::executor, url);
    co_return co_await c.connect_target(std::move(target), step, default_ws_options);
}

inline awaitable<void> say(chat::ws_client& c, std::string_view content) {
    auto ec = co_await c.send_text(chat::encode_client_frame(content), step);
    if (ec)
        FAIL("sending: " << ec.message());
}

// The next message, which must be a text message holding a valid chat message.
inline awaitable<chat::chat_message> next_message(chat::ws_client& c, milliseconds d = step) {
    auto ev = co_await c.read(d);
    if (ev.type != chat::ws_event::kind::text)
        FAIL("expected a message, got " << chat::to_string(ev.type) << " " << ev.close_code << " "
                                        << ev.ec.message());
    std::string why;
    auto m = chat::decode_message(ev.data, &why);
    if (!m)
        FAIL("not a chat message (" << why << "): " << ev.data);
    co_return *m;
}

inline awaitable<chat::http_result> http(const chat::base_url& url, std::string target,
                                         std::string method) {
    auto r = co_await chat::http_request(co_await net::this_coro::executor, url, std::move(method),
                                         std::move(target), step, no_request_options, no_sink);
    if (!r.ok())
        FAIL("HTTP " << r.error);
    co_return r;
}

inline awaitable<chat::http_result> http(const chat::base_url& url, std::string target) {
    co_return co_await http(url, std::move(target), "GET");
}

// `clients` of `room` from GET /api/rooms, -1 when the room is not listed.
inline awaitable<std::int64_t> listed_clients(const chat::base_url& url, std::string room) {
    auto r = co_await http(url, "/api/rooms");
    REQUIRE(r.status == 200);
    std::string why;
    auto rooms = chat::decode_room_list(r.body, &why);
    if (!rooms)
        FAIL("bad room list (" << why << "): " << r.body);
    for (const auto& e : *rooms)
        if (e.name == room)
            co_return e.clients;
    co_return -1;
}

// Polls GET /api/rooms until `room` lists `n` clients; false if not within `within`
// (SETTLE_MS is 1000 ms).
inline awaitable<bool> listing_shows(const chat::base_url& url, std::string room, std::int64_t n,
                                     milliseconds within = 1000ms) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (true) {
        if (co_await listed_clients(url, room) == n)
            co_return true;
        if (std::chrono::steady_clock::now() >= deadline)
            co_return false;
        co_await pause(20ms);
    }
}

inline awaitable<chat::room_history> history_of(const chat::base_url& url, std::string room) {
    auto r = co_await http(url, chat::history_target(url, room));
    if (r.status != 200)
        FAIL("history of " << room << ": " << r.status << " " << r.body);
    std::string why;
    auto h = chat::decode_history(r.body, &why);
    if (!h)
        FAIL("bad history body (" << why << "): " << r.body);
    co_return *h;
}

inline std::vector<std::string> contents(const std::vector<chat::chat_message>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms)
        out.push_back(m.content);
    return out;
}

inline std::int64_t unix_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// The body must be JSON {"error": non-empty string} served as application/json.
inline void require_json_error(const chat::http_result& r) {
    std::string why;
    const bool ok = chat::decode_error(r.body, &why).has_value();
    INFO("body: " << r.body << " (" << why << ")");
    CHECK(r.content_type.rfind("application/json", 0) == 0);
    CHECK(ok);
}

// The same for a raw response: JSON {"error": non-empty string} served as application/json.
inline void require_json_error_body(const raw_response& r) {
    std::string why;
    const bool ok = chat::decode_error(r.body, &why).has_value();
    INFO("response: " << r.head << r.body << " (" << why << ")");
    CHECK(r.head.find("Content-Type: application/json") != std::string::npos);
    CHECK(ok);
}

// The programs under test, as the build names them (only in targets that define them).
#ifdef CHAT_SERVER_BINARY
inline const std::string server_binary = CHAT_SERVER_BINARY;
#endif
#ifdef CHAT_SERVER_MUTANT_BINARY
inline const std::string mutant_binary = CHAT_SERVER_MUTANT_BINARY;
#endif

} // namespace test
