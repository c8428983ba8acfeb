// HTTP: routing, the REST endpoints' bodies, error responses, and the hand-off to WebSocket;
// over plain TCP or TLS, and the per-connection TLS detection and handshake.
#include "http_session.hpp"

#include "fault_hooks.hpp"
#include "routes.hpp"
#include "server_state.hpp"
#include "websocket_session.hpp"

#include "chat/codec.hpp"
#include "chat/ws_frame.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#ifndef CHAT_NO_TLS
#include <boost/asio/ssl/stream.hpp>
#endif
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#ifndef CHAT_NO_TLS
#include <boost/beast/core/detect_ssl.hpp>
#endif
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>       // array
#include <cctype>      // tolower
#include <chrono>      // milliseconds
#include <optional>    // optional
#include <string>      // string
#include <type_traits> // is_same_v
#include <utility>     // move, pair
#include <vector>      // vector

namespace chat_server {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
#ifndef CHAT_NO_TLS
using tls_stream = net::ssl::stream<connection_socket>;
#else
struct tls_stream; // a build without TLS never makes one; do_close only compares with it
#endif

namespace {

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// Serves HTTP on a connection_socket or a tls_stream over one.
template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
    using std::enable_shared_from_this<http_session<Stream>>::shared_from_this;
    using std::enable_shared_from_this<http_session<Stream>>::weak_from_this;

public:
    http_session(Stream&& stream, beast::flat_buffer&& buffer, std::shared_ptr<server_state> state)
        : stream_(std::move(stream)), buffer_(std::move(buffer)), timer_(stream_.get_executor()),
          state_(std::move(state)) {}

    void run() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
    }

private:
    // On expiry the socket is closed, so the pending operation fails.
    void expires_after(std::chrono::milliseconds d) {
        timer_.expires_after(d);
        timer_.async_wait([w = weak_from_this()](beast::error_code ec) {
            if (ec)
                return;
            if (auto self = w.lock()) {
                beast::error_code ignored;
                beast::get_lowest_layer(self->stream_).close(ignored);
            }
        });
    }

