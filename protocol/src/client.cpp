// The WebSocket and HTTP client: Beast over a deadline-carrying tcp_stream, with coroutines.
// This is the only Beast-heavy translation unit of the shared library.
#include "chat/client.hpp"

#include "chat/tls_support.hpp"
#include "chat/ws_frame.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#ifndef CHAT_NO_TLS
#include <boost/beast/ssl.hpp>
#include <openssl/x509v3.h>
#endif

#include <algorithm> // min
#include <cctype>    // isprint, tolower
#include <map>       // map
#include <mutex>     // mutex
#include <optional>  // optional

namespace chat {

namespace beast = boost::beast;
namespace http = beast::http;
#ifndef CHAT_NO_TLS
namespace ssl = net::ssl;
#endif
using tcp = net::ip::tcp;
using boost::system::error_code;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

const char* to_string(wire_event::kind k) noexcept {
    switch (k) {
    case wire_event::kind::http_request:
        return "http>";
    case wire_event::kind::http_response:
        return "http<";
    case wire_event::kind::frame_sent:
        return "->";
    case wire_event::kind::frame_received:
        return "<-";
    case wire_event::kind::control:
        return "ctl";
    case wire_event::kind::note:
        return "..";
    }
    return "?";
}

const char* to_string(ws_event::kind k) noexcept {
    switch (k) {
    case ws_event::kind::text:
        return "text";
    case ws_event::kind::binary:
        return "binary";
    case ws_event::kind::closed:
        return "closed";
    case ws_event::kind::timeout:
        return "timeout";
    case ws_event::kind::error:
        return "error";
    }
    return "?";
}

std::string http_result::header(std::string_view name) const {
    auto lower = [](std::string_view s) {
        std::string out(s);
        for (auto& c : out)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
    };
    const std::string wanted = lower(name);
    for (const auto& [k, v] : headers)
        if (lower(k) == wanted)
            return v;
    return {};
}

namespace {

// Printable form of a payload for a transcript: escapes control bytes, cuts long ones.
std::string printable(std::string_view data, bool binary, std::size_t limit = 400) {
    std::string out;
    const std::size_t n = std::min(data.size(), limit);
    static constexpr char hex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(data[i]);
        if (!binary && (c >= 0x20 || c == '\t') && c != 0x7f) {
            out.push_back(static_cast<char>(c));
        } else if (!binary && c == '\n') {
            out += "\\n";
        } else {
            out += "\\x";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xF]);
        }
    }
    if (data.size() > limit)
        out += "... (" + std::to_string(data.size()) + " bytes)";
    return out;
}

void record(const transcript_sink& sink, wire_event::kind k, std::string text) {
    if (sink)
        sink(wire_event{std::chrono::system_clock::now(), k, std::move(text)});
}

std::string endpoint_name(const base_url& base) {
    const bool v6 = base.host.find(':') != std::string::npos;
    return (v6 ? "[" + base.host + "]" : base.host) + ":" + base.port;
}

// A transport error in words: what failed, where, why, and what to try.
std::string describe(const error_code& ec, const base_url& base, std::string_view stage) {
    std::string hint;
    if (ec == net::error::connection_refused)
        hint = "; is the server running and listening on that port?";
    else if (ec == beast::error::timeout)
        hint = "; the server did not answer in time (for a slow target raise the deadline: "
               "chat-conform --timeout-scale, chat-load --connect-timeout)";
    else if (ec == net::error::host_not_found || ec == net::error::host_not_found_try_again)
        hint = "; check the host name";
    else if (ec == net::error::connection_reset || ec == http::error::end_of_stream ||
             ec == net::error::eof)
        hint = "; the server closed the connection";
    return std::string(stage) + " " + endpoint_name(base) + ": " + ec.message() + hint;
}

