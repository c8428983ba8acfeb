// Tests of chat/client.hpp against scripted peers on real loopback sockets: errors name the
// endpoint and the cause, deadlines hold against silent peers, responses are parsed.
#include "chat/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <chrono> // steady_clock
#include <memory> // shared_ptr

using namespace chat;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

// A peer that accepts one connection, reads the request head, then answers `reply` verbatim
// (or nothing at all when `reply` is empty), and keeps the socket open until the test ends.
struct scripted_peer {
    net::io_context& io;
    tcp::acceptor acceptor{io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)};
    std::shared_ptr<tcp::socket> held;

    scripted_peer(net::io_context& ctx, std::string reply) : io(ctx) {
        net::co_spawn(io, serve(std::move(reply)), net::detached);
    }
    net::awaitable<void> serve(std::string reply) {
        auto sock =
            std::make_shared<tcp::socket>(co_await acceptor.async_accept(net::use_awaitable));
        held = sock;
        net::streambuf head;
        co_await net::async_read_until(*sock, head, "\r\n\r\n", net::use_awaitable);
        if (!reply.empty())
            co_await net::async_write(*sock, net::buffer(reply), net::use_awaitable);
    }
    base_url url() const {
        return *parse_base_url("http://127.0.0.1:" +
                               std::to_string(acceptor.local_endpoint().port()));
    }
};

template <class T> T run(net::io_context& io, net::awaitable<T> op) {
    T out{};
    bool done = false;
    net::co_spawn(io, std::move(op), [&](std::exception_ptr e, T v) {
        if (e)
            std::rethrow_exception(e);
        out = std::move(v);
        done = true;
        io.stop();
    });
    io.run_for(10s);
    io.restart();
    REQUIRE(done);
    return out;
}

} // namespace

TEST_CASE("client: a refused connection names the endpoint and what to try", "[client]") {
    net::io_context io;
    unsigned short port = 0;
    {
        tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
        port = a.local_endpoint().port();
    }
    auto url = *parse_base_url("http://127.0.0.1:" + std::to_string(port));
    auto r = run(io, http_request(io.get_executor(), url, "GET", "/health", 2000ms));
    CHECK_FALSE(r.ok());
    CHECK(r.status == 0);
    CHECK(r.error.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
    CHECK(r.error.find("is the server running") != std::string::npos);
}

TEST_CASE("client: a peer that never answers ends at the deadline", "[client]") {
    net::io_context io;
    scripted_peer peer(io, "");
    const auto start = std::chrono::steady_clock::now();
    auto r = run(io, http_request(io.get_executor(), peer.url(), "GET", "/health", 300ms));
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK_FALSE(r.ok());
    CHECK(r.error.find("did not answer in time") != std::string::npos);
    CHECK(took >= 250ms);
    CHECK(took < 5s);
}

TEST_CASE("client: an HTTP response is parsed with status, headers and body", "[client]") {
    net::io_context io;
    scripted_peer peer(io, "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\n"
                           "Allow: GET\r\nContent-Length: 24\r\n\r\n{\"error\":\"not allowed\"}\n");
    std::vector<wire_event> transcript;
    auto r = run(io, http_request(io.get_executor(), peer.url(), "POST", "/health", 2000ms, {},
                                  [&](const wire_event& e) { transcript.push_back(e); }));
    REQUIRE(r.ok());
    CHECK(r.status == 405);
    CHECK(r.content_type == "application/json");
    CHECK(r.header("allow") == "GET");
    CHECK(r.body == "{\"error\":\"not allowed\"}\n");
    REQUIRE(transcript.size() == 2);
    CHECK(transcript[0].text.rfind("POST /health", 0) == 0);
    CHECK(transcript[1].text.find("405") != std::string::npos);
}

TEST_CASE("client: a declined upgrade returns the server's response", "[client]") {
    net::io_context io;
    scripted_peer peer(io, "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                           "Content-Length: 38\r\n\r\n{\"error\":\"room and user are required\"}");
    ws_client c(io.get_executor(), peer.url());
    auto r = run(io, c.connect_target("/ws?room=&user=u", 2000ms));
    REQUIRE(r.ok());
    CHECK(r.status == 400);
    CHECK(r.body == "{\"error\":\"room and user are required\"}");
    CHECK_FALSE(c.is_open());
}

TEST_CASE("client: connect with and without options builds the /ws target", "[client]") {
    // Also guards against GCC 12 destroying defaulted coroutine arguments twice.
    for (bool with_options : {false, true}) {
        net::io_context io;
        scripted_peer peer(io, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        std::vector<wire_event> transcript;
        ws_client c(io.get_executor(), peer.url(),
                    [&](const wire_event& e) { transcript.push_back(e); });
        ws_options opts;
        opts.request.headers.emplace_back("X-Test", "1");
        auto r = with_options ? run(io, c.connect("caf\xC3\xA9", "a b", 2000ms, opts))
                              : run(io, c.connect("caf\xC3\xA9", "a b", 2000ms));
        REQUIRE(r.ok());
        CHECK(r.status == 400);
        REQUIRE_FALSE(transcript.empty());
        CHECK(transcript[0].text.rfind("GET /ws?room=caf%C3%A9&user=a%20b", 0) == 0);
    }
}

TEST_CASE("client: option temporaries inside a co_await expression are safe", "[client]") {
    // GCC 12 frees brace-initialised aggregate temporaries in co_await expressions twice;
    // the option types are not aggregates, so this must neither crash nor corrupt the result.
    net::io_context io;
    scripted_peer peer(io,
                       "HTTP/1.1 403 Forbidden\r\nX-A: 1\r\nX-B: 2\r\nContent-Length: 2\r\n\r\nno");
    ws_client c(io.get_executor(), peer.url());
    auto r = run(io, [&]() -> net::awaitable<http_result> {
        co_return co_await c.connect("r", "u", 2000ms, ws_options{});
    }());
    CHECK(r.status == 403);
    CHECK(r.header("x-b") == "2");
    CHECK(r.body == "no");
}

TEST_CASE("client: garbage instead of HTTP is an error, not a hang", "[client]") {
    net::io_context io;
    scripted_peer peer(io, "\x16\x03\x01 garbage garbage\r\n\r\n");
    auto r = run(io, http_request(io.get_executor(), peer.url(), "GET", "/api/rooms", 2000ms));
    CHECK_FALSE(r.ok());
    CHECK(r.error.find("no valid HTTP response") != std::string::npos);
}