    void do_read() {
        // A fresh parser per request keeps the limits per request.
        parser_.emplace();
        parser_->header_limit(8 * 1024);
        parser_->body_limit(64 * 1024);
        // The whole request must arrive in time (SPEC.md LIMIT-3: slowloris); on expiry the
        // stream closes the socket and the read fails.
        expires_after(std::chrono::milliseconds(state_->config.handshake_timeout_ms));
        http::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream)
            return do_close();
        if (ec) {
            if (ec != net::error::operation_aborted && state_->log.enabled(log_level::debug))
                state_->log.write(log_level::debug, "http connection ended: " + ec.message());
            // A request we cannot read is answered, then the connection closed (SPEC.md
            // LIMIT-1, LIMIT-2); a timeout or a transport failure leaves nothing to answer.
            if (ec.category() == beast::error_code(http::error::bad_method).category())
                return refuse(ec);
            return;
        }
        handle(parser_->release());
    }

    void refuse(beast::error_code ec) {
        target_.clear();
        version_ = 11;
        keep_alive_ = false;
        head_ = false;
        if (ec == http::error::header_limit)
            return send_error(http::status::request_header_fields_too_large,
                              "request header section larger than 8192 bytes");
        if (ec == http::error::body_limit)
            return send_error(http::status::payload_too_large,
                              "request body larger than 65536 bytes");
        send_error(http::status::bad_request, "malformed HTTP request: " + ec.message());
    }

    void handle(request&& req) {
        version_ = req.version();
        keep_alive_ = req.keep_alive();
        head_ = req.method() == http::verb::head;
        if (state_->faults) [[unlikely]]
            target_ = req.target();
        const auto& config = state_->config;
        // RFC 9112 section 3.2: an HTTP/1.1 request has a Host, and no request has two or one
        // with an invalid value; anything else is an invalid request (400, connection closed),
        // upgrades included.
        if (const auto hosts = req.count(http::field::host);
            (hosts == 0 && version_ >= 11) || hosts > 1 ||
            !valid_host_value(req[http::field::host])) {
            keep_alive_ = false;
            return send_error(http::status::bad_request,
                              hosts == 0  ? "an HTTP/1.1 request needs a Host header"
                              : hosts > 1 ? "more than one Host header"
                                          : "invalid Host header value: " +
                                                std::string(req[http::field::host]));
        }
        if (auto missing = missing_header(req); !missing.empty())
            return send_error(http::status::unauthorized,
                              "this server requires the header '" + missing +
                                  "' with its configured value on every request");
        // RFC 9112 section 3.2.2: an absolute-form target is served as its origin form; the
        // authority in it stands for Host (which this server does not route on).
        std::optional<absolute_target> absolute = split_absolute_form(req.target());
        std::string_view target =
            absolute ? std::string_view(absolute->origin_form) : std::string_view(req.target());
        if (!config.base_path.empty()) {
            auto rest = strip_base_path(target, config.base_path);
            if (!rest)
                return send_error(http::status::not_found, "not found: " + std::string(target) +
                                                               " (this server serves under " +
                                                               config.base_path + "/)");
            target = *rest;
        }
        route r = classify(target, config.max_name_bytes);
        if (state_->faults) [[unlikely]]
            state_->faults->routed(target, r);

        if (r.what == route::endpoint::unknown)
            return send_error(http::status::not_found, "not found: " + std::string(req.target()));
        if (req.method() != http::verb::get)
            return send_error(http::status::method_not_allowed,
                              "method " + std::string(req.method_string()) +
                                  " not allowed; use GET");
        if (r.malformed)
            return send_error(http::status::bad_request,
                              "malformed percent-escape in request target");

        switch (r.what) {
        case route::endpoint::health:
            return send_json(http::status::ok, R"({"data":{"status":"ok"}})");
        case route::endpoint::rooms:
            return send_json(http::status::ok, *rooms_body());
        case route::endpoint::history:
            return send_history(std::move(r.room));
        case route::endpoint::ws:
            if (!r.query_error.empty())
                return send_error(http::status::bad_request, r.query_error);
            if (!beast::websocket::is_upgrade(req))
                return send_error(http::status::bad_request, "websocket upgrade required");
            // RFC 6455 4.2.1: version 13 only (426 names it), and a well-formed key.
            if (req[http::field::sec_websocket_version] != "13")
                return send_error(http::status::upgrade_required,
                                  "unsupported Sec-WebSocket-Version; use 13");
            if (!chat::ws::valid_client_key(req[http::field::sec_websocket_key]))
                return send_error(http::status::bad_request,
                                  "missing or malformed Sec-WebSocket-Key");
            if (!origin_allowed(req))
                return send_error(http::status::forbidden,
                                  "origin " + std::string(req[http::field::origin]) +
                                      " is not allowed to open WebSockets here");
            return join(std::move(req), std::move(r));
        case route::endpoint::unknown:
            break;
        }
    }

    // --require-header: the first required header the request lacks or has another value of.
    std::string missing_header(const request& req) const {
        for (const auto& [name, value] : state_->config.required_headers) {
            auto it = req.find(name);
            if (it == req.end() || it->value() != value)
                return name;
        }
        return {};
    }

    // SPEC.md SEC-1: with an allow-list, a browser's upgrade from another site is refused.
    bool origin_allowed(const request& req) const {
        const auto& allowed = state_->config.allowed_origins;
        auto it = req.find(http::field::origin);
        if (allowed.empty() || it == req.end())
            return true;
        for (const auto& o : allowed)
            if (beast::iequals(o, it->value()))
                return true;
        return false;
    }

    void join(request&& req, route&& r) {
        // Responses to requests pipelined before the upgrade leave first.
        if (!out_.empty()) {
            pending_join_.emplace(std::move(req), std::move(r));
            return write_responses();
        }
        auto room = state_->rooms.get_or_create(r.join_room);
        if (!room) // SPEC.md LIMIT-4
            return send_error(http::status::service_unavailable,
                              "room limit reached (" + std::to_string(state_->config.max_rooms) +
                                  " rooms); join an existing room");
        if (state_->rooms.has_backplane()) [[unlikely]] {
            // A deployment: the join is admitted once this node has applied every message
            // sequenced before it, so its replay holds them and later ones come live.
            auto admit = [self = shared_from_this(), req = std::move(req), r = std::move(r),
                          room = std::move(room)]() mutable {
                self->admit(std::move(req), std::move(r), std::move(room));
            };
            return state_->rooms.sync(
                [self = shared_from_this(), admit = std::move(admit)]() mutable {
                    net::post(self->stream_.get_executor(), std::move(admit));
                });
        }
        admit(std::move(req), std::move(r), std::move(room));
    }

    void admit(request&& req, route&& r, std::shared_ptr<room> room) {
        // The connection now belongs to the WebSocket session, and so do the bytes read past
        // the request head: the client's first frames.
        timer_.cancel();
        std::string early = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        if constexpr (std::is_same_v<Stream, connection_socket>)
            if (state_->faults && state_->faults->run_websocket_session(
                                      stream_, req, early, room, r.join_user, state_)) [[unlikely]]
                return;
        run_websocket_session(std::move(stream_), std::move(req), std::move(early), std::move(room),
                              std::move(r.join_user), state_);
    }

    // The listing's JSON, kept between membership changes (see server_state::listing_cache).
    std::shared_ptr<const std::string> rooms_body() const {
        auto& cache = state_->listing;
        const auto generation = state_->rooms.listing_generation();
        {
            std::lock_guard lock(cache.mutex);
            if (cache.body && cache.generation == generation)
                return cache.body;
        }
        // Built from counts at least as new as `generation`; kept only if no newer copy is.
        auto body = std::make_shared<const std::string>(build_rooms_body());
        std::lock_guard lock(cache.mutex);
        if (!cache.body || generation - cache.generation < (std::uint64_t{1} << 63)) {
            cache.generation = generation;
            cache.body = body;
        }
        return body;
    }

    std::string build_rooms_body() const {
        std::string body = R"({"data":{"rooms":[)";
        bool first = true;
        for (const auto& e : state_->rooms.list()) {
            if (!first)
                body += ',';
            first = false;
            body += R"({"name":)";
            chat::append_json_string(body, e.name);
            body += R"(,"clients":)";
            body += std::to_string(e.clients);
            body += '}';
        }
        body += "]}}";
        return body;
    }

    void send_history(std::string name) {
        // A room unknown here may be one another node of the deployment has just created.
        std::string key = name;
        state_->rooms.find_synced(
            std::move(key),
            [self = shared_from_this(), name = std::move(name)](std::shared_ptr<room> r) mutable {
                if (!r)
                    return net::post(self->stream_.get_executor(), [self] {
                        self->send_error(http::status::not_found, "room not found");
                    });
                self->send_history(std::move(r), std::move(name));
            });
    }

    void send_history(std::shared_ptr<room> r, std::string name) {
        // The room's strand takes the snapshot; the body is built back on this session's.
        r->read_history([self = shared_from_this(),
                         name = std::move(name)](std::vector<message_ptr> messages) mutable {
            net::post(self->stream_.get_executor(), [self, name = std::move(name),
                                                     messages = std::move(messages)]() mutable {
                self->send_json(http::status::ok, self->history_body(name, std::move(messages)));
            });
        });
    }

    std::string history_body(const std::string& name, std::vector<message_ptr> messages) const {
        std::size_t size = 64 + name.size();
        for (const auto& m : messages)
            size += m->size() + 1;
        std::string body;
        body.reserve(size);
        body += R"({"data":{"room":)";
        chat::append_json_string(body, name);
        body += R"(,"messages":[)";
        for (std::size_t i = 0; i < messages.size(); ++i) {
            if (i != 0)
                body += ',';
            body += *messages[i];
        }
        body += "]}}";
        return body;
    }

    void send_error(http::status status, std::string_view message) {
        send(status, chat::encode_error(message), "application/json");
    }

    void send_json(http::status status, std::string_view body) {
        send(status, body, "application/json");
    }

    // Appends the response to out_ (RFC 9112 section 6: status line, fields, body), then
    // answers what else the client has already sent or writes. A 200 is written here, field
    // for field as Beast's serializer writes it; anything else, or a response a fault hook may
    // change, goes through Beast's response and serializer.
    void send(http::status status, std::string_view body, const char* content_type) {
        if (status == http::status::ok && !state_->faults && (version_ == 10 || version_ == 11)) {
            out_ += version_ == 10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n";
            out_ += "Server: chat-server\r\nContent-Type: ";
            out_ += content_type;
            out_ += "\r\n";
            // Beast's keep_alive(): "close" for an HTTP/1.1 connection ending, "keep-alive"
            // for an HTTP/1.0 one staying.
            if (version_ >= 11 && !keep_alive_)
                out_ += "Connection: close\r\n";
            else if (version_ < 11 && keep_alive_)
                out_ += "Connection: keep-alive\r\n";
            out_ += "Content-Length: ";
            out_ += std::to_string(body.size());
            out_ += "\r\n\r\n";
            if (!head_) // HEAD: the headers say the length, no body follows
                out_ += body;
            return responded();
        }
        response res(status, version_);
        res.set(http::field::server, "chat-server");
        res.set(http::field::content_type, content_type);
        if (status == http::status::method_not_allowed)
            res.set(http::field::allow, "GET");
        if (status == http::status::upgrade_required) {
            // RFC 9110 section 15.5.22: a 426 names the protocol to upgrade to in Upgrade, and
            // section 7.8: Upgrade is a connection option. RFC 6455 4.4: the version to use.
            res.set(http::field::upgrade, "websocket");
            res.set(http::field::connection, "Upgrade");
            res.set(http::field::sec_websocket_version, "13");
        }
        res.keep_alive(keep_alive_);
        res.body() = std::string(body);
        if (state_->faults) [[unlikely]]
            state_->faults->respond(target_, res);
        res.prepare_payload();
        if (head_)
            res.body().clear(); // HEAD: the headers say the length, no body follows
        http::serializer<false, http::string_body> sr(res);
        beast::error_code ec;
        do {
            sr.next(ec, [&](beast::error_code&, const auto& buffers) {
                std::size_t n = 0;
                for (const auto b : beast::buffers_range_ref(buffers)) {
                    out_.append(static_cast<const char*>(b.data()), b.size());
                    n += b.size();
                }
                sr.consume(n);
            });
        } while (!ec && !sr.is_done());
        responded();
    }

    // A response is in out_. Requests the client pipelined behind this one (a whole request
    // head is already buffered) are answered first, so their responses leave in one write
    // (RFC 9112 section 9.3.2 keeps them in order); otherwise out_ is written now.
    void responded() {
        if (keep_alive_ && out_.size() < max_pending_responses && buffered_request_head())
            return do_read();
        write_responses();
    }

    // A whole request is buffered: its head, announcing no body (RFC 9112 section 6.3: no
    // Content-Length or Transfer-Encoding), so answering it needs no byte still to come.
    bool buffered_request_head() const {
        const auto data = buffer_.data();
        const std::string_view text(static_cast<const char*>(data.data()), data.size());
        const auto end = text.find("\r\n\r\n");
        if (end == std::string_view::npos)
            return false;
        std::string head(text.substr(0, end + 2));
        for (auto& c : head)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return head.find("\ncontent-length:") == std::string::npos &&
               head.find("\ntransfer-encoding:") == std::string::npos;
    }

    // Writes out_, then joins the upgrade waiting behind it, or reads the next request, or
    // closes.
    void write_responses() {
        net::async_write(
            stream_, net::buffer(out_),
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(beast::error_code ec) {
        if (ec)
            return;
        out_.clear();
        if (out_.capacity() > max_pending_responses)
            std::string().swap(out_);
        if (pending_join_) {
            auto [req, r] = std::move(*pending_join_);
            pending_join_.reset();
            return join(std::move(req), std::move(r));
        }
        if (!keep_alive_)
            return do_close();
        do_read();
    }

    void do_close() {
        if constexpr (std::is_same_v<Stream, tls_stream>) {
            // TLS ends with its closure alert (close_notify, RFC 8446 section 6.1) so the peer
            // reads a clean end, not a truncation; the exchange of alerts has a second, then
            // the socket is closed.
            expires_after(std::chrono::seconds(1));
            stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
                self->timer_.cancel();
                beast::error_code ignored;
                auto& socket = beast::get_lowest_layer(self->stream_);
                socket.shutdown(tcp::socket::shutdown_send, ignored);
                socket.close(ignored);
            });
            return;
        }
        beast::error_code ec;
        beast::get_lowest_layer(stream_).shutdown(tcp::socket::shutdown_send, ec);
        // Read what the peer still sends (the rest of a refused request) until it closes, for
        // at most a second: closing with unread data would reset the connection and could
        // destroy the response before the peer reads it.
        expires_after(std::chrono::seconds(1));
        drain();
    }

    void drain() {
        stream_.async_read_some(net::buffer(scratch_),
                                [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                    if (!ec)
                                        self->drain();
                                });
    }

    Stream stream_;
    beast::flat_buffer buffer_;
    net::steady_timer timer_;        // the deadline of the request being read, or of the drain
    std::array<char, 1024> scratch_; // what drain() discards
    std::shared_ptr<server_state> state_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::string out_; // responses not yet written (one, or several pipelined ones)
    std::optional<std::pair<request, route>> pending_join_; // an upgrade behind responses
    static constexpr std::size_t max_pending_responses = 64 * 1024;
    std::string target_; // of the request being answered; kept only for fault hooks
    unsigned version_ = 11;
    bool keep_alive_ = false;
    bool head_ = false;
};

