// A raw TCP client for the hostile-input tests: writes any bytes (malformed HTTP, hand-made
// WebSocket frames) and reads answers byte by byte. Every operation has a deadline.
#pragma once

#include "chat/ws_frame.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>  // milliseconds
#include <cstdint> // uint8_t, uint64_t
#include <cstdlib> // strtoul, atoi
#include <cstring> // strlen
#include <memory>  // shared_ptr
#include <string>  // string

namespace test {

namespace net = boost::asio;

// A client frame (masked unless `masked` is false) with `opcode`, FIN and RSV bits as given;
// `claimed` overrides the payload length the header announces.
inline std::string ws_frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                            bool masked = true, std::uint8_t rsv = 0,
                            std::uint64_t claimed = UINT64_MAX) {
    chat::ws::frame_header h;
    h.fin = fin;
    h.rsv = rsv;
    h.op = static_cast<chat::ws::opcode>(opcode & 0x0F);
    h.masked = masked;
    h.mask = {0x12, 0x34, 0x56, 0x78};
    h.length = claimed == UINT64_MAX ? payload.size() : claimed;
    std::string f;
    chat::ws::append_header(f, h);
    const std::size_t at = f.size();
    f.append(payload);
    if (masked)
        chat::ws::mask_payload(reinterpret_cast<unsigned char*>(f.data()) + at, payload.size(),
                               h.mask);
    return f;
}

struct raw_response {
    int status = 0; // 0: the connection ended or the deadline passed first
    std::string head;
    std::string body;
};

struct raw_frame {
    int opcode = -1; // -1: no frame (see `ended`)
    std::string payload;
    int close_code() const { return chat::ws::parse_close_payload(payload).code; }
};

class raw_client {
public:
    explicit raw_client(net::any_io_executor ex)
        : socket_(ex), timer_(ex), watch_(std::make_shared<watch>()) {
        watch_->socket = &socket_;
    }
    ~raw_client() { watch_->socket = nullptr; }
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;