// Connects `stream` to `base`, trying every resolved address, within the stream's deadline.
net::awaitable<error_code> connect_stream(beast::tcp_stream& stream, const base_url& base,
                                          int receive_buffer_bytes) {
    std::vector<tcp::endpoint> endpoints;
    error_code ec;
    const auto port = static_cast<unsigned short>(std::stoul(base.port));
    auto literal = net::ip::make_address(base.host, ec);
    if (!ec) {
        endpoints.emplace_back(literal, port);
    } else {
        tcp::resolver resolver(stream.get_executor());
        auto [rec, results] = co_await resolver.async_resolve(base.host, base.port, use_tuple);
        if (rec)
            co_return rec;
        for (const auto& r : results)
            endpoints.push_back(r.endpoint());
    }
    ec = net::error::host_not_found;
    for (const auto& ep : endpoints) {
        if (receive_buffer_bytes > 0) {
            stream.socket().close(ec);
            stream.socket().open(ep.protocol(), ec);
            if (ec)
                continue;
            stream.socket().set_option(net::socket_base::receive_buffer_size(receive_buffer_bytes),
                                       ec);
        }
        auto [cec] = co_await stream.async_connect(ep, use_tuple);
        ec = cec;
        if (!ec)
            break;
        if (ec == beast::error::timeout)
            break;
    }
    if (!ec)
        stream.socket().set_option(tcp::no_delay(true), ec);
    co_return ec;
}

#ifndef CHAT_NO_TLS
// One TLS context per (CA file, insecure) pair, shared by every connection that uses it.
std::shared_ptr<ssl::context> tls_context(const request_options& opts, std::string& error) {
    static std::mutex mutex;
    static std::map<std::pair<std::string, bool>, std::shared_ptr<ssl::context>> cache;
    std::lock_guard lock(mutex);
    auto& slot = cache[{opts.ca_file, opts.insecure}];
    if (slot)
        return slot;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    error_code ec;
    if (!opts.ca_file.empty()) {
        ctx->load_verify_file(opts.ca_file, ec);
        if (ec) {
            error = "cannot read CA file '" + opts.ca_file + "': " + ec.message();
            cache.erase({opts.ca_file, opts.insecure});
            return nullptr;
        }
    } else {
        ctx->set_default_verify_paths(ec);
    }
    ctx->set_verify_mode(opts.insecure ? ssl::verify_none : ssl::verify_peer);
    slot = ctx;
    return slot;
}

// Sets SNI and the name or address the certificate must carry.
error_code prepare_tls(beast::ssl_stream<beast::tcp_stream>& stream, const base_url& base,
                       bool insecure) {
    SSL* native = stream.native_handle();
    error_code ec;
    const auto literal = net::ip::make_address(base.host, ec);
    if (ec) {
        if (!SSL_set_tlsext_host_name(native, base.host.c_str()))
            return {static_cast<int>(::ERR_get_error()), net::error::get_ssl_category()};
        if (!insecure)
            SSL_set1_host(native, base.host.c_str());
    } else if (!insecure) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(native), literal.to_string().c_str());
    }
    return {};
}

// Why a TLS handshake failed, in words, with what to try.
std::string describe_tls(const error_code& ec, beast::ssl_stream<beast::tcp_stream>& stream,
                         const base_url& base) {
    const long verify = SSL_get_verify_result(stream.native_handle());
    std::string reason = ec.message();
    std::string hint;
    if (verify != X509_V_OK) {
        reason = std::string("certificate verification failed: ") +
                 X509_verify_cert_error_string(verify);
        switch (verify) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            hint = "; the server's certificate has expired";
            break;
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            hint = "; the certificate is not issued for '" + base.host + "'";
            break;
        default:
            hint = "; pass --ca-file with the CA that signed it, or --insecure to skip "
                   "verification";
        }
    } else if (ec == beast::error::timeout) {
        hint = "; the server did not complete the TLS handshake in time";
    } else {
        hint = "; is the server speaking TLS on this port? (use http:// for plain text)";
    }
    return "TLS handshake with " + endpoint_name(base) + " failed: " + reason + hint;
}
#endif // CHAT_NO_TLS

template <class Fields> void apply_options(Fields& req, const request_options& opts) {
    if (!opts.origin.empty())
        req.set(http::field::origin, opts.origin);
    for (const auto& [name, value] : opts.headers)
        req.set(name, value);
}

template <class Message> std::string response_text(const Message& res) {
    std::string text =
        "HTTP/1.1 " + std::to_string(res.result_int()) + " " + std::string(res.reason());
    for (const auto& f : res) {
        if (f.name() == http::field::content_type || f.name() == http::field::allow ||
            f.name() == http::field::upgrade || f.name() == http::field::sec_websocket_accept)
            text += "\n" + std::string(f.name_string()) + ": " + std::string(f.value());
    }
    if (!res.body().empty())
        text += "\n\n" + printable(res.body(), false);
    return text;
}

template <class Message> void fill_result(http_result& out, const Message& res) {
    out.status = res.result_int();
    out.content_type = std::string(res[http::field::content_type]);
    out.body = res.body();
    for (const auto& f : res)
        out.headers.emplace_back(f.name_string(), f.value());
}

