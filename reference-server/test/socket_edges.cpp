// Edges of HTTP, WebSocket and JSON that public bug reports found in other servers (issue #12),
// each over real loopback sockets against an in-process chat-server: bytes behind the request
// head, absolute-form targets, Host rules, request bytes reflected into JSON, refusal order.
#include "child_process.hpp"
#include "raw_client.hpp"
#include "routes.hpp"
#include "test_support.hpp"

#include "chat/codec.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <cstdlib> // system
#include <string>  // string
#include <tuple>   // tie
#include <utility> // pair
#include <vector>  // vector

#include <stdlib.h> // mkdtemp

using namespace test;

namespace {

awaitable<std::unique_ptr<raw_client>> connect_raw(const chat::base_url& url) {
    auto c = std::make_unique<raw_client>(co_await net::this_coro::executor);
    auto ok = co_await c->connect(url.port, step);
    REQUIRE(ok);
    co_return c;
}

// Writes `bytes` on a fresh connection and reads one response.
awaitable<raw_response> ask(const chat::base_url& url, std::string bytes) {
    auto c = co_await connect_raw(url);
    auto ec = co_await c->write(bytes, step);
    REQUIRE(!ec);
    co_return co_await c->read_response(step);
}

// The text of server frame `f` decoded as a chat message; its content, or "" if it is not one.
std::string content_of(const raw_frame& f) {
    if (f.opcode != 1)
        return {};
    auto m = chat::decode_message(f.payload);
    return m ? m->content : std::string();
}

} // namespace

TEST_CASE("Early frames: a text frame and a ping sent in the same write as the upgrade request "
          "are broadcast, echoed and answered",
          "[socket][edges][WS-1][MSG-1]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto listener = co_await join(srv.url, "early", "listener");
        auto raw = co_await connect_raw(srv.url);
        const std::string bytes =
            raw_client::upgrade_request(chat::ws_target(srv.url, "early", "eager")) +
            ws_frame(1, R"({"content":"early"})") + ws_frame(9, "early-ping");
        {
            auto ec = co_await raw->write(bytes, step);
            REQUIRE(!ec);
        }
        auto r = co_await raw->read_response(step);
        REQUIRE(r.status == 101);
        std::string echoed;
        std::string pong;
        for (int i = 0; i < 2; ++i) {
            auto f = co_await raw->read_frame(step);
            if (f.opcode == 10)
                pong = f.payload;
            else
                echoed = content_of(f);
        }
        CHECK(echoed == "early");
        CHECK(pong == "early-ping");
        auto got = co_await next_message(*listener);
        CHECK(got.content == "early");
        CHECK(got.user == "eager");
    });
}

TEST_CASE("Early frames: a frame begun behind the upgrade request is completed by the bytes "
          "that follow, an invalid one closes with 1002",
          "[socket][edges][WS-4]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        const std::string frame = ws_frame(1, R"({"content":"split"})");
        for (std::size_t cut : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{9}}) {
            INFO("bytes of the frame behind the request: " << cut);
            auto raw = co_await connect_raw(srv.url);
            {
                auto ec = co_await raw->write(raw_client::upgrade_request(chat::ws_target(
                                                  srv.url, "split-" + std::to_string(cut), "s")) +
                                                  frame.substr(0, cut),
                                              step);
                REQUIRE(!ec);
            }
            auto r = co_await raw->read_response(step);
            REQUIRE(r.status == 101);
            {
                auto ec = co_await raw->write(frame.substr(cut), step);
                REQUIRE(!ec);
            }
            auto f = co_await raw->read_frame(step);
            CHECK(content_of(f) == "split");
            co_await raw->write(ws_frame(8, std::string("\x03\xE8", 2)), step);
        }
        // An unmasked frame's first two bytes: a protocol error as soon as they are parsed.
        auto raw = co_await connect_raw(srv.url);
        {
            auto ec = co_await raw->write(
                raw_client::upgrade_request(chat::ws_target(srv.url, "split", "bad")) + "\x81\x05",
                step);
            REQUIRE(!ec);
        }
        auto r = co_await raw->read_response(step);
        REQUIRE(r.status == 101);
        auto code = co_await raw->read_close_code(step);
        CHECK(code == 1002);
    });
}