    net::awaitable<bool> connect(const std::string& port, std::chrono::milliseconds d) {
        net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"),
                                  static_cast<unsigned short>(std::stoul(port)));
        arm(d);
        auto [ec] = co_await socket_.async_connect(ep, net::as_tuple(net::use_awaitable));
        disarm();
        co_return !ec;
    }

    // Writes everything; the error if the connection fails or the deadline passes first.
    net::awaitable<boost::system::error_code> write(std::string_view bytes,
                                                    std::chrono::milliseconds d) {
        arm(d);
        auto [ec, n] = co_await net::async_write(socket_, net::buffer(bytes.data(), bytes.size()),
                                                 net::as_tuple(net::use_awaitable));
        disarm();
        co_return ec;
    }

    // An HTTP response (the body by Content-Length).
    net::awaitable<raw_response> read_response(std::chrono::milliseconds d) {
        const auto deadline = std::chrono::steady_clock::now() + d;
        raw_response r = co_await read_head(d);
        if (r.head.empty())
            co_return r;
        std::size_t length = 0;
        for (auto name : {"Content-Length: ", "content-length: "})
            if (auto at = r.head.find(name); at != std::string::npos)
                length = std::strtoul(r.head.c_str() + at + std::strlen(name), nullptr, 10);
        while (buffer_.size() < length)
            if (!co_await fill(deadline))
                co_return r;
        r.body = buffer_.substr(0, length);
        buffer_.erase(0, length);
        co_return r;
    }

    // The head of an HTTP response to HEAD (no body follows, whatever Content-Length says).
    net::awaitable<raw_response> read_head(std::chrono::milliseconds d) {
        raw_response r;
        const auto deadline = std::chrono::steady_clock::now() + d;
        std::size_t end = 0;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
            if (!co_await fill(deadline))
                co_return r;
        r.head = buffer_.substr(0, end + 4);
        buffer_.erase(0, end + 4);
        if (r.head.size() > 12 && r.head.compare(0, 5, "HTTP/") == 0)
            r.status = std::atoi(r.head.c_str() + 9);
        co_return r;
    }

    // What arrived after the last response or frame read, without waiting.
    const std::string& unread() const noexcept { return buffer_; }

    // The next server frame, or opcode -1 when the connection ends or the deadline passes.
    net::awaitable<raw_frame> read_frame(std::chrono::milliseconds d) {
        const auto deadline = std::chrono::steady_clock::now() + d;
        raw_frame f;
        while (true) {
            // Taken as it comes: the tests judge the frame, this client does not.
            chat::ws::frame_header h;
            const std::size_t header = chat::ws::decode_header(
                reinterpret_cast<const unsigned char*>(buffer_.data()), buffer_.size(), h);
            if (header != 0 && buffer_.size() - header >= h.length) {
                f.opcode = static_cast<int>(h.op);
                f.payload = buffer_.substr(header, static_cast<std::size_t>(h.length));
                if (h.masked)
                    chat::ws::mask_payload(reinterpret_cast<unsigned char*>(f.payload.data()),
                                           f.payload.size(), h.mask);
                buffer_.erase(0, header + static_cast<std::size_t>(h.length));
                co_return f;
            }
            if (!co_await fill(deadline))
                co_return f;
        }
    }

    // Reads frames until a close frame: its code; -1 if the connection ended without one,
    // -2 at the deadline.
    net::awaitable<int> read_close_code(std::chrono::milliseconds d) {
        const auto deadline = std::chrono::steady_clock::now() + d;
        while (true) {
            auto f = co_await read_frame(remaining(deadline));
            if (f.opcode == 8)
                co_return f.close_code();
            if (f.opcode == -1)
                co_return timed_out_ ? -2 : -1;
            if (f.opcode == 10)
                ++pongs;
        }
    }

    // After a close frame from the server: answers it and reads until the server closes.
    // "eof" for a clean TCP close, else the error ("reset", "timeout").
    net::awaitable<std::string> finish_close(std::chrono::milliseconds d) {
        co_await write(ws_frame(8, std::string("\x03\xE8", 2)), d);
        const auto deadline = std::chrono::steady_clock::now() + d;
        while (co_await fill(deadline)) {
        }
        if (timed_out_)
            co_return "timeout";
        co_return last_error_ == net::error::eof ? "eof" : last_error_.message();
    }

    // Waits for the server to end the connection: true when it did before the deadline.
    net::awaitable<bool> closed_by_server(std::chrono::milliseconds d) {
        const auto deadline = std::chrono::steady_clock::now() + d;
        while (co_await fill(deadline)) {
        }
        co_return !timed_out_;
    }

    // The upgrade request for `target` with `extra` header lines ("Origin: x\r\n").
    static std::string upgrade_request(std::string_view target, std::string_view extra = "") {
        return "GET " + std::string(target) +
               " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
               std::string(extra) + "\r\n";
    }

    net::ip::tcp::socket& socket() { return socket_; }
    int pongs = 0;

private:
    static std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        return left.count() > 0 ? left : std::chrono::milliseconds(0);
    }

    // Reads more into buffer_; false when the connection ended or the deadline passed.
    net::awaitable<bool> fill(std::chrono::steady_clock::time_point deadline) {
        auto left = remaining(deadline);
        if (left.count() == 0) {
            timed_out_ = true;
            co_return false;
        }
        char chunk[16384];
        arm(left);
        auto [ec, n] =
            co_await socket_.async_read_some(net::buffer(chunk), net::as_tuple(net::use_awaitable));
        disarm();
        buffer_.append(chunk, n);
        if (ec) {
            last_error_ = ec;
            co_return false;
        }
        co_return true;
    }

    // A deadline cancels the pending operation; the generation keeps a late timer from
    // cancelling the next one.
    struct watch {
        unsigned generation = 0;
        bool fired = false;
        net::ip::tcp::socket* socket = nullptr; // null once the client is gone
    };
    void arm(std::chrono::milliseconds d) {
        timed_out_ = false;
        watch_->fired = false;
        timer_.expires_after(d);
        timer_.async_wait([w = watch_, gen = ++watch_->generation](boost::system::error_code ec) {
            if (ec || gen != w->generation || !w->socket)
                return;
            w->fired = true;
            boost::system::error_code ignored;
            w->socket->cancel(ignored);
        });
    }
    void disarm() {
        ++watch_->generation;
        timer_.cancel();
        if (watch_->fired)
            timed_out_ = true;
    }

    net::ip::tcp::socket socket_;
    net::steady_timer timer_;
    std::string buffer_;
    std::shared_ptr<watch> watch_;
    bool timed_out_ = false;
    boost::system::error_code last_error_;
};

} // namespace test