// Connects a plain or TLS stream (TCP, then the TLS handshake) within its deadline.
// Returns "" on success, else the error in words; `ec` carries the code.
net::awaitable<std::string> open_stream(beast::tcp_stream& stream, const base_url& base,
                                        const request_options&, int rcvbuf, error_code& ec) {
    ec = co_await connect_stream(stream, base, rcvbuf);
    co_return ec ? describe(ec, base, "cannot connect to") : std::string{};
}

#ifndef CHAT_NO_TLS
net::awaitable<std::string> open_stream(beast::ssl_stream<beast::tcp_stream>& stream,
                                        const base_url& base, const request_options& opts,
                                        int rcvbuf, error_code& ec) {
    ec = co_await connect_stream(beast::get_lowest_layer(stream), base, rcvbuf);
    if (ec)
        co_return describe(ec, base, "cannot connect to");
    ec = prepare_tls(stream, base, opts.insecure);
    if (ec)
        co_return "cannot set up TLS for " + endpoint_name(base) + ": " + ec.message();
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
    ec = hec;
    co_return ec ? describe_tls(ec, stream, base) : std::string{};
}
#endif

template <class Stream>
net::awaitable<http_result>
exchange(Stream& stream, const base_url& base, const std::string& method, const std::string& target,
         milliseconds timeout, const request_options& opts, const transcript_sink& sink) {
    http_result out;
    beast::get_lowest_layer(stream).expires_after(timeout);
    error_code ec;
    out.error = co_await open_stream(stream, base, opts, 0, ec);
    if (ec) {
        out.ec = ec;
        record(sink, wire_event::kind::note, out.error);
        co_return out;
    }
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    if (req.method() == http::verb::unknown)
        req.method_string(method);
    req.set(http::field::host, base.host_header());
    req.set(http::field::user_agent, "chat-compliance");
    req.keep_alive(false);
    apply_options(req, opts);
    record(sink, wire_event::kind::http_request, method + " " + target + " HTTP/1.1");
    auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
    (void)wn;
    if (wec) {
        out.ec = wec;
        out.error = describe(wec, base, "cannot send the request to");
        record(sink, wire_event::kind::note, out.error);
        co_return out;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
    (void)rn;
    if (rec) {
        out.ec = rec;
        out.error = describe(rec, base, "no valid HTTP response from");
        record(sink, wire_event::kind::note, out.error);
        co_return out;
    }
    const auto& res = parser.get();
    fill_result(out, res);
    record(sink, wire_event::kind::http_response, response_text(res));
    error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return out;
}

template <class Stream>
net::awaitable<raw_result> raw_on(Stream& stream, const base_url& base, const std::string& bytes,
                                  milliseconds timeout, const request_options& opts) {
    raw_result out;
    beast::get_lowest_layer(stream).expires_after(timeout);
    error_code ec;
    out.error = co_await open_stream(stream, base, opts, 0, ec);
    if (ec) {
        out.ec = ec;
        co_return out;
    }
    auto [wec, wn] = co_await net::async_write(stream, net::buffer(bytes), use_tuple);
    (void)wec;
    (void)wn;
    char chunk[4096];
    for (;;) {
        auto [rec, n] = co_await stream.async_read_some(net::buffer(chunk), use_tuple);
        out.received.append(chunk, n);
        if (rec) {
            out.timed_out = rec == beast::error::timeout;
            out.closed_by_peer = !out.timed_out;
            break;
        }
    }
    co_return out;
}

} // namespace

net::awaitable<raw_result> raw_exchange(net::any_io_executor ex, const base_url& base,
                                        std::string_view bytes_view, milliseconds timeout,
                                        const request_options& opts) {
    const std::string bytes(bytes_view);
    if (!base.tls()) {
        beast::tcp_stream stream(ex);
        co_return co_await raw_on(stream, base, bytes, timeout, opts);
    }
    raw_result out;
#ifndef CHAT_NO_TLS
    auto ctx = tls_context(opts, out.error);
    if (!ctx) {
        out.ec = net::error::invalid_argument;
        co_return out;
    }
    beast::ssl_stream<beast::tcp_stream> stream(ex, *ctx);
    co_return co_await raw_on(stream, base, bytes, timeout, opts);
#else
    out.ec = net::error::operation_not_supported;
    out.error = tls_unsupported_message();
    co_return out;
#endif
}