template class http_session<connection_socket>;
#ifndef CHAT_NO_TLS
template class http_session<tls_stream>;

// Peeks at the first bytes of a connection: a TLS ClientHello gets the handshake (within
// --handshake-timeout-ms) and then HTTP over TLS; anything else is plain HTTP.
class tls_detector : public std::enable_shared_from_this<tls_detector> {
public:
    tls_detector(connection_socket&& socket, std::shared_ptr<server_state> state)
        : socket_(std::move(socket)), timer_(socket_.get_executor()), state_(std::move(state)) {}

    void run() {
        timer_.expires_after(std::chrono::milliseconds(state_->config.handshake_timeout_ms));
        timer_.async_wait([w = weak_from_this()](beast::error_code ec) {
            if (ec)
                return;
            if (auto self = w.lock()) {
                beast::error_code ignored;
                if (self->tls_)
                    self->tls_->next_layer().close(ignored);
                else
                    self->socket_.close(ignored);
            }
        });
        beast::async_detect_ssl(socket_, buffer_,
                                [self = shared_from_this()](beast::error_code ec, bool tls) {
                                    self->on_detect(ec, tls);
                                });
    }

private:
    void on_detect(beast::error_code ec, bool tls) {
        if (ec)
            return;
        if (!tls) {
            timer_.cancel();
            return std::make_shared<http_session<connection_socket>>(std::move(socket_),
                                                                     std::move(buffer_), state_)
                ->run();
        }
        boost::system::error_code ignored;
        peer_ = socket_.remote_endpoint(ignored);
        tls_.emplace(std::move(socket_), *state_->tls);
        tls_->async_handshake(net::ssl::stream_base::server, buffer_.data(),
                              [self = shared_from_this()](beast::error_code e, std::size_t used) {
                                  self->on_handshake(e, used);
                              });
    }

    void on_handshake(beast::error_code ec, std::size_t used) {
        if (ec) {
            if (state_->log.enabled(log_level::info))
                state_->log.write(log_level::info,
                                  "TLS handshake with " + peer_.address().to_string() + ":" +
                                      std::to_string(peer_.port()) + " failed: " + ec.message());
            return;
        }
        timer_.cancel();
        buffer_.consume(used);
        std::make_shared<http_session<tls_stream>>(std::move(*tls_), std::move(buffer_), state_)
            ->run();
    }

    connection_socket socket_;
    std::optional<tls_stream> tls_;
    beast::flat_buffer buffer_;
    net::steady_timer timer_;
    std::shared_ptr<server_state> state_;
    tcp::endpoint peer_;
};
#endif // CHAT_NO_TLS

} // namespace

void run_connection(connection_socket socket, std::shared_ptr<server_state> state) {
#ifndef CHAT_NO_TLS
    if (state->tls)
        return std::make_shared<tls_detector>(std::move(socket), std::move(state))->run();
#endif
    std::make_shared<http_session<connection_socket>>(std::move(socket), beast::flat_buffer(),
                                                      std::move(state))
        ->run();
}

} // namespace chat_server
