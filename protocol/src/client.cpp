// The WebSocket and HTTP client: Beast over a deadline-carrying tcp_stream, with coroutines.
// This is the only Beast-heavy translation unit of the shared library.
#include "chat/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <openssl/x509v3.h>

#include <algorithm> // min
#include <cctype>    // isprint, tolower
#include <map>       // map
#include <mutex>     // mutex
#include <optional>  // optional

namespace chat {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
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

} // namespace

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
    auto ctx = tls_context(opts, out.error);
    if (!ctx) {
        out.ec = net::error::invalid_argument;
        record(sink, wire_event::kind::note, out.error);
        co_return out;
    }
    beast::ssl_stream<beast::tcp_stream> stream(ex, *ctx);
    co_return co_await exchange(stream, base, method, target, timeout, opts, sink);
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

struct ws_client::impl {
    using plain_ws = websocket::stream<beast::tcp_stream>;
    using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

    impl(net::any_io_executor e, base_url b, transcript_sink s)
        : ex(std::move(e)), base(std::move(b)), sink(std::move(s)) {}

    net::any_io_executor ex;
    base_url base;
    transcript_sink sink;
    std::shared_ptr<ssl::context> ctx; // outlives `tls`
    std::optional<plain_ws> plain;
    std::optional<tls_ws> tls;
    beast::flat_buffer buffer;
    std::size_t pongs = 0;
    std::string last_pong;

    // Calls f with whichever stream this connection uses.
    template <class F> decltype(auto) with_ws(F&& f) { return tls ? f(*tls) : f(*plain); }
    bool has_stream() const { return tls || plain; }

    template <class WS> void watch_control_frames(WS& ws) {
        ws.control_callback([this](websocket::frame_type kind, std::string_view data) {
            if (kind == websocket::frame_type::pong) {
                ++pongs;
                last_pong = std::string(data);
                record(sink, wire_event::kind::control, "pong received: " + printable(data, false));
            } else if (kind == websocket::frame_type::ping) {
                record(sink, wire_event::kind::control, "ping received (answered)");
            }
        });
    }

    template <class WS> ws_event event_from(WS& ws, const error_code& ec) {
        ws_event ev;
        ev.ec = ec;
        if (ec == websocket::error::closed) {
            ev.type = ws_event::kind::closed;
            const auto& reason = ws.reason();
            ev.close_code =
                reason.code == websocket::close_code::none ? 1005 : static_cast<int>(reason.code);
            ev.close_reason = std::string(reason.reason.data(), reason.reason.size());
            record(sink, wire_event::kind::control,
                   "close received: " + std::to_string(ev.close_code) +
                       (ev.close_reason.empty() ? "" : " " + printable(ev.close_reason, false)));
        } else if (ec == beast::error::timeout) {
            ev.type = ws_event::kind::timeout;
            record(sink, wire_event::kind::note, "deadline expired; connection dropped");
        } else {
            ev.type = ws_event::kind::error;
            record(sink, wire_event::kind::note, "connection error: " + ec.message());
        }
        return ev;
    }