net::awaitable<http_result> http_request(net::any_io_executor ex, const base_url& base,
                                         std::string_view method_view, std::string_view target_view,
                                         milliseconds timeout, const request_options& opts,
                                         const transcript_sink& sink) {
    std::string method(method_view);
    std::string target(target_view);
    if (!base.tls()) {
        beast::tcp_stream stream(ex);
        co_return co_await exchange(stream, base, method, target, timeout, opts, sink);
    }
    http_result out;
#ifndef CHAT_NO_TLS
    auto ctx = tls_context(opts, out.error);
    if (!ctx) {
        out.ec = net::error::invalid_argument;
        record(sink, wire_event::kind::note, out.error);
        co_return out;
    }
    beast::ssl_stream<beast::tcp_stream> stream(ex, *ctx);
    co_return co_await exchange(stream, base, method, target, timeout, opts, sink);
#else
    out.ec = net::error::operation_not_supported;
    out.error = tls_unsupported_message();
    record(sink, wire_event::kind::note, out.error);
    co_return out;
#endif
}

net::awaitable<http_result> http_request(net::any_io_executor ex, const base_url& base,
                                         std::string_view method, std::string_view target,
                                         milliseconds timeout, const request_options& opts) {
    const transcript_sink sink;
    co_return co_await http_request(ex, base, method, target, timeout, opts, sink);
}

net::awaitable<http_result> http_request(net::any_io_executor ex, const base_url& base,
                                         std::string_view method, std::string_view target,
                                         milliseconds timeout) {
    const request_options opts;
    const transcript_sink sink;
    co_return co_await http_request(ex, base, method, target, timeout, opts, sink);
}

// The WebSocket side speaks RFC 6455 through the shared codec (chat/ws_frame.hpp) on a Beast
// TCP or TLS stream, so that what a check sends is exactly the frames it asked for and what it
// reports is exactly what arrived: every frame is in the transcript, a close frame is reported
// with its code whatever follows it on the wire (a reset, a TLS truncation), and a frame that
// breaks RFC 6455 is reported as the rule it breaks.
struct ws_client::impl {
#ifndef CHAT_NO_TLS
    using tls_stream = beast::ssl_stream<beast::tcp_stream>;
#endif

    impl(net::any_io_executor e, base_url b, transcript_sink s)
        : ex(std::move(e)), base(std::move(b)), sink(std::move(s)),
          write_done(ex, net::steady_timer::time_point::max()) {}

    net::any_io_executor ex;
    base_url base;
    transcript_sink sink;
    std::optional<beast::tcp_stream> plain;
#ifndef CHAT_NO_TLS
    std::shared_ptr<ssl::context> ctx; // outlives `tls`
    std::optional<tls_stream> tls;
#endif
    std::optional<ws::frame_parser> parser;
    std::string input;      // bytes read and not yet parsed
    std::size_t parsed = 0; // of `input`
    std::size_t pongs = 0;
    std::string last_pong;
    bool close_sent = false;
    std::optional<ws_event> closed; // the close the server sent (or how the connection ended)
    bool writing = false;
    net::steady_timer write_done; // wakes writers waiting for `writing` to clear
    // Frames of the message being read, for its transcript line.
    std::size_t message_frames = 0;

#ifndef CHAT_NO_TLS
    template <class F> decltype(auto) with_stream(F&& f) {
        return tls ? f(*tls) : f(*plain);
    }
    bool has_stream() const {
        return tls || plain;
    }
    beast::tcp_stream& lowest() {
        return tls ? beast::get_lowest_layer(*tls) : *plain;
    }
#else
    template <class F> decltype(auto) with_stream(F&& f) {
        return f(*plain);
    }
    bool has_stream() const {
        return plain.has_value();
    }
    beast::tcp_stream& lowest() {
        return *plain;
    }
#endif

    // Writes `bytes` (whole frames) once no other write is under way: a pong a read sends
    // never interleaves with a message another coroutine is writing.
    // Once a close arrived only the close handshake's own frames go out (`closing`).
    net::awaitable<error_code> write(std::string bytes, milliseconds timeout,
                                     bool closing = false) {
        // cancel() wakes every waiter and leaves the expiry (never) as it is
        while (writing) {
            error_code ignored;
            co_await write_done.async_wait(net::redirect_error(net::use_awaitable, ignored));
        }
        if (!has_stream() || ((closed || close_sent) && !closing))
            co_return net::error::not_connected; // RFC 6455 5.5.1: nothing after the close
        writing = true;
        lowest().expires_after(timeout);
        auto [ec, n] = co_await with_stream(
            [&](auto& s) { return net::async_write(s, net::buffer(bytes), use_tuple); });
        (void)n;
        writing = false;
        write_done.cancel();
        co_return ec;
    }

