// Edges of HTTP, WebSocket and JSON that public bug reports found in other servers (issue #12),
// each over real loopback sockets against an in-process chat-server: bytes behind the request
// head, absolute-form targets, Host rules, request bytes reflected into JSON, refusal order.
#include "raw_client.hpp"
#include "routes.hpp"
#include "test_support.hpp"

#include "chat/codec.hpp"

#include <string> // string
#include <vector> // vector

using namespace test;

namespace {

awaitable<std::unique_ptr<raw_client>> connect_raw(const chat::base_url& url) {
    auto c = std::make_unique<raw_client>(co_await net::this_coro::executor);
    auto ok = co_await c->connect(url.port, step);
    REQUIRE(ok);
    co_return c;
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
          "that follow; an invalid one closes with 1002",
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