    template <class WS>
    net::awaitable<http_result> upgrade(WS& ws, const std::string& target, milliseconds timeout,
                                        const ws_options& opts) {
        http_result out;
        beast::get_lowest_layer(ws).expires_after(timeout);
        error_code ec;
        out.error = co_await open_stream(ws.next_layer(), base, opts.request,
                                         opts.receive_buffer_bytes, ec);
        if (ec) {
            out.ec = ec;
            record(sink, wire_event::kind::note, out.error);
            co_return out;
        }
        ws.read_message_max(opts.max_message_bytes);
        ws.set_option(websocket::stream_base::decorator(
            [request = opts.request](websocket::request_type& req) {
                req.set(http::field::user_agent, "chat-compliance");
                apply_options(req, request);
            }));
        watch_control_frames(ws);
        record(sink, wire_event::kind::http_request, "GET " + target + " HTTP/1.1 (upgrade)");
        websocket::response_type res;
        auto [hec] = co_await ws.async_handshake(res, base.host_header(), target, use_tuple);
        if (hec && hec != websocket::error::upgrade_declined) {
            out.ec = hec;
            out.error = describe(hec, base, "WebSocket handshake failed with");
            record(sink, wire_event::kind::note, out.error);
            co_return out;
        }
        fill_result(out, res);
        record(sink, wire_event::kind::http_response, response_text(res));
        if (hec) {
            // Declined: the response is the result; the connection is of no further use.
            error_code ignored;
            beast::get_lowest_layer(ws).socket().close(ignored);
        }
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
    d.tls.reset();
    if (!d.base.tls()) {
        d.plain.emplace(d.ex);
        co_return co_await d.upgrade(*d.plain, target, timeout, opts);
    }
    http_result out;
    d.ctx = tls_context(opts.request, out.error);
    if (!d.ctx) {
        out.ec = net::error::invalid_argument;
        record(d.sink, wire_event::kind::note, out.error);
        co_return out;
    }
    d.tls.emplace(d.ex, *d.ctx);
    co_return co_await d.upgrade(*d.tls, target, timeout, opts);
}

namespace {
const error_code not_connected = net::error::not_connected;
}

net::awaitable<error_code> ws_client::send_text(std::string_view text, milliseconds timeout) {
    impl& d = *impl_;
    if (!d.has_stream())
        co_return not_connected;
    record(d.sink, wire_event::kind::frame_sent, "text " + printable(text, false));
    auto ec = co_await d.with_ws([&](auto& ws) -> net::awaitable<error_code> {
        beast::get_lowest_layer(ws).expires_after(timeout);
        ws.text(true);
        auto [e, n] = co_await ws.async_write(net::buffer(text.data(), text.size()), use_tuple);
        (void)n;
        co_return e;
    });
    if (ec)
        record(d.sink, wire_event::kind::note, "send failed: " + ec.message());
    co_return ec;
}

net::awaitable<error_code> ws_client::send_binary(std::string_view data, milliseconds timeout) {
    impl& d = *impl_;
    if (!d.has_stream())
        co_return not_connected;
    record(d.sink, wire_event::kind::frame_sent, "binary " + printable(data, true, 64));
    auto ec = co_await d.with_ws([&](auto& ws) -> net::awaitable<error_code> {
        beast::get_lowest_layer(ws).expires_after(timeout);
        ws.binary(true);
        auto [e, n] = co_await ws.async_write(net::buffer(data.data(), data.size()), use_tuple);
        (void)n;
        ws.text(true);
        co_return e;
    });
    if (ec)
        record(d.sink, wire_event::kind::note, "send failed: " + ec.message());
    co_return ec;
}

net::awaitable<error_code> ws_client::send_fragmented(const std::vector<std::string>& parts,
                                                      milliseconds timeout) {
    impl& d = *impl_;
    if (!d.has_stream())
        co_return not_connected;
    co_return co_await d.with_ws([&](auto& ws) -> net::awaitable<error_code> {
        beast::get_lowest_layer(ws).expires_after(timeout);
        ws.text(true);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const bool fin = i + 1 == parts.size();
            record(d.sink, wire_event::kind::frame_sent,
                   std::string(i == 0 ? "text" : "continuation") + (fin ? " (fin) " : " ") +
                       printable(parts[i], false));
            auto [e, n] = co_await ws.async_write_some(
                fin, net::buffer(parts[i].data(), parts[i].size()), use_tuple);
            (void)n;
            if (e) {
                record(d.sink, wire_event::kind::note, "send failed: " + e.message());
                co_return e;
            }
        }
        co_return error_code{};
    });
}

net::awaitable<error_code> ws_client::ping(std::string_view payload, milliseconds timeout) {
    impl& d = *impl_;
    if (!d.has_stream())
        co_return not_connected;
    record(d.sink, wire_event::kind::control, "ping sent: " + printable(payload, false));
    websocket::ping_data data;
    data.assign(payload.data(), std::min<std::size_t>(payload.size(), data.max_size()));
    co_return co_await d.with_ws([&](auto& ws) -> net::awaitable<error_code> {
        beast::get_lowest_layer(ws).expires_after(timeout);
        auto [e] = co_await ws.async_ping(data, use_tuple);
        co_return e;
    });
}

net::awaitable<ws_event> ws_client::read(milliseconds timeout) {
    impl& d = *impl_;
    if (!d.has_stream())
        co_return ws_event{ws_event::kind::error, {}, 0, {}, not_connected};
    co_return co_await d.with_ws([&](auto& ws) -> net::awaitable<ws_event> {
        beast::get_lowest_layer(ws).expires_after(timeout);
        d.buffer.clear();
        auto [ec, n] = co_await ws.async_read(d.buffer, use_tuple);
        (void)n;
        if (ec)
            co_return d.event_from(ws, ec);
        ws_event ev;
        ev.type = ws.got_text() ? ws_event::kind::text : ws_event::kind::binary;
        ev.data = beast::buffers_to_string(d.buffer.data());
        d.buffer.consume(d.buffer.size());
        record(d.sink, wire_event::kind::frame_received,
               std::string(to_string(ev.type)) + " " +
                   printable(ev.data, ev.type == ws_event::kind::binary));
        co_return ev;
    });
}

net::awaitable<ws_event> ws_client::close(int code, milliseconds timeout) {
    impl& d = *impl_;
    if (!d.has_stream())
        co_return ws_event{ws_event::kind::error, {}, 0, {}, not_connected};
    record(d.sink, wire_event::kind::control, "close sent: " + std::to_string(code));
    co_return co_await d.with_ws([&](auto& ws) -> net::awaitable<ws_event> {
        beast::get_lowest_layer(ws).expires_after(timeout);
        auto [ec] = co_await ws.async_close(
            websocket::close_reason(static_cast<websocket::close_code>(code)), use_tuple);
        co_return d.event_from(ws, ec ? ec : error_code(websocket::error::closed));
    });
}

void ws_client::abort() noexcept {
    if (!impl_->has_stream())
        return;
    impl_->with_ws([](auto& ws) {
        error_code ignored;
        beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(ws).socket().close(ignored);
    });
}

bool ws_client::is_open() const noexcept {
    return impl_->has_stream() && impl_->with_ws([](auto& ws) { return ws.is_open(); });
}

std::size_t ws_client::pongs_received() const noexcept {
    return impl_->pongs;
}

std::string ws_client::last_pong_payload() const {
    return impl_->last_pong;
}

} // namespace chat