    // One masked frame, as a client sends it (RFC 6455 5.3: a fresh random key per frame).
    static void append(std::string& out, ws::opcode op, bool fin, std::string_view payload) {
        ws::append_frame(out, op, fin, payload, ws::random_mask_key());
    }

    static const char* name_of(ws::opcode op) {
        switch (op) {
        case ws::opcode::continuation:
            return "continuation";
        case ws::opcode::text:
            return "text";
        case ws::opcode::binary:
            return "binary";
        case ws::opcode::close:
            return "close";
        case ws::opcode::ping:
            return "ping";
        case ws::opcode::pong:
            return "pong";
        }
        return "reserved opcode";
    }

    // The transcript line of a frame header as it arrived, for frames a message line does not
    // describe by itself: fragments, reserved bits, masks.
    void observe(const ws::frame_header& h) {
        const bool plain_whole = h.fin && h.rsv == 0 && !h.masked &&
                                 (h.op == ws::opcode::text || h.op == ws::opcode::binary) &&
                                 message_frames == 0;
        if (h.op == ws::opcode::text || h.op == ws::opcode::binary ||
            h.op == ws::opcode::continuation)
            ++message_frames;
        if (plain_whole || ws::is_control(h.op))
            return;
        std::string line = std::string(name_of(h.op)) + " frame" + (h.fin ? " (fin)" : "") + ", " +
                           std::to_string(h.length) + " bytes";
        if (h.rsv != 0)
            line += ", RSV bits " + std::to_string(h.rsv);
        if (h.masked)
            line += ", masked";
        record(sink, wire_event::kind::frame_received, line);
    }

    // Ends the connection as RFC 6455 7.1.7 says a client fails it: close frame, then TCP.
    net::awaitable<void> fail_connection(std::uint16_t code, milliseconds timeout) {
        if (!close_sent) {
            close_sent = true;
            std::string frame;
            append(frame, ws::opcode::close, true, ws::close_payload(code));
            record(sink, wire_event::kind::control, "close sent: " + std::to_string(code));
            co_await write(std::move(frame), timeout, true);
        }
        drop();
    }

    void drop() {
        if (!has_stream())
            return;
        error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().socket().close(ignored);
    }

    ws_event ended(const error_code& ec) {
        if (closed)
            return *closed; // whatever followed the close frame, the close is what arrived
        ws_event ev;
        ev.ec = ec;
        if (ec == beast::error::timeout) {
            ev.type = ws_event::kind::timeout;
            record(sink, wire_event::kind::note, "deadline expired; connection dropped");
            drop();
        } else {
            ev.type = ws_event::kind::error;
            record(sink, wire_event::kind::note,
                   "the connection ended without a close frame: " + ec.message());
            drop();
        }
        return ev;
    }

    // Reads the next message, answering pings and recording pongs and the close on the way.
    net::awaitable<ws_event> next(milliseconds timeout, bool until_close) {
        if (closed)
            co_return *closed;
        if (!has_stream() || !parser)
            co_return ws_event{ws_event::kind::error, {}, 0, {}, net::error::not_connected, {}};
        // One deadline for the whole read, whatever pings are answered on the way
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        lowest().expires_at(deadline);
        for (;;) {
            // Parse what is buffered, up to its first event
            ws::frame_parser::event ev;
            while (parsed < input.size() && ev.what == ws::frame_parser::event::kind::none)
                parsed += parser->parse(reinterpret_cast<unsigned char*>(input.data()) + parsed,
                                        input.size() - parsed, ev);
            if (ev.what != ws::frame_parser::event::kind::none) {
                auto out = co_await on_event(ev, timeout, until_close);
                if (out)
                    co_return *out;
                lowest().expires_at(deadline);
                continue;
            }
            input.clear();
            parsed = 0;
            // Read more
            input.resize(64 * 1024);
            auto [ec, n] = co_await with_stream(
                [&](auto& s) { return s.async_read_some(net::buffer(input), use_tuple); });
            input.resize(n);
            if (ec && n == 0)
                co_return ended(ec);
        }
    }