TEST_CASE("Absolute-form targets (RFC 9112 section 3.2.2) are served like their origin form",
          "[socket][edges][HTTP-1]") {
    running_server srv;
    const std::string authority = "http://127.0.0.1:" + srv.url.port;
    run([&]() -> awaitable<void> {
        auto speaker = co_await join(srv.url, "abs", "speaker");
        co_await say(*speaker, "kept");
        co_await next_message(*speaker);
        struct target_case {
            std::string target;
            int status;
            std::string body_has;
        };
        const std::vector<target_case> cases{
            {authority + "/health", 200, R"({"data":{"status":"ok"}})"},
            {"HTTP://127.0.0.1/health", 200, R"("status":"ok")"},
            {"http://example.com/health?x=1", 200, R"("status":"ok")"},
            {authority + "/api/rooms", 200, R"("name":"abs")"},
            {authority + "/api/rooms/abs/messages", 200, R"("content":"kept")"},
            {authority + "/nowhere", 404, "error"},
            {authority, 404, "error"},
        };
        for (const auto& c : cases) {
            INFO(c.target);
            auto r =
                co_await ask(srv.url, "GET " + c.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            CHECK(r.status == c.status);
            CHECK(r.body.find(c.body_has) != std::string::npos);
        }
        // An upgrade in absolute form joins.
        auto raw = co_await connect_raw(srv.url);
        {
            auto ec = co_await raw->write(
                raw_client::upgrade_request(authority + "/ws?room=abs&user=absolute"), step);
            REQUIRE(!ec);
        }
        auto r = co_await raw->read_response(step);
        CHECK(r.status == 101);
        auto f = co_await raw->read_frame(step);
        CHECK(content_of(f) == "kept"); // the history replay
        co_await say(*speaker, "to absolute");
        f = co_await raw->read_frame(step);
        CHECK(content_of(f) == "to absolute");
    });
}

TEST_CASE("Absolute-form targets under --base-path", "[socket][edges][HTTP-1]") {
    auto config = test_config();
    config.base_path = "/chat";
    running_server srv(config);
    const std::string authority = "http://127.0.0.1:" + srv.url.port;
    run([&]() -> awaitable<void> {
        auto ok =
            co_await ask(srv.url, "GET " + authority + "/chat/health HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(ok.status == 200);
        auto outside =
            co_await ask(srv.url, "GET " + authority + "/health HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(outside.status == 404);
        auto raw = co_await connect_raw(srv.url);
        {
            auto ec = co_await raw->write(
                raw_client::upgrade_request(authority + "/chat/ws?room=b&user=u"), step);
            REQUIRE(!ec);
        }
        auto r = co_await raw->read_response(step);
        CHECK(r.status == 101);
    });
}

TEST_CASE("Host (RFC 9112 section 3.2): an HTTP/1.1 request without Host, with two, or with an "
          "invalid one gets 400 JSON and the connection is closed, no upgrade",
          "[socket][edges][LIMIT-2]") {
    running_server srv;
    const std::string upgrade_rest =
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    struct host_case {
        std::string name;
        std::string bytes;
        int status;
    };
    const std::vector<host_case> cases{
        {"no Host", "GET /health HTTP/1.1\r\n\r\n", 400},
        {"two Host", "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        {"two identical Host", "GET /health HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400},
        {"Host with a space", "GET /health HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
        {"Host with a slash", "GET /health HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
        {"upgrade without Host", "GET /ws?room=nohost&user=u HTTP/1.1\r\n" + upgrade_rest + "\r\n",
         400},
        {"upgrade with two Host",
         "GET /ws?room=nohost&user=u HTTP/1.1\r\nHost: a\r\nhost: a\r\n" + upgrade_rest + "\r\n",
         400},
        {"absolute form without Host", "GET http://127.0.0.1/health HTTP/1.1\r\n\r\n", 400},
        {"HTTP/1.0 without Host", "GET /health HTTP/1.0\r\n\r\n", 200},
        {"HTTP/1.0 with two Host", "GET /health HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        {"empty Host", "GET /health HTTP/1.1\r\nHost:\r\n\r\n", 200},
        {"Host with port", "GET /health HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n", 200},
        {"IPv6 Host", "GET /health HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", 200},
    };
    run([&]() -> awaitable<void> {
        for (const auto& c : cases) {
            INFO("case: " << c.name);
            auto raw = co_await connect_raw(srv.url);
            {
                auto ec = co_await raw->write(c.bytes, step);
                REQUIRE(!ec);
            }
            auto r = co_await raw->read_response(step);
            CHECK(r.status == c.status);
            if (c.status == 400) {
                require_json_error_body(r);
                if (r.head.rfind("HTTP/1.1", 0) == 0)
                    CHECK(r.head.find("Connection: close") != std::string::npos);
                auto got = co_await raw->closed_by_server(step);
                CHECK(got);
            }
        }
        CHECK(srv.clients("nohost") == -1);
    });
}

TEST_CASE("Request bytes reflected into a JSON error stay valid UTF-8 JSON (RFC 8259 section "
          "8.1): a raw 0xE9 in the target, the Origin, the Host, under --base-path",
          "[socket][edges][HTTP-4][SEC-1]") {
    auto config = test_config();
    config.allowed_origins = {"https://ok.example"};
    running_server plain(config);
    config.base_path = "/chat";
    running_server based(config);
    const std::string upgrade =
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    struct reflect_case {
        std::string name;
        const running_server* srv;
        std::string bytes;
        int status;
    };
    const std::vector<reflect_case> cases{
        {"404 target", &plain, "GET /caf\xE9 HTTP/1.1\r\nHost: h\r\n\r\n", 404},
        {"404 target, truncated sequence", &plain, "GET /\xF0\x9F\x98 HTTP/1.1\r\nHost: h\r\n\r\n",
         404},
        {"404 target, overlong and surrogate", &plain,
         "GET /\xC0\xAF\xED\xA0\x80\xFF HTTP/1.1\r\nHost: h\r\n\r\n", 404},
        {"403 Origin", &plain,
         "GET /ws?room=r&user=u HTTP/1.1\r\nHost: h\r\n" + upgrade +
             "Origin: https://caf\xE9.example\r\n\r\n",
         403},
        {"400 Host", &plain, "GET /health HTTP/1.1\r\nHost: caf\xE9\r\n\r\n", 400},
        {"base-path 404", &based, "GET /caf\xE9/health HTTP/1.1\r\nHost: h\r\n\r\n", 404},
        {"base-path 404 under the prefix", &based, "GET /chat/caf\xE9 HTTP/1.1\r\nHost: h\r\n\r\n",
         404},
    };
    run([&]() -> awaitable<void> {
        for (const auto& c : cases) {
            INFO("case: " << c.name);
            auto r = co_await ask(c.srv->url, c.bytes);
            CHECK(r.status == c.status);
            CHECK(chat_server::is_valid_utf8(r.body));
            auto error = chat::decode_error(r.body); // strict: invalid UTF-8 is not JSON
            CHECK(error);
            // The valid part of what was reflected is kept, the invalid bytes shown as U+FFFD.
            if (error && c.status != 400)
                CHECK(error->find("\xEF\xBF\xBD") != std::string::npos);
        }
    });
}

TEST_CASE("Refusal order: invalid HTTP > 404 > 405 > malformed escape > /ws query > not an "
          "upgrade > 426 > key > 403 origin > 503 room cap",
          "[socket][edges][HTTP-2][HTTP-3][CONN-2][LIMIT-4][LIMIT-5][SEC-1]") {
    auto config = test_config();
    config.allowed_origins = {"https://ok.example"};
    config.max_rooms = 1;
    running_server srv(config);
    const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    const std::string bad_key = "Sec-WebSocket-Key: c2hvcnQ=\r\n";
    const std::string upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
    const std::string v13 = "Sec-WebSocket-Version: 13\r\n";
    const std::string v8 = "Sec-WebSocket-Version: 8\r\n";
    const std::string evil = "Origin: https://evil.example\r\n";
    const auto req = [](std::string method, std::string target, std::string headers,
                        bool host = true) {
        return method + " " + target + " HTTP/1.1\r\n" + (host ? "Host: 127.0.0.1\r\n" : "") +
               headers + "\r\n";
    };
    struct order_case {
        std::string name;
        std::string bytes;
        int status;
        std::string says; // a word of the error that tells which rule refused
    };
    const std::vector<order_case> cases{
        {"no Host beats 404", req("GET", "/nope", "", false), 400, "Host"},
        {"two Host beat an upgrade with every fault",
         req("POST", "/ws?room=%ZZ", "Host: b\r\n" + upgrade + v8 + evil), 400, "Host"},
        {"404 beats 405", req("POST", "/nope", ""), 404, "not found"},
        {"404 beats a malformed escape", req("GET", "/nope%ZZ", ""), 404, "not found"},
        {"405 beats a malformed escape", req("POST", "/ws?room=%ZZ&user=u", upgrade + v13 + key),
         405, "GET"},
        {"405 on /health", req("DELETE", "/health?%ZZ", ""), 405, "GET"},
        {"malformed escape on /health", req("GET", "/health?x=%ZZ", ""), 400, "percent"},
        {"malformed escape in a room name", req("GET", "/api/rooms/%ZZ/messages", ""), 400,
         "percent"},
        {"malformed escape beats the /ws query", req("GET", "/ws?user=%ZZ", upgrade + v8), 400,
         "percent"},
        {"missing room beats not an upgrade", req("GET", "/ws?user=u", ""), 400, "room"},
        {"duplicated user beats 426", req("GET", "/ws?room=a&user=u&user=v", upgrade + v8), 400,
         "user"},
        {"non-UTF-8 room beats a bad key", req("GET", "/ws?room=%FF&user=u", upgrade + v13), 400,
         "UTF-8"},
        {"not an upgrade beats 426", req("GET", "/ws?room=a&user=u", v8 + key), 400, "upgrade"},
        {"426 beats a bad key", req("GET", "/ws?room=a&user=u", upgrade + v8 + bad_key + evil), 426,
         "13"},
        {"bad key beats 403", req("GET", "/ws?room=a&user=u", upgrade + v13 + bad_key + evil), 400,
         "Key"},
        {"403 beats 503", req("GET", "/ws?room=new&user=u", upgrade + v13 + key + evil), 403,
         "origin"},
        {"503 last", req("GET", "/ws?room=new&user=u", upgrade + v13 + key), 503, "room limit"},
    };
    run([&]() -> awaitable<void> {
        // "general" exists from the start: it is the one room allowed.
        for (const auto& c : cases) {
            INFO("case: " << c.name);
            auto r = co_await ask(srv.url, c.bytes);
            CHECK(r.status == c.status);
            auto error = chat::decode_error(r.body);
            REQUIRE(error);
            INFO("error: " << *error);
            CHECK(error->find(c.says) != std::string::npos);
            if (c.status == 426) {
                CHECK(r.head.find("Upgrade: websocket") != std::string::npos);
                CHECK(r.head.find("Sec-WebSocket-Version: 13") != std::string::npos);
            }
        }
        // HEAD gets the same refusals without a body: 405 for /ws, 404 elsewhere.
        for (const auto& [target, status] :
             std::vector<std::pair<std::string, int>>{{"/ws?room=%ZZ", 405}, {"/nope", 404}}) {
            INFO("HEAD " << target);
            auto raw = co_await connect_raw(srv.url);
            {
                auto ec = co_await raw->write(req("HEAD", target, "Connection: close\r\n"), step);
                REQUIRE(!ec);
            }
            auto r = co_await raw->read_head(step);
            CHECK(r.status == status);
            auto closed = co_await raw->closed_by_server(step);
            CHECK(closed);
            CHECK(raw->unread().empty());
        }
    });
}

TEST_CASE("The history replayed on joining does not count against SEND_QUEUE: with "
          "--history-limit 300 --send-queue 50 a joiner of a full room is not dropped",
          "[socket][edges][SLOW-1][HIST-1]") {
    auto config = test_config();
    config.history_limit = 300;
    config.send_queue = 50;
    running_server srv(config);
    run([&]() -> awaitable<void> {
        auto speaker = co_await join(srv.url, "full", "speaker");
        // 300 messages of 16 KiB: more than the kernel buffers hold, so the replay to a joiner
        // that does not read yet stays queued in the server.
        const std::string filler(16 * 1024, 'h');
        for (int i = 0; i < 300; ++i) {
            co_await say(*speaker, filler);
            co_await next_message(*speaker);
        }
        chat::ws_options tiny;
        tiny.receive_buffer_bytes = 4096;
        auto joiner = co_await join(srv.url, "full", "joiner", tiny);
        // A live message while the replay waits: it must be queued, not make the joiner "slow".
        co_await say(*speaker, "live");
        co_await next_message(*speaker);
        // A dropped joiner would read a reset before "live".
        int replayed = 0;
        std::string last;
        while (last != "live") {
            auto m = co_await next_message(*joiner);
            last = m.content;
            if (last == filler)
                ++replayed;
        }
        CHECK(replayed == 300);
    });
}

#if !defined(_WIN32)
TEST_CASE("Logs: a peer that drops TCP after the server's 1002, 1007 or 1009 close gets one "
          "info line naming the protocol error, not just \"End of file\"",
          "[socket][process][edges][WS-3][WS-4]") {
    child_process child(CHAT_SERVER_BINARY,
                        {"--address", "127.0.0.1", "--port", "0", "--log-level", "info"});
    auto line = child.read_line(20s);
    REQUIRE(line);
    const auto url =
        *chat::parse_base_url("http://127.0.0.1:" + line->substr(line->rfind(':') + 1));
    struct drop_case {
        std::string user;
        std::string frame;
        std::string reason;
    };
    const std::vector<drop_case> cases{
        {"u1002", ws_frame(1, R"({"content":"x"})", true, false), "closed with 1002"},
        {"u1007", ws_frame(1, "\xFF\xFE"), "closed with 1007"},
        {"u1009", ws_frame(1, std::string(70000, 'x')), "closed with 1009"},
    };
    run([&]() -> awaitable<void> {
        for (const auto& c : cases) {
            INFO("case: " << c.user);
            auto raw = co_await connect_raw(url);
            {
                auto ec = co_await raw->write(
                    raw_client::upgrade_request(chat::ws_target(url, "logs", c.user)) + c.frame,
                    step);
                REQUIRE(!ec);
            }
            auto code = co_await raw->read_close_code(step);
            CHECK(code > 0);
            raw.reset(); // TCP ends without our close frame
        }
    });
    // Each session logs its close line once it reads the end of the connection.
    const auto closed_count = [](const std::string& log) {
        std::size_t n = 0;
        for (auto at = log.find("info: close "); at != std::string::npos;
             at = log.find("info: close ", at + 1))
            ++n;
        return n;
    };
    std::string log;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (closed_count(log) < cases.size() && std::chrono::steady_clock::now() < deadline)
        log = child.read_stderr(50ms);
    child.signal(SIGTERM);
    auto status = child.wait(10s);
    REQUIRE(status);
    INFO(log);
    for (const auto& c : cases) {
        // The open line comes first; the close line is the last one naming the user.
        const auto last = log.rfind("user=\"" + c.user + "\"");
        REQUIRE(last != std::string::npos);
        const auto begin = log.rfind('\n', last) + 1;
        const std::string close_line = log.substr(begin, log.find('\n', last) - begin);
        INFO("line: " << close_line);
        CHECK(close_line.find("info: close ") != std::string::npos);
        CHECK(close_line.find(c.reason) != std::string::npos);
    }
}
#endif

// --- TLS ----------------------------------------------------------------------------------

namespace {

namespace ssl = net::ssl;
using tls_socket = ssl::stream<net::ip::tcp::socket>;

// A self-signed certificate and key made with the openssl CLI in a fresh directory; empty
// paths when the CLI is missing.
struct self_signed {
    std::string dir;
    std::string cert;
    std::string key;
    self_signed() {
        char name[] = "/tmp/chat-edges-tls-XXXXXX";
        if (!::mkdtemp(name))
            return;
        dir = name;
        const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
                                " -nodes -days 1 -subj /CN=127.0.0.1 -keyout " +
                                dir + "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0)
            return;
        cert = dir + "/cert.pem";
        key = dir + "/key.pem";
    }
    ~self_signed() {
        if (!dir.empty())
            std::system(("rm -rf " + dir).c_str());
    }
};

// A TLS client with a deadline on every step: on expiry the socket is closed.
class tls_client {
public:
    tls_client(net::any_io_executor ex, ssl::context& ctx) : stream_(ex, ctx), timer_(ex) {}

    awaitable<boost::system::error_code> connect(const std::string& port) {
        arm();
        net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"),
                                  static_cast<unsigned short>(std::stoul(port)));
        auto [ec] =
            co_await stream_.lowest_layer().async_connect(ep, net::as_tuple(net::use_awaitable));
        if (!ec)
            std::tie(ec) = co_await stream_.async_handshake(ssl::stream_base::client,
                                                            net::as_tuple(net::use_awaitable));
        timer_.cancel();
        co_return ec;
    }

    awaitable<boost::system::error_code> write(std::string bytes) {
        arm();
        auto [ec, n] = co_await net::async_write(stream_, net::buffer(bytes),
                                                 net::as_tuple(net::use_awaitable));
        timer_.cancel();
        co_return ec;
    }

    // Reads until `buffer` holds `want` or the stream ends: false then (see `ended`).
    awaitable<bool> read_until(std::string want) {
        while (true) {
            if (buffer.find(want) != std::string::npos)
                co_return true;
            const bool more = co_await fill();
            if (!more)
                co_return false;
        }
    }

    // The next server frame (unmasked, payload under 126 bytes): {opcode, payload}, or -1.
    awaitable<std::pair<int, std::string>> read_frame() {
        std::pair<int, std::string> f(-1, std::string());
        while (true) {
            if (buffer.size() >= 2) {
                const std::size_t len = static_cast<unsigned char>(buffer[1]) & 0x7F;
                if (buffer.size() >= 2 + len) {
                    f.first = buffer[0] & 0x0F;
                    f.second = buffer.substr(2, len);
                    buffer.erase(0, 2 + len);
                    co_return f;
                }
            }
            const bool more = co_await fill();
            if (!more)
                co_return f;
        }
    }

    // Reads until the stream ends; how it ended.
    awaitable<boost::system::error_code> read_to_end() {
        while (true) {
            const bool more = co_await fill();
            if (!more)
                co_return ended;
        }
    }

    std::string buffer;
    boost::system::error_code ended;

private:
    void arm() {
        timer_.expires_after(step);
        timer_.async_wait([this](boost::system::error_code ec) {
            if (!ec) {
                boost::system::error_code ignored;
                stream_.lowest_layer().close(ignored);
            }
        });
    }

    awaitable<bool> fill() {
        char chunk[4096];
        arm();
        auto [ec, n] =
            co_await stream_.async_read_some(net::buffer(chunk), net::as_tuple(net::use_awaitable));
        timer_.cancel();
        buffer.append(chunk, n);
        if (ec)
            ended = ec;
        co_return !ec;
    }

    tls_socket stream_;
    net::steady_timer timer_;
};

} // namespace

TEST_CASE("TLS: the server ends wss:// and https:// connections with close_notify (after a close "
          "handshake, an HTTP answer that closes, a shutdown), and early frames count over TLS "
          "too",
          "[socket][edges][tls][WS-2]") {
    self_signed certs;
    if (certs.cert.empty()) {
        WARN("skipped: no openssl CLI to make a certificate");
        return;
    }
    auto config = test_config();
    config.tls_cert = certs.cert;
    config.tls_key = certs.key;
    running_server srv(config);
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_verify_mode(ssl::verify_none);
    run([&]() -> awaitable<void> {
        const auto ex = co_await net::this_coro::executor;
        {
            INFO("WebSocket close handshake, with an early frame behind the upgrade");
            tls_client c(ex, ctx);
            auto ec = co_await c.connect(srv.url.port);
            REQUIRE(!ec);
            ec =
                co_await c.write(raw_client::upgrade_request(chat::ws_target(srv.url, "tls", "t")) +
                                 ws_frame(1, R"({"content":"early-tls"})"));
            REQUIRE(!ec);
            auto got = co_await c.read_until("\r\n\r\n");
            REQUIRE(got);
            CHECK(c.buffer.rfind("HTTP/1.1 101", 0) == 0);
            c.buffer.erase(0, c.buffer.find("\r\n\r\n") + 4);
            // The echo may be too long for read_frame: find its content in the bytes.
            got = co_await c.read_until("early-tls");
            CHECK(got);
            c.buffer.clear();
            ec = co_await c.write(ws_frame(8, std::string("\x03\xE8", 2)));
            REQUIRE(!ec);
            auto f = co_await c.read_frame();
            CHECK(f.first == 8);
            auto how = co_await c.read_to_end();
            INFO("the TLS stream ended with: " << how.message());
            CHECK(how == net::error::eof); // close_notify, not ssl::error::stream_truncated
        }
        {
            INFO("the server's close after a protocol error (1002)");
            tls_client c(ex, ctx);
            auto ec = co_await c.connect(srv.url.port);
            REQUIRE(!ec);
            ec = co_await c.write(
                raw_client::upgrade_request(chat::ws_target(srv.url, "tls-bad", "bad")) +
                ws_frame(1, "x", true, false));
            REQUIRE(!ec);
            auto got = co_await c.read_until("\r\n\r\n");
            REQUIRE(got);
            c.buffer.erase(0, c.buffer.find("\r\n\r\n") + 4);
            auto f = co_await c.read_frame();
            CHECK(f.first == 8);
            ec = co_await c.write(ws_frame(8, std::string("\x03\xEA", 2)));
            REQUIRE(!ec);
            auto how = co_await c.read_to_end();
            INFO("the TLS stream ended with: " << how.message());
            CHECK(how == net::error::eof);
        }
        for (const std::string request :
             {"GET /nope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
              "GET /health HTTP/1.1\r\n\r\n"}) {
            INFO("HTTP answer that closes the connection: " << request);
            tls_client c(ex, ctx);
            auto ec = co_await c.connect(srv.url.port);
            REQUIRE(!ec);
            ec = co_await c.write(request);
            REQUIRE(!ec);
            auto how = co_await c.read_to_end();
            INFO("the TLS stream ended with: " << how.message());
            CHECK(c.buffer.rfind("HTTP/1.1 4", 0) == 0);
            CHECK(how == net::error::eof);
        }
        {
            INFO("shutdown (as on SIGTERM): 1001, then close_notify");
            tls_client c(ex, ctx);
            auto ec = co_await c.connect(srv.url.port);
            REQUIRE(!ec);
            ec = co_await c.write(
                raw_client::upgrade_request(chat::ws_target(srv.url, "tls-stop", "s")));
            REQUIRE(!ec);
            auto got = co_await c.read_until("\r\n\r\n");
            REQUIRE(got);
            c.buffer.erase(0, c.buffer.find("\r\n\r\n") + 4);
            srv.server.shut_down();
            auto f = co_await c.read_frame();
            CHECK(f.first == 8);
            CHECK(f.second.substr(0, 2) == std::string("\x03\xE9", 2));
            ec = co_await c.write(ws_frame(8, std::string("\x03\xE9", 2)));
            REQUIRE(!ec);
            auto how = co_await c.read_to_end();
            INFO("the TLS stream ended with: " << how.message());
            CHECK(how == net::error::eof);
        }
    });
}

TEST_CASE("Pipelining: requests sent in one write are answered in order, an upgrade behind "
          "them included, and the frames behind the upgrade are the session's",
          "[socket][edges][HTTP-1][ROOM-3][MSG-1]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto raw = co_await connect_raw(srv.url);
        const std::string host = "Host: 127.0.0.1\r\n";
        const std::string bytes =
            "GET /health HTTP/1.1\r\n" + host + "\r\n" + "GET /api/rooms HTTP/1.1\r\n" + host +
            "\r\n" + "GET /nowhere HTTP/1.1\r\n" + host + "\r\n" +
            raw_client::upgrade_request(chat::ws_target(srv.url, "pipe", "p")) +
            ws_frame(1, R"({"content":"behind"})");
        {
            auto ec = co_await raw->write(bytes, step);
            REQUIRE(!ec);
        }
        auto health = co_await raw->read_response(step);
        CHECK(health.status == 200);
        CHECK(health.body == R"({"data":{"status":"ok"}})");
        auto rooms = co_await raw->read_response(step);
        CHECK(rooms.status == 200);
        CHECK(rooms.body.find(R"("general")") != std::string::npos);
        auto missing = co_await raw->read_response(step);
        CHECK(missing.status == 404);
        auto upgraded = co_await raw->read_response(step);
        REQUIRE(upgraded.status == 101);
        auto f = co_await raw->read_frame(step);
        CHECK(content_of(f) == "behind");
    });
}

TEST_CASE("Rooms listing: a poll between membership changes answers the same body, and every "
          "join and leave shows in the next one",
          "[socket][edges][ROOM-3][ROOM-4]") {
    running_server srv;
    run([&]() -> awaitable<void> {
        auto first = co_await http(srv.url, "/api/rooms");
        auto again = co_await http(srv.url, "/api/rooms");
        CHECK(first.body == again.body);
        for (int i = 1; i <= 3; ++i) {
            auto c = co_await join(srv.url, "cached", "u" + std::to_string(i));
            CHECK(co_await listing_shows(srv.url, "cached", 1, 2000ms));
            co_await c->close(1000, step);
            CHECK(co_await listing_shows(srv.url, "cached", 0, 2000ms));
        }
    });
}

TEST_CASE("Bursts: a client's SEND_QUEUE + 44 messages sent in one write reach every member "
          "that keeps reading, the sender included; nobody is dropped as slow",
          "[socket][edges][SLOW-1][SLOW-3][ORD-1]") {
    // One server thread: the sender's read handler hands the room all its messages before
    // the room's strand runs (with more threads the same happens, only not every time).
    auto config = test_config();
    config.threads = 1;
    running_server srv(config);
    run([&]() -> awaitable<void> {
        auto listener = co_await join(srv.url, "burst", "listener");
        auto raw = co_await connect_raw(srv.url);
        {
            auto ec = co_await raw->write(
                raw_client::upgrade_request(chat::ws_target(srv.url, "burst", "sender")), step);
            REQUIRE(!ec);
        }
        auto r = co_await raw->read_response(step);
        REQUIRE(r.status == 101);
        REQUIRE(co_await listing_shows(srv.url, "burst", 2, step));
        // 300 small messages in one write: a few KB, one read of the server's. The sockets'
        // buffers hold them all, so neither client is slow (SPEC.md SLOW-3).
        constexpr int count = 300;
        std::string burst;
        for (int i = 0; i < count; ++i)
            burst += ws_frame(1, chat::encode_client_frame("m" + std::to_string(i)));
        {
            auto ec = co_await raw->write(burst, step);
            REQUIRE(!ec);
        }
        for (int i = 0; i < count; ++i) {
            auto got = co_await next_message(*listener);
            REQUIRE(got.content == "m" + std::to_string(i));
        }
        for (int i = 0; i < count; ++i) {
            auto f = co_await raw->read_frame(step);
            REQUIRE(content_of(f) == "m" + std::to_string(i));
        }
        CHECK(srv.clients("burst") == 2);
    });
}

TEST_CASE("Pipelining: a response is not held back for a request behind it whose body has "
          "not arrived (RFC 9112 section 9.3.2)",
          "[socket][edges][HTTP-1]") {
    auto config = test_config();
    config.handshake_timeout_ms = 2000;
    running_server srv(config);
    run([&]() -> awaitable<void> {
        auto raw = co_await connect_raw(srv.url);
        const std::string host = "Host: 127.0.0.1\r\n";
        {
            // The second request's head is complete; its 5-byte body never comes.
            auto ec = co_await raw->write("GET /health HTTP/1.1\r\n" + host + "\r\n" +
                                              "GET /health HTTP/1.1\r\n" + host +
                                              "Content-Length: 5\r\n\r\n",
                                          step);
            REQUIRE(!ec);
        }
        auto health = co_await raw->read_response(step);
        CHECK(health.status == 200);
        CHECK(health.body == R"({"data":{"status":"ok"}})");
    });
}
