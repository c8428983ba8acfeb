// Tests of chat/client.hpp against scripted peers on real loopback sockets: errors name the
// endpoint and the cause, deadlines hold against silent peers, responses are parsed.
#include "chat/client.hpp"

#include "chat/ws_frame.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
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

namespace {

// A WebSocket peer on raw sockets: accepts one connection, answers the upgrade with a correct
// 101, writes `frames` (server frames, unmasked) and then closes the TCP connection, resetting
// it when `reset` is set (SO_LINGER 0). What the client sent after the 101 is kept in `got`.
struct raw_ws_peer {
    net::io_context& io;
    tcp::acceptor acceptor{io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)};
    std::string got;

    raw_ws_peer(net::io_context& ctx, std::string frames, bool reset, bool read_first = false)
        : io(ctx) {
        net::co_spawn(io, serve(std::move(frames), reset, read_first), net::detached);
    }
    net::awaitable<void> serve(std::string frames, bool reset, bool read_first) {
        auto sock = co_await acceptor.async_accept(net::use_awaitable);
        net::streambuf head;
        co_await net::async_read_until(sock, head, "\r\n\r\n", net::use_awaitable);
        std::string request(net::buffers_begin(head.data()), net::buffers_end(head.data()));
        auto at = request.find("Sec-WebSocket-Key: ");
        auto key = request.substr(at + 19, request.find("\r\n", at) - at - 19);
        const std::string reply = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                  "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                                  ws::accept_key(key) + "\r\n\r\n";
        co_await net::async_write(sock, net::buffer(reply), net::use_awaitable);
        if (read_first) {
            // Read what the client sends until it goes quiet for 200 ms
            char buf[65536];
            for (;;) {
                net::steady_timer t(io, 200ms);
                t.async_wait([&](boost::system::error_code ec) {
                    if (!ec)
                        sock.cancel();
                });
                auto [ec, n] = co_await sock.async_read_some(net::buffer(buf),
                                                             net::as_tuple(net::use_awaitable));
                got.append(buf, n);
                if (ec)
                    break;
                t.cancel();
            }
        }
        co_await net::async_write(sock, net::buffer(frames), net::use_awaitable);
        if (reset)
            sock.set_option(net::socket_base::linger(true, 0));
        sock.close();
    }
    base_url url() const {
        return *parse_base_url("http://127.0.0.1:" +
                               std::to_string(acceptor.local_endpoint().port()));
    }
};

std::string server_frame(ws::opcode op, std::string_view payload) {
    std::string out;
    ws::append_frame(out, op, true, payload);
    return out;
}

} // namespace

TEST_CASE("client: a close frame that arrived is reported even when a reset follows it",
          "[client][wire]") {
    net::io_context io;
    raw_ws_peer peer(io, server_frame(ws::opcode::close, ws::close_payload(1007, "bad utf-8")),
                     true);
    std::vector<wire_event> transcript;
    ws_client c(io.get_executor(), peer.url(),
                [&](const wire_event& e) { transcript.push_back(e); });
    auto up = run(io, c.connect_target("/ws?room=r&user=u", 2000ms));
    REQUIRE(up.status == 101);
    auto ev = run(io, c.read(2000ms));
    CHECK(ev.type == ws_event::kind::closed);
    CHECK(ev.close_code == 1007);
    CHECK(ev.close_reason == "bad utf-8");
    // A second read says the same: the close is what arrived
    auto again = run(io, c.read(500ms));
    CHECK(again.type == ws_event::kind::closed);
    CHECK(again.close_code == 1007);
}

TEST_CASE("client: a close carrying a code RFC 6455 forbids on the wire is reported as it came",
          "[client][wire]") {
    net::io_context io;
    // 1005 must never be sent (RFC 6455 7.4.1): report it, and say which rule it breaks
    raw_ws_peer peer(io, server_frame(ws::opcode::close, "\x03\xED"), false);
    std::vector<wire_event> transcript;
    ws_client c(io.get_executor(), peer.url(),
                [&](const wire_event& e) { transcript.push_back(e); });
    REQUIRE(run(io, c.connect_target("/ws?room=r&user=u", 2000ms)).status == 101);
    auto ev = run(io, c.read(2000ms));
    CHECK(ev.type == ws_event::kind::closed);
    CHECK(ev.close_code == 1005);
    bool said = false;
    for (const auto& e : transcript)
        said |= e.text.find("close received: 1005") != std::string::npos &&
                e.text.find("breaks RFC 6455") != std::string::npos;
    CHECK(said);
}

TEST_CASE("client: a frame that breaks RFC 6455 is reported as the rule it breaks",
          "[client][wire]") {
    net::io_context io;
    std::string masked; // a server frame must not be masked (RFC 6455 5.1)
    ws::append_frame(masked, ws::opcode::text, true, "hi", ws::to_mask_key(0x01020304));
    raw_ws_peer peer(io, masked, false);
    ws_client c(io.get_executor(), peer.url());
    REQUIRE(run(io, c.connect_target("/ws?room=r&user=u", 2000ms)).status == 101);
    auto ev = run(io, c.read(2000ms));
    CHECK(ev.type == ws_event::kind::error);
    CHECK_FALSE(ev.protocol_violation.empty());
}

TEST_CASE("client: frame boundaries are the caller's: one frame, fragments, a burst",
          "[client][wire]") {
    net::io_context io;
    raw_ws_peer peer(io, server_frame(ws::opcode::close, ws::close_payload(1000)), false, true);
    ws_client c(io.get_executor(), peer.url());
    REQUIRE(run(io, c.connect_target("/ws?room=r&user=u", 2000ms)).status == 101);
    const std::string big(70000, 'x'); // past any 4 KiB fragmentation
    CHECK_FALSE(run(io, c.send_text(big, 2000ms)));
    CHECK_FALSE(run(io, c.send_fragmented({"ab", "cd", "ef"}, 2000ms)));
    std::vector<std::string> burst;
    for (int i = 0; i < 300; ++i)
        burst.push_back("m" + std::to_string(i));
    CHECK_FALSE(run(io, c.send_burst(burst, 2000ms)));
    auto closed = run(io, c.read(3000ms)); // the peer answers with its close once quiet
    CHECK(closed.type == ws_event::kind::closed);
    // What arrived: 1 frame of 70000 bytes, 3 fragments, 300 single frames, all masked
    std::vector<ws::frame_header> frames;
    ws::frame_parser parser(1 << 20, ws::role::server);
    parser.set_observer([&](const ws::frame_header& h) { frames.push_back(h); });
    std::string data = peer.got;
    std::size_t at = 0;
    std::size_t messages = 0;
    while (at < data.size()) {
        ws::frame_parser::event ev;
        at +=
            parser.parse(reinterpret_cast<unsigned char*>(data.data()) + at, data.size() - at, ev);
        messages += ev.what == ws::frame_parser::event::kind::message;
        REQUIRE(ev.what != ws::frame_parser::event::kind::error);
    }
    REQUIRE(frames.size() == 1 + 3 + 300);
    CHECK(messages == 1 + 1 + 300);
    CHECK(frames[0].fin);
    CHECK(frames[0].length == 70000);
    CHECK(!frames[1].fin);
    CHECK(frames[2].op == ws::opcode::continuation);
    CHECK(frames[3].fin);
    for (const auto& f : frames)
        CHECK(f.masked);
}