    // Handles one parser event; a message (or the end) for the caller, nullopt to read on.
    net::awaitable<std::optional<ws_event>> on_event(const ws::frame_parser::event& ev,
                                                     milliseconds timeout, bool until_close) {
        using kind = ws::frame_parser::event::kind;
        switch (ev.what) {
        case kind::message: {
            ws_event out;
            out.type = ev.text ? ws_event::kind::text : ws_event::kind::binary;
            out.data = std::string(ev.payload);
            const auto frames = message_frames;
            message_frames = 0;
            if (until_close)
                co_return std::nullopt;
            record(sink, wire_event::kind::frame_received,
                   std::string(to_string(out.type)) +
                       (frames > 1 ? " (" + std::to_string(frames) + " frames)" : "") + " " +
                       printable(out.data, out.type == ws_event::kind::binary));
            co_return out;
        }
        case kind::ping: {
            record(sink, wire_event::kind::control,
                   "ping received: " + printable(ev.payload, false) + " (answered)");
            std::string pong;
            append(pong, ws::opcode::pong, true, ev.payload);
            co_await write(std::move(pong), timeout);
            co_return std::nullopt;
        }
        case kind::pong:
            ++pongs;
            last_pong = std::string(ev.payload);
            record(sink, wire_event::kind::control,
                   "pong received: " + printable(ev.payload, false));
            co_return std::nullopt;
        case kind::close: {
            ws_event out;
            out.type = ws_event::kind::closed;
            out.close_code = ev.code;
            out.close_reason = std::string(ev.payload);
            std::string line =
                "close received: " + std::to_string(ev.code) +
                (out.close_reason.empty() ? "" : " " + printable(out.close_reason, false));
            if (ev.problem != ws::violation::none)
                line += " (breaks RFC 6455: " + std::string(ws::describe(ev.problem)) + ")";
            record(sink, wire_event::kind::control, line);
            closed = out;
            parser->set_closing();
            // Answer it (RFC 6455 5.5.1), then the server closes TCP; a reset is fine now.
            if (!close_sent) {
                close_sent = true;
                std::string frame;
                append(frame, ws::opcode::close, true,
                       ev.code == ws::close_code::no_status || !ws::close_code_allowed(ev.code)
                           ? std::string()
                           : ws::close_payload(ev.code));
                if (auto wec = co_await write(std::move(frame), timeout, true))
                    record(sink, wire_event::kind::note,
                           "after the close frame the connection ended with: " + wec.message());
            }
            co_await finish_close(timeout);
            co_return out;
        }
        case kind::error: {
            ws_event out;
            out.type = ws_event::kind::error;
            out.ec = net::error::invalid_argument;
            out.protocol_violation = std::string(ws::describe(ev.problem));
            record(sink, wire_event::kind::note,
                   "the server broke RFC 6455: " + out.protocol_violation + " (failing with " +
                       std::to_string(ev.code) + ")");
            co_await fail_connection(ev.code, timeout);
            closed = out;
            co_return out;
        }
        case kind::none:
            break;
        }
        co_return std::nullopt;
    }

    // After both close frames: TLS close_notify (bounded), then TCP.
    net::awaitable<void> finish_close(milliseconds timeout) {
        while (writing) { // no TLS shutdown while a write is under way
            error_code ignored;
            co_await write_done.async_wait(net::redirect_error(net::use_awaitable, ignored));
        }
#ifndef CHAT_NO_TLS
        if (tls) {
            lowest().expires_after(std::min(timeout, milliseconds(1000)));
            auto [ec] = co_await tls->async_shutdown(use_tuple);
            (void)ec;
        }
#else
        (void)timeout;
#endif
        drop();
    }

