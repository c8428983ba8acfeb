// LIMIT: oversized and malformed requests, and that they harm nobody else (SPEC.md section 10).
// These need bytes no HTTP library sends, so they write raw bytes (over TLS for https://).
#include "checks.hpp"

#include "../check_context.hpp"
#include "../message_shape.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cstdlib> // atoi
#include <memory>  // make_shared

namespace chat::conformance {

namespace {

using tcp = net::ip::tcp;

struct raw_answer {
    std::string error; // the connection could not be made or the deadline passed
    int status = 0;    // 0: no HTTP response
    std::string body;
    std::string content_type;
    bool closed = false; // the server closed the connection after answering
};

// Writes `bytes` on a new connection (TLS for https://) and reads until the server closes it or
// the deadline.
net::awaitable<raw_answer> raw_exchange(check_context& ctx, std::string bytes) {
    const auto& base = ctx.settings().target;
    ctx.transcribe(">>", excerpt(bytes, 200) + " (" + std::to_string(bytes.size()) + " bytes)");
    auto r = co_await chat::raw_exchange(ctx.executor(), base, bytes, ctx.io_timeout(),
                                         ctx.settings().request);
    if (r.ec)
        ctx.harness("cannot connect to " + base.host_header() + ": " + r.error);
    const auto& in = r.received;
    ctx.transcribe("<<", excerpt(in, 300));
    raw_answer a;
    a.closed = r.closed_by_peer;
    if (in.compare(0, 5, "HTTP/") == 0 && in.size() > 12)
        a.status = std::atoi(in.c_str() + 9);
    if (auto end = in.find("\r\n\r\n"); end != std::string::npos) {
        a.body = in.substr(end + 4);
        std::string head = in.substr(0, end);
        for (auto& ch : head)
            if (ch >= 'A' && ch <= 'Z')
                ch = static_cast<char>(ch - 'A' + 'a');
        if (auto at = head.find("\r\ncontent-type:"); at != std::string::npos) {
            auto value = in.substr(at + 15, in.find("\r\n", at + 2) - at - 15);
            a.content_type = value.substr(value.find_first_not_of(' '));
        }
    }
    if (r.timed_out)
        a.error =
            "no answer and no close within " + std::to_string(ctx.io_timeout().count()) + " ms";
    co_return a;
}

// Expects `status`, a JSON error body and a closed connection for `bytes`.
net::awaitable<void> expect_refusal(check_context& ctx, std::string what, std::string bytes,
                                    int status, std::string clause) {
    auto a = co_await raw_exchange(ctx, std::move(bytes));
    auto expected = what + " is answered " + std::to_string(status) +
                    " with a JSON {\"error\": string} body, then the connection is closed";
    if (a.status != status)
        ctx.fail(clause, expected,
                 a.status == 0
                     ? "there was no HTTP answer" + (a.error.empty() ? "" : ": " + a.error)
                     : "it answered " + std::to_string(a.status) + " " + excerpt(a.body));
    std::string why;
    if (!inspect_error_body(a.body, why) || !is_json_content_type(a.content_type))
        ctx.fail(clause, expected,
                 "the body is " + (why.empty() ? "served as \"" + a.content_type + "\"" : why));
    if (!a.closed)
        ctx.fail(clause, expected, "the connection stayed open: " + a.error);
}

// LIMIT-5: after each refusal, a client of a room still receives and GET /health answers.
net::awaitable<void> expect_unharmed(check_context& ctx, const peer& a, const peer& b,
                                     std::string after_what) {
    const std::string marker = "still served after " + after_what;
    co_await ctx.send(a, marker, "LIMIT-5");
    auto ev = co_await ctx.next_event(b);
    if (ev.type == ws_event::kind::timeout) {
        // Lost on its way to B, or harm from the request? A message lost to B was broadcast
        // (A has its own copy: earlier markers wait unread in A's inbox first) and B still
        // receives A's next one; anything else is harm.
        bool broadcast = false;
        for (int k = 0; k < 32 && !broadcast; ++k) {
            const auto own = co_await ctx.next_event(a);
            if (own.type != ws_event::kind::text)
                break;
            const auto o = ctx.try_observe(own.data);
            broadcast = o.message && o.message->content == marker;
        }
        if (broadcast) {
            const std::string again = marker + ", again";
            co_await ctx.send(a, again, "LIMIT-5");
            const auto second = co_await ctx.next_event(b);
            const auto next =
                second.type == ws_event::kind::text ? ctx.try_observe(second.data) : observation{};
            if (next.message && next.message->content == again)
                ctx.fail("ORD-3", "B receives every message A sends",
                         "A's \"" + marker + "\" came back to A but not to B (" +
                             describe_event(ev, ctx.io_timeout()) +
                             "), though A's next message did");
        }
        ctx.fail("LIMIT-5", "B receives A's message after " + after_what,
                 describe_event(ev, ctx.io_timeout()));
    }
    if (ev.type == ws_event::kind::binary)
        ctx.fail("MSG-2",
                 "B to receive A's message after " + after_what + " as a JSON text message",
                 "B received " + describe_event(ev, ctx.io_timeout()));
    if (ev.type != ws_event::kind::text)
        ctx.fail("LIMIT-5", "B receives A's message after " + after_what,
                 describe_event(ev, ctx.io_timeout()));
    auto m = ctx.observe(ev.data, "B to receive A's message after " + after_what);
    // An earlier marker again is a doubled delivery, ORD-3's matter, not harm from the request
    if (m.content != marker && m.content.rfind("still served after ", 0) == 0)
        ctx.fail("ORD-3", "B receives each of A's messages once",
                 "it received \"" + excerpt(m.content, 80) + "\" a second time");
    if (m.content != marker)
        ctx.fail("LIMIT-5", "B receives A's next message after " + after_what,
                 "it received \"" + excerpt(m.content, 80) + "\"");
    auto h = co_await ctx.get(ctx.path("/health"), "LIMIT-5");
    if (h.status != 200)
        ctx.fail("LIMIT-5", "GET /health answers 200 after " + after_what,
                 "it answered " + std::to_string(h.status));
}

// --header and --origin as every other request carries them (an auth gateway in front of the
// server would refuse the request before the server could judge it).
std::string extra_headers(check_context& ctx) {
    const auto& opts = ctx.settings().request;
    std::string out;
    if (!opts.origin.empty())
        out += "Origin: " + opts.origin + "\r\n";
    for (const auto& [name, value] : opts.headers)
        out += name + ": " + value + "\r\n";
    return out;
}

std::string request_head(check_context& ctx, std::string target) {
    return "GET " + ctx.path(target) + " HTTP/1.1\r\nHost: " + ctx.settings().target.host_header() +
           "\r\n" + extra_headers(ctx);
}

// LIMIT-1: header sections over MAX_HEADER_BYTES.
net::awaitable<void> oversized_headers(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto b = co_await ctx.join(room, ctx.user("bob"), "B");
    co_await expect_refusal(ctx, "a request with one 16 KiB header field",
                            request_head(ctx, "/health") +
                                "X-Filler: " + std::string(16 * 1024, 'a') + "\r\n\r\n",
                            431, "LIMIT-1");
    co_await expect_unharmed(ctx, a, b, "a 16 KiB header");
    std::string many = request_head(ctx, "/health");
    for (int i = 0; i < 400; ++i)
        many += "X-Header-" + std::to_string(i) + ": " + std::string(30, 'v') + "\r\n";
    co_await expect_refusal(ctx, "a request with 400 header fields (16 KiB)", many + "\r\n", 431,
                            "LIMIT-1");
    co_await expect_unharmed(ctx, a, b, "400 header fields");
}

// LIMIT-2 and LIMIT-5: requests that are not HTTP/1.1.
net::awaitable<void> malformed_requests(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto b = co_await ctx.join(room, ctx.user("bob"), "B");
    const std::string host =
        "Host: " + ctx.settings().target.host_header() + "\r\n" + extra_headers(ctx);
    const std::vector<std::pair<std::string, std::string>> cases{
        {"a request line that is not HTTP", "HELLO THERE\r\n\r\n"},
        {"a header line without a colon", request_head(ctx, "/health") + "NoColonHere\r\n\r\n"},
        {"a space inside a header name", request_head(ctx, "/health") + "Bad Name: x\r\n\r\n"},
        {"a bad HTTP version", "GET " + ctx.path("/health") + " HTTP/9.Z\r\n" + host + "\r\n"},
    };
    for (const auto& [what, bytes] : cases) {
        co_await expect_refusal(ctx, what, bytes, 400, "LIMIT-2");
        co_await expect_unharmed(ctx, a, b, what);
    }
}

// LIMIT-2 with RFC 9112 section 3.2: an HTTP/1.1 request needs exactly one Host field; one
// without Host, or with two, is not valid HTTP/1.1 (400, connection closed). An upgrade request
// without Host must not be upgraded either.
net::awaitable<void> host_required(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    auto b = co_await ctx.join(room, ctx.user("bob"), "B");
    const std::string host = "Host: " + ctx.settings().target.host_header() + "\r\n";
    const std::string health = "GET " + ctx.path("/health") + " HTTP/1.1\r\n";
    const std::string upgrade =
        "GET " + ws_target(ctx.settings().target, room, ctx.user("hostless")) +
        " HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    const std::vector<std::pair<std::string, std::string>> cases{
        {"an HTTP/1.1 GET /health without a Host header", health + extra_headers(ctx) + "\r\n"},
        {"an HTTP/1.1 GET /health with two Host headers",
         health + host + host + extra_headers(ctx) + "\r\n"},
        {"an HTTP/1.1 WebSocket upgrade without a Host header",
         upgrade + extra_headers(ctx) + "\r\n"},
    };
    for (const auto& [what, bytes] : cases) {
        co_await expect_refusal(ctx, what, bytes, 400, "LIMIT-2");
        co_await expect_unharmed(ctx, a, b, what);
    }
}

} // namespace

std::vector<check> limit_checks() {
    return {
        {"limit.oversized-headers",
         {"LIMIT-1", "LIMIT-5"},
         "a header section over MAX_HEADER_BYTES is answered 431 JSON and harms nobody else",
         oversized_headers},
        {"limit.malformed-http",
         {"LIMIT-2", "LIMIT-5"},
         "a request that is not HTTP/1.1 is answered 400 JSON and harms nobody else",
         malformed_requests},
        {"limit.host-required",
         {"LIMIT-2", "LIMIT-5"},
         "an HTTP/1.1 request without a Host header, or with two, is answered 400 JSON, is not "
         "upgraded, and harms nobody else",
         host_required},
    };
}

} // namespace chat::conformance
