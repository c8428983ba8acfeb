// A chat client's WebSocket: its read loop turns frames into messages for its room; its
// write loop drains its bounded queue. Both run on the connection's strand; the room only
// touches the queue, under the session's own short lock.
#include "websocket_session.hpp"

#include "room.hpp"
#include "routes.hpp"
#include "send_queue.hpp"
#include "server_state.hpp"

#include "chat/codec.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

#include <array>       // array
#include <chrono>      // system_clock
#include <mutex>       // mutex, lock_guard
#include <string_view> // string_view
#include <utility>     // move

namespace chat_server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

std::int64_t unix_ms_now() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// "user="alice" room="general"" with JSON quoting, so odd names cannot break a log line.
std::string describe(const tcp::endpoint& peer, std::string_view room, std::string_view user) {
    std::string s = peer.address().to_string() + ":" + std::to_string(peer.port()) + " room=";
    chat::append_json_string(s, room);
    s += " user=";
    chat::append_json_string(s, user);
    return s;
}

template <class Stream>
class websocket_session : public member,
                          public std::enable_shared_from_this<websocket_session<Stream>> {
    using std::enable_shared_from_this<websocket_session<Stream>>::shared_from_this;

public:
    websocket_session(Stream&& stream, std::shared_ptr<room> r, std::string user,
                      std::shared_ptr<server_state> state)
        : ws_(std::move(stream)), room_(std::move(r)), user_(std::move(user)),
          state_(std::move(state)), queue_(state_->config.defect == mutant::slow_never_dropped
                                               ? send_queue<message_ptr>::unbounded
                                               : state_->config.send_queue) {
        state_->websocket_sessions.fetch_add(1, std::memory_order_relaxed);
        beast::error_code ec;
        peer_ = beast::get_lowest_layer(ws_).remote_endpoint(ec);
    }

    ~websocket_session() override {
        state_->websocket_sessions.fetch_sub(1, std::memory_order_relaxed);
    }

    void run(http::request<http::string_body> req) {
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        // The size limit is enforced here rather than by Beast: Beast's failure path closes the
        // TCP connection with the rest of the message unread, so the client gets a reset
        // instead of the 1009 close frame (SPEC.md WS-4).
        ws_.read_message_max(0);
        // Each message goes out as one frame straight from the shared buffer.
        ws_.auto_fragment(false);
        ws_.async_accept(
            req, [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
    }

    // --- member: called on the room's strand -------------------------------------------

    bool offer(const message_ptr& m) override {
        std::lock_guard lock(mutex_);
        if (cut_)
            return true; // leaving anyway; the room hears of it through leave()
        if (!queue_.try_push(m))
            return false;
        kick_writer();
        return true;
    }

    void replay(const message_ptr& m) override {
        std::lock_guard lock(mutex_);
        if (cut_)
            return;
        queue_.push(m);
        kick_writer();
    }

    bool queue_full() const override {
        std::lock_guard lock(mutex_);
        return !cut_ && queue_.full();
    }

    void drop(const std::string& reason) override {
        {
            std::lock_guard lock(mutex_);
            cut_ = true;
        }
        net::post(ws_.get_executor(),
                  [self = shared_from_this(), reason] { self->cut_connection("drop", reason); });
    }

    void going_away() override {
        net::post(ws_.get_executor(), [self = shared_from_this()] {
            self->start_close(websocket::close_code::going_away);
        });
    }

private:
    // Called with mutex_ held.
    void kick_writer() {
        if (writing_)
            return;
        writing_ = true;
        net::post(ws_.get_executor(), [self = shared_from_this()] { self->do_write(); });
    }

    void on_accept(beast::error_code ec) {
        if (ec) {
            if (state_->log.enabled(log_level::debug))
                state_->log.write(log_level::debug, "upgrade failed " +
                                                        describe(peer_, room_->name(), user_) +
                                                        ": " + ec.message());
            return;
        }
        if (state_->log.enabled(log_level::info))
            state_->log.write(log_level::info, "open " + describe(peer_, room_->name(), user_));
        if (state_->stopping.load()) {
            start_close(websocket::close_code::going_away);
        } else {
            joined_ = true;
            room_->join(shared_from_this());
        }
        do_read();
    }

    // --- reading ------------------------------------------------------------------------

    void do_read() {
        // A small fixed chunk, not a growing buffer: an idle client holds no read buffer.
        ws_.async_read_some(net::buffer(chunk_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                self->on_read(ec, n);
                            });
    }

    void on_read(beast::error_code ec, std::size_t n) {
        if (ec)
            return on_closed(ec);
        const std::int64_t received = unix_ms_now();
        message_bytes_ += n;
        const auto limit = state_->config.max_message_bytes;
        if (message_bytes_ > limit && state_->config.defect != mutant::no_1009) {
            // Too big: stop reading it; the close handshake discards the rest.
            message_.clear();
            message_.shrink_to_fit();
            too_big_ = true;
            return start_close(websocket::close_code::too_big);
        }
        if (!ws_.is_message_done()) {
            message_.append(chunk_.data(), n);
            return do_read();
        }
        message_bytes_ = 0;
        if (message_.empty()) {
            on_message(std::string_view(chunk_.data(), n), received);
        } else {
            message_.append(chunk_.data(), n);
            on_message(message_, received);
            message_.clear();
            if (message_.capacity() > 4096)
                message_.shrink_to_fit();
        }
        do_read();
    }

    void on_message(std::string_view data, std::int64_t received) {
        const auto defect = state_->config.defect;
        const bool text = ws_.got_text();
        std::string content;
        chat::client_frame frame;
        if (text || defect == mutant::binary_broadcast)
            frame = chat::decode_client_frame(data);
        else
            frame.error = chat::frame_error::not_json;
        if (!text && defect != mutant::binary_broadcast) {
            // SPEC.md MSG-6: binary messages are ignored.
            return ignored("binary message");
        } else if (frame.ok()) {
            content = defect == mutant::double_wrap ? std::string(data) : std::move(frame.content);
        } else if ((defect == mutant::bad_frame_broadcast &&
                    frame.error == chat::frame_error::not_json) ||
                   (defect == mutant::binary_broadcast && !text)) {
            if (!is_valid_utf8(data))
                return ignored("binary message that is not UTF-8");
            content = std::string(data);
        } else {
            // SPEC.md MSG-5: not a client frame; ignored, and the connection stays open.
            return ignored(chat::to_string(frame.error));
        }
        chat::chat_message m{user_, room_->name(), std::move(content),
                             defect == mutant::timestamp_seconds ? received / 1000 : received};
        if (defect == mutant::user_from_frame) {
            auto j = nlohmann::json::parse(data, nullptr, false);
            if (j.is_object() && j.contains("user") && j["user"].is_string())
                m.user = j["user"].get<std::string>();
        }
        room_->broadcast(std::make_shared<const std::string>(chat::encode_message(m)), this);
    }

    void ignored(std::string_view why) {
        if (state_->log.enabled(log_level::debug))
            state_->log.write(log_level::debug, "ignored frame (" + std::string(why) + ") from " +
                                                    describe(peer_, room_->name(), user_));
    }

    void on_closed(beast::error_code ec) {
        {
            std::lock_guard lock(mutex_);
            cut_ = true;
        }
        if (!socket_closed_) {
            std::string why;
            if (too_big_) {
                why = "message over " + std::to_string(state_->config.max_message_bytes) +
                      " bytes (closed with 1009)";
            } else if (ec == websocket::error::closed) {
                const auto& cr = ws_.reason();
                why = closing_ ? "closed by server (" + std::to_string(cr.code) + " answered)"
                               : "closed by client (code " + std::to_string(cr.code) + ")";
            } else if (ec == websocket::error::bad_frame_payload) {
                why = "invalid UTF-8 (closed with 1007)";
            } else {
                why = ec.message();
            }
            if (state_->log.enabled(log_level::info))
                state_->log.write(log_level::info,
                                  "close " + describe(peer_, room_->name(), user_) + ": " + why);
            // A clean close handshake has already closed the socket; anything else is cut here.
            if (ec != websocket::error::closed)
                cut_connection({}, {});
        }
        if (joined_)
            room_->leave(shared_from_this());
        joined_ = false;
    }

    // --- writing ------------------------------------------------------------------------

    void do_write() {
        message_ptr m;
        {
            std::lock_guard lock(mutex_);
            if (cut_ || queue_.empty()) {
                writing_ = false;
                queue_.shrink_if_empty();
                return;
            }
            m = queue_.front();
        }
        ws_.text(true);
        ws_.async_write(net::buffer(*m),
                        [self = shared_from_this(), m](beast::error_code ec, std::size_t) {
                            self->on_write(ec);
                        });
    }

    void on_write(beast::error_code ec) {
        {
            std::lock_guard lock(mutex_);
            if (ec) {
                // The read side sees the failure too and leaves the room.
                cut_ = true;
                writing_ = false;
                return;
            }
            queue_.pop();
        }
        do_write();
    }

    // --- closing ------------------------------------------------------------------------

    void start_close(websocket::close_code code) {
        if (closing_ || socket_closed_)
            return;
        closing_ = true;
        // With no read pending (a message too big), this handler ends the session; otherwise
        // the pending read sees the peer's close and does.
        const bool reading = !too_big_;
        ws_.async_close(code, [self = shared_from_this(), reading](beast::error_code ec) {
            if (!reading)
                self->on_closed(ec ? ec : beast::error_code(websocket::error::closed));
        });
    }

    // Closes the TCP connection at once (reset, no lingering data): the peer may not be
    // reading, so a close frame could wait forever (SPEC.md SLOW-5).
    void cut_connection(std::string_view what, std::string_view reason) {
        if (socket_closed_)
            return;
        socket_closed_ = true;
        if (!what.empty() && state_->log.enabled(log_level::warn))
            state_->log.write(log_level::warn, std::string(what) + " " +
                                                   describe(peer_, room_->name(), user_) + ": " +
                                                   std::string(reason));
        auto& socket = beast::get_lowest_layer(ws_);
        if (!socket.is_open())
            return;
        beast::error_code ec;
        socket.set_option(net::socket_base::linger(true, 0), ec);
        socket.close(ec);
    }

    websocket::stream<Stream> ws_;
    std::shared_ptr<room> room_;
    std::string user_;
    std::shared_ptr<server_state> state_;
    tcp::endpoint peer_;
    std::array<char, 512> chunk_;
    std::string message_;           // a message that spans several reads
    std::size_t message_bytes_ = 0; // of the message being read
    bool too_big_ = false;

    // Shared with the room's strand.
    mutable std::mutex mutex_;
    send_queue<message_ptr> queue_; // the front is the message being written
    bool writing_ = false;
    bool cut_ = false; // the connection is going: offers are ignored

    // Strand only.
    bool joined_ = false;
    bool closing_ = false;
    bool socket_closed_ = false;
};

template class websocket_session<tcp::socket>;
template class websocket_session<net::ssl::stream<tcp::socket>>;

} // namespace

void run_websocket_session(tcp::socket socket, http::request<http::string_body> request,
                           std::shared_ptr<room> r, std::string user,
                           std::shared_ptr<server_state> state) {
    std::make_shared<websocket_session<tcp::socket>>(std::move(socket), std::move(r),
                                                     std::move(user), std::move(state))
        ->run(std::move(request));
}

void run_websocket_session(net::ssl::stream<tcp::socket> stream,
                           http::request<http::string_body> request, std::shared_ptr<room> r,
                           std::string user, std::shared_ptr<server_state> state) {
    std::make_shared<websocket_session<net::ssl::stream<tcp::socket>>>(
        std::move(stream), std::move(r), std::move(user), std::move(state))
        ->run(std::move(request));
}

} // namespace chat_server