    net::awaitable<http_result> upgrade(const std::string& target, milliseconds timeout,
                                        const ws_options& opts) {
        http_result out;
        lowest().expires_after(timeout);
        error_code ec;
        out.error = co_await with_stream([&](auto& s) {
            return open_stream(s, base, opts.request, opts.receive_buffer_bytes, ec);
        });
        if (ec) {
            out.ec = ec;
            record(sink, wire_event::kind::note, out.error);
            co_return out;
        }
        // RFC 6455 4.1: the opening handshake
        const auto key = ws::random_client_key();
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, base.host_header());
        req.set(http::field::upgrade, "websocket");
        req.set(http::field::connection, "Upgrade");
        req.set(http::field::sec_websocket_key, key);
        req.set(http::field::sec_websocket_version, "13");
        req.set(http::field::user_agent, "chat-compliance");
        apply_options(req, opts.request);
        record(sink, wire_event::kind::http_request, "GET " + target + " HTTP/1.1 (upgrade)");
        auto [wec, wn] =
            co_await with_stream([&](auto& s) { return http::async_write(s, req, use_tuple); });
        (void)wn;
        if (wec) {
            out.ec = wec;
            out.error = describe(wec, base, "cannot send the upgrade request to");
            record(sink, wire_event::kind::note, out.error);
            co_return out;
        }
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> res_parser;
        res_parser.body_limit(16 * 1024 * 1024);
        auto [rec, rn] = co_await with_stream(
            [&](auto& s) { return http::async_read(s, buffer, res_parser, use_tuple); });
        (void)rn;
        if (rec) {
            out.ec = rec;
            out.error = describe(rec, base, "no valid HTTP response to the upgrade from");
            record(sink, wire_event::kind::note, out.error);
            co_return out;
        }
        const auto& res = res_parser.get();
        fill_result(out, res);
        record(sink, wire_event::kind::http_response, response_text(res));
        if (out.status != 101) {
            drop(); // declined: the response is the result
            co_return out;
        }
        // RFC 6455 4.1: the client fails the connection unless the 101 is HTTP/1.1 and says
        // Upgrade: websocket, Connection: upgrade and the Sec-WebSocket-Accept of our key.
        std::string wrong;
        if (res.version() != 11)
            wrong = "is not HTTP/1.1";
        else if (!beast::iequals(res[http::field::upgrade], "websocket"))
            wrong =
                "has Upgrade \"" + std::string(res[http::field::upgrade]) + "\", not \"websocket\"";
        else if (!http::token_list{res[http::field::connection]}.exists("upgrade"))
            wrong = "has Connection \"" + std::string(res[http::field::connection]) +
                    "\" without the token \"upgrade\"";
        else if (res[http::field::sec_websocket_accept] != ws::accept_key(key))
            wrong = "has Sec-WebSocket-Accept \"" +
                    std::string(res[http::field::sec_websocket_accept]) + "\", not \"" +
                    ws::accept_key(key) + "\"";
        if (!wrong.empty()) {
            out.ec = net::error::invalid_argument;
            out.error = "the 101 answer " + wrong + " (RFC 6455 4.1, 4.2.2)";
            record(sink, wire_event::kind::note, out.error);
            drop();
            co_return out;
        }
        // What came behind the 101 in the same read is the start of the WebSocket stream.
        const auto rest = buffer.data();
        input.assign(static_cast<const char*>(rest.data()), rest.size());
        parsed = 0;
        parser.emplace(opts.max_message_bytes, ws::role::client);
        parser->set_observer([this](const ws::frame_header& h) { observe(h); });
        co_return out;
    }
};

ws_client::ws_client(net::any_io_executor ex, base_url base, transcript_sink sink)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(base), std::move(sink))) {}

ws_client::~ws_client() = default;

net::awaitable<http_result> ws_client::connect(std::string_view room, std::string_view user,
                                               milliseconds timeout, const ws_options& opts) {
    const std::string target = ws_target(impl_->base, room, user);
    co_return co_await connect_target(target, timeout, opts);
}

net::awaitable<http_result> ws_client::connect(std::string_view room, std::string_view user,
                                               milliseconds timeout) {
    const ws_options opts;
    const std::string target = ws_target(impl_->base, room, user);
    co_return co_await connect_target(target, timeout, opts);
}

net::awaitable<http_result> ws_client::connect_target(std::string_view target,
                                                      milliseconds timeout) {
    const ws_options opts;
    co_return co_await connect_target(target, timeout, opts);
}

net::awaitable<http_result> ws_client::connect_target(std::string_view target_view,
                                                      milliseconds timeout,
                                                      const ws_options& opts) {
    impl& d = *impl_;
    const std::string target(target_view);
    d.plain.reset();
#ifndef CHAT_NO_TLS
    d.tls.reset();
#endif
    d.parser.reset();
    d.closed.reset();
    d.close_sent = false;
    if (!d.base.tls()) {
        d.plain.emplace(d.ex);
        co_return co_await d.upgrade(target, timeout, opts);
    }
    http_result out;
#ifndef CHAT_NO_TLS
    d.ctx = tls_context(opts.request, out.error);
    if (!d.ctx) {
        out.ec = net::error::invalid_argument;
        record(d.sink, wire_event::kind::note, out.error);
        co_return out;
    }
    d.tls.emplace(d.ex, *d.ctx);
    co_return co_await d.upgrade(target, timeout, opts);
#else
    out.ec = net::error::operation_not_supported;
    out.error = tls_unsupported_message();
    record(d.sink, wire_event::kind::note, out.error);
    co_return out;
#endif
}

