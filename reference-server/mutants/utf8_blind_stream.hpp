// A TCP socket that hides text messages from the frame parser's UTF-8 check (the no-1007
// mutant): it relabels every text frame binary as the bytes arrive, and, unless binary
// messages are to be read too, removes the client's own binary messages from the stream, so
// whatever reaches the session as binary was sent as text. Beast tests its failure paths the
// same way: the fault is in the stream the code is given, not in the code.
#pragma once

#include "connection_socket.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <algorithm> // min
#include <cstddef>   // size_t
#include <cstdint>   // uint8_t, uint64_t
#include <cstring>   // memmove
#include <utility>   // move, forward

namespace chat_server::mutants {

class utf8_blind_stream {
public:
    using socket = connection_socket;
    using executor_type = socket::executor_type;
    using lowest_layer_type = socket::lowest_layer_type;

    // `keep_binary`: binary messages pass (labelled binary, like the relabelled text ones).
    utf8_blind_stream(socket&& s, bool keep_binary)
        : socket_(std::move(s)), keep_binary_(keep_binary) {}

    executor_type get_executor() { return socket_.get_executor(); }
    lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }

    template <class Buffers, class Token> auto async_write_some(const Buffers& b, Token&& token) {
        return socket_.async_write_some(b, std::forward<Token>(token));
    }

    // The session reads into one buffer at a time; the stream lives as long as the session
    // that owns it and waits for this read.
    template <class Buffers, class Handler> void async_read_some(const Buffers& b, Handler&& h) {
        const boost::asio::mutable_buffer buffer = *boost::asio::buffer_sequence_begin(b);
        socket_.async_read_some(buffer, [this, buffer, h = std::forward<Handler>(h)](
                                            boost::system::error_code ec, std::size_t n) mutable {
            n = filter(static_cast<unsigned char*>(buffer.data()), n);
            std::move(h)(ec, n);
        });
    }

private:
    // Rewrites p[0, n) in place (RFC 6455 5.2 framing, tracked across reads); returns the
    // bytes kept.
    std::size_t filter(unsigned char* p, std::size_t n) {
        std::size_t out = 0;
        std::size_t i = 0;
        while (i < n) {
            if (payload_left_ > 0) {
                const std::size_t k =
                    static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, n - i));
                if (!dropping_) {
                    std::memmove(p + out, p + i, k);
                    out += k;
                }
                i += k;
                payload_left_ -= k;
                continue;
            }
            unsigned char b = p[i++];
            if (header_size_ == 0) {
                const unsigned op = b & 0x0F;
                dropping_ = false;
                if ((op & 0x8) == 0) {
                    if (op == 0x1) { // text: relabelled binary
                        in_binary_ = false;
                        b = static_cast<unsigned char>((b & 0xF0) | 0x2);
                    } else if (op == 0x2) {
                        in_binary_ = true;
                    }
                    dropping_ = in_binary_ && !keep_binary_;
                }
            }
            header_[header_size_++] = b;
            if (!dropping_)
                p[out++] = b;
            if (header_size_ == header_need()) {
                payload_left_ = payload_length();
                header_size_ = 0;
            }
        }
        return out;
    }

    std::size_t header_need() const noexcept {
        if (header_size_ < 2)
            return 2;
        const unsigned len7 = header_[1] & 0x7F;
        return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header_[1] & 0x80) != 0 ? 4 : 0);
    }

    std::uint64_t payload_length() const noexcept {
        const unsigned len7 = header_[1] & 0x7F;
        if (len7 < 126)
            return len7;
        std::uint64_t length = 0;
        const std::size_t bytes = len7 == 126 ? 2 : 8;
        for (std::size_t k = 0; k < bytes; ++k)
            length = (length << 8) | header_[2 + k];
        return length;
    }

    socket socket_;
    bool keep_binary_;
    unsigned char header_[14] = {};
    std::size_t header_size_ = 0;
    std::uint64_t payload_left_ = 0;
    bool in_binary_ = false; // the data message under way was sent binary
    bool dropping_ = false;  // the frame under way is removed
};

} // namespace chat_server::mutants