namespace {
const error_code not_connected = net::error::not_connected;
}

net::awaitable<error_code> ws_client::send_text(std::string_view text, milliseconds timeout) {
    const std::vector<std::string> one{std::string(text)};
    co_return co_await send_frames(one, ws::opcode::text, false, timeout);
}

net::awaitable<error_code> ws_client::send_binary(std::string_view data, milliseconds timeout) {
    const std::vector<std::string> one{std::string(data)};
    co_return co_await send_frames(one, ws::opcode::binary, false, timeout);
}

net::awaitable<error_code> ws_client::send_fragmented(const std::vector<std::string>& parts,
                                                      milliseconds timeout) {
    co_return co_await send_frames(parts, ws::opcode::text, true, timeout);
}

net::awaitable<error_code> ws_client::send_burst(const std::vector<std::string>& texts,
                                                 milliseconds timeout) {
    co_return co_await send_frames(texts, ws::opcode::text, false, timeout);
}

net::awaitable<error_code> ws_client::send_frames(const std::vector<std::string>& payloads,
                                                  ws::opcode op, bool fragments,
                                                  milliseconds timeout) {
    impl& d = *impl_;
    if (!d.has_stream() || d.closed)
        co_return not_connected;
    std::string bytes;
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        const bool fin = !fragments || i + 1 == payloads.size();
        const auto frame_op = fragments && i > 0 ? ws::opcode::continuation : op;
        impl::append(bytes, frame_op, fin, payloads[i]);
        if (payloads.size() <= 3 || i == 0 || i + 1 == payloads.size())
            record(d.sink, wire_event::kind::frame_sent,
                   std::string(impl::name_of(frame_op)) +
                       (fragments ? (fin ? " (fin)" : " (no fin)") : "") + " " +
                       printable(payloads[i], op == ws::opcode::binary,
                                 op == ws::opcode::binary ? 64 : 400));
        else if (i == 1)
            record(d.sink, wire_event::kind::note,
                   "... " + std::to_string(payloads.size() - 2) + " more frames ...");
    }
    if (payloads.size() > 1 && !fragments)
        record(d.sink, wire_event::kind::note,
               std::to_string(payloads.size()) + " frames (" + std::to_string(bytes.size()) +
                   " bytes) in one write");
    auto ec = co_await d.write(std::move(bytes), timeout);
    if (ec)
        record(d.sink, wire_event::kind::note, "send failed: " + ec.message());
    co_return ec;
}

net::awaitable<error_code> ws_client::ping(std::string_view payload, milliseconds timeout) {
    impl& d = *impl_;
    if (!d.has_stream() || d.closed)
        co_return not_connected;
    record(d.sink, wire_event::kind::control, "ping sent: " + printable(payload, false));
    std::string frame;
    impl::append(frame, ws::opcode::ping, true, payload.substr(0, 125));
    co_return co_await d.write(std::move(frame), timeout);
}

net::awaitable<ws_event> ws_client::read(milliseconds timeout) {
    co_return co_await impl_->next(timeout, false);
}

net::awaitable<ws_event> ws_client::close(int code, milliseconds timeout) {
    impl& d = *impl_;
    if (!d.has_stream())
        co_return ws_event{ws_event::kind::error, {}, 0, {}, not_connected, {}};
    if (!d.close_sent && !d.closed) {
        d.close_sent = true;
        record(d.sink, wire_event::kind::control, "close sent: " + std::to_string(code));
        std::string frame;
        impl::append(frame, ws::opcode::close, true,
                     ws::close_payload(static_cast<std::uint16_t>(code)));
        if (auto ec = co_await d.write(std::move(frame), timeout, true); ec && !d.closed)
            co_return d.ended(ec);
    }
    // Wait for the server's close, skipping the messages still on their way
    co_return co_await d.next(timeout, true);
}

void ws_client::abort() noexcept {
    impl_->drop();
}

bool ws_client::is_open() const noexcept {
    return impl_->has_stream() && !impl_->closed && impl_->lowest().socket().is_open();
}

std::size_t ws_client::pongs_received() const noexcept {
    return impl_->pongs;
}

std::string ws_client::last_pong_payload() const {
    return impl_->last_pong;
}

} // namespace chat
