// RFC 6455 framing for the server: see ws_frame.hpp.
#include "ws_frame.hpp"

#include <openssl/sha.h>

#include <algorithm> // min, max
#include <cstring>   // memcpy

namespace chat_server::ws {

namespace {

constexpr char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const unsigned char* p, std::size_t n) {
    std::string out;
    out.reserve((n + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const unsigned v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
        out += base64_alphabet[(v >> 18) & 63];
        out += base64_alphabet[(v >> 12) & 63];
        out += base64_alphabet[(v >> 6) & 63];
        out += base64_alphabet[v & 63];
    }
    if (n - i == 1) {
        const unsigned v = p[i] << 16;
        out += base64_alphabet[(v >> 18) & 63];
        out += base64_alphabet[(v >> 12) & 63];
        out += "==";
    } else if (n - i == 2) {
        const unsigned v = (p[i] << 16) | (p[i + 1] << 8);
        out += base64_alphabet[(v >> 18) & 63];
        out += base64_alphabet[(v >> 12) & 63];
        out += base64_alphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

bool is_base64_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

// Close codes a peer may send (RFC 6455 7.4 and the IANA registry); 1005, 1006 and 1015 are
// never sent on the wire.
bool valid_close_code(std::uint16_t code) noexcept {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

} // namespace

std::string accept_key(std::string_view client_key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input;
    input.reserve(client_key.size() + guid.size());
    input.append(client_key);
    input.append(guid);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    return base64(digest, sizeof digest);
}

bool valid_client_key(std::string_view key) noexcept {
    if (key.size() != 24 || key.substr(22) != "==")
        return false;
    return std::all_of(key.begin(), key.begin() + 22, is_base64_char);
}

std::size_t encode_header(unsigned char* out, opcode op, std::uint64_t payload_bytes) noexcept {
    out[0] = static_cast<unsigned char>(0x80 | op); // FIN
    if (payload_bytes < 126) {
        out[1] = static_cast<unsigned char>(payload_bytes);
        return 2;
    }
    if (payload_bytes < 65536) {
        out[1] = 126;
        out[2] = static_cast<unsigned char>(payload_bytes >> 8);
        out[3] = static_cast<unsigned char>(payload_bytes);
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; ++i)
        out[2 + i] = static_cast<unsigned char>(payload_bytes >> (56 - 8 * i));
    return 10;
}

// --- utf8_validator ---------------------------------------------------------------------

bool utf8_validator::feed(const unsigned char* p, std::size_t n) noexcept {
    if (bad_)
        return false;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char b = p[i];
        if (need_ == 0) {
            if (b < 0x80)
                continue;
            lo_ = 0x80;
            hi_ = 0xBF;
            if (b >= 0xC2 && b <= 0xDF) {
                need_ = 1;
            } else if (b >= 0xE0 && b <= 0xEF) {
                need_ = 2;
                if (b == 0xE0)
                    lo_ = 0xA0; // overlong
                else if (b == 0xED)
                    hi_ = 0x9F; // surrogates
            } else if (b >= 0xF0 && b <= 0xF4) {
                need_ = 3;
                if (b == 0xF0)
                    lo_ = 0x90; // overlong
                else if (b == 0xF4)
                    hi_ = 0x8F; // above U+10FFFF
            } else {
                bad_ = true; // a continuation byte, C0, C1 or F5..FF
                return false;
            }
        } else {
            if (b < lo_ || b > hi_) {
                bad_ = true;
                return false;
            }
            lo_ = 0x80;
            hi_ = 0xBF;
            --need_;
        }
    }
    return true;
}

// --- frame_parser -----------------------------------------------------------------------

void frame_parser::set_closing() noexcept {
    closing_ = true;
    in_message_ = false;
    message_size_ = 0;
    release_message_ = false;
    // A data frame under way is discarded from here on; a control frame under way is read
    // (it may be the peer's close).
    if (state_ == state::payload && (op_ & 0x8) == 0)
        skip_ = true;
    // A read into direct_buffer() still owns the message buffer: direct_commit() frees it.
    if (!direct_pending_)
        std::string().swap(message_);
}

void frame_parser::release_previous() {
    if (release_message_) {
        release_message_ = false;
        std::string().swap(message_);
    }
    if (!control_.empty() && state_ == state::header)
        std::string().swap(control_);
}

std::size_t frame_parser::header_need() const noexcept {
    if (header_size_ < 2)
        return 2;
    const unsigned len7 = header_[1] & 0x7F;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header_[1] & 0x80) != 0 ? 4 : 0);
}

void frame_parser::unmask(unsigned char* p, std::size_t k) noexcept {
    const std::uint64_t offset = length_ - remaining_;
    for (std::size_t i = 0; i < k; ++i)
        p[i] ^= mask_[(offset + i) & 3];
}

void frame_parser::fail(std::uint16_t code, event& ev) {
    ev = event{};
    ev.what = event::kind::error;
    ev.code = code;
    set_closing();
    // The rest of the offending frame is skipped; the next header may be the peer's close.
    skip_ = true;
    state_ = remaining_ != 0 ? state::payload : state::header;
}

std::size_t frame_parser::parse(unsigned char* data, std::size_t n, event& ev) {
    ev = event{};
    release_previous();
    std::size_t pos = 0;
    while (pos < n) {
        if (state_ == state::header) {
            // 2 bytes, then the extended length and the mask key the second byte announces.
            std::size_t need = header_need();
            while (header_size_ < need && pos < n) {
                header_[header_size_++] = data[pos++];
                need = header_need();
            }
            if (header_size_ < need)
                continue; // pos == n: the rest comes with the next read
            header_size_ = 0;
            if (on_header(ev))
                return pos;
            continue;
        }
        const std::size_t k =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, n - pos));
        if (skip_) {
            remaining_ -= k;
            pos += k;
            if (remaining_ == 0)
                state_ = state::header;
            continue;
        }
        on_payload(data + pos, k, false, ev);
        pos += k;
        if (ev.what != event::kind::none)
            return pos;
    }
    return pos;
}

bool frame_parser::on_header(event& ev) {
    const unsigned char b0 = header_[0];
    const unsigned char b1 = header_[1];
    fin_ = (b0 & 0x80) != 0;
    op_ = b0 & 0x0F;
    const bool masked = (b1 & 0x80) != 0;
    const unsigned len7 = b1 & 0x7F;
    std::size_t at = 2;
    if (len7 == 126) {
        length_ = (std::uint64_t{header_[2]} << 8) | header_[3];
        at = 4;
    } else if (len7 == 127) {
        length_ = 0;
        for (std::size_t i = 2; i < 10; ++i)
            length_ = (length_ << 8) | header_[i];
        at = 10;
    } else {
        length_ = len7;
    }
    if (masked)
        std::memcpy(mask_, header_ + at, 4);
    else
        std::memset(mask_, 0, 4);
    remaining_ = length_;
    state_ = state::payload;
    skip_ = false;

    if (closing_) {
        // Only the peer's close frame still matters.
        skip_ = !(op_ == op_close && length_ <= 125);
    } else {
        const bool control = (op_ & 0x8) != 0;
        const bool long_form_too_short =
            (len7 == 126 && length_ < 126) || (len7 == 127 && length_ < 65536);
        if ((b0 & 0x70) != 0 || !masked || long_form_too_short || (length_ >> 63) != 0) {
            fail(close_code::protocol_error, ev);
            return true;
        }
        if (control) {
            if (op_ > op_pong || !fin_ || length_ > 125) {
                fail(close_code::protocol_error, ev);
                return true;
            }
        } else {
            if (op_ > op_binary || (op_ == op_continuation) != in_message_) {
                fail(close_code::protocol_error, ev);
                return true;
            }
            if (op_ != op_continuation) {
                in_message_ = true;
                text_ = op_ == op_text;
                message_size_ = 0;
                utf8_.reset();
            }
            if (length_ > max_message_ - message_size_) {
                fail(close_code::too_big, ev);
                return true;
            }
            message_size_ += length_;
        }
    }
    if (remaining_ == 0) {
        if (skip_)
            state_ = state::header;
        else
            end_of_frame(std::string_view(), ev);
        return ev.what != event::kind::none;
    }
    return false;
}

void frame_parser::on_payload(unsigned char* p, std::size_t k, bool appended, event& ev) {
    const bool whole_frame = remaining_ == length_ && k == length_;
    unmask(p, k);
    remaining_ -= k;
    const std::string_view bytes(reinterpret_cast<const char*>(p), k);
    if ((op_ & 0x8) != 0) {
        if (whole_frame)
            return end_of_frame(bytes, ev);
        control_.append(bytes);
        if (remaining_ == 0)
            end_of_frame(control_, ev);
        return;
    }
    if (text_ && !utf8_.feed(p, k))
        return fail(close_code::invalid_payload, ev);
    if (whole_frame && fin_ && message_.empty() && !appended)
        return end_of_frame(bytes, ev); // handed out where it lies
    if (!appended) {
        if (message_.capacity() < message_size_)
            message_.reserve(static_cast<std::size_t>(
                std::max<std::uint64_t>(message_size_, 2 * message_.capacity())));
        message_.append(bytes);
    }
    if (remaining_ == 0)
        end_of_frame(message_, ev);
}

void frame_parser::end_of_frame(std::string_view payload, event& ev) {
    state_ = state::header;
    if ((op_ & 0x8) == 0) {
        if (!fin_)
            return; // more fragments to come
        if (text_ && !utf8_.complete())
            return fail(close_code::invalid_payload, ev);
        in_message_ = false;
        ev = event{};
        ev.what = event::kind::message;
        ev.text = text_;
        ev.payload = payload;
        release_message_ = !message_.empty() || message_.capacity() > 15;
        return;
    }
    ev = event{};
    switch (op_) {
    case op_ping:
        if (!closing_) {
            ev.what = event::kind::ping;
            ev.payload = payload;
        }
        return;
    case op_pong:
        if (!closing_) {
            ev.what = event::kind::pong;
            ev.payload = payload;
        }
        return;
    case op_close: {
        std::uint16_t code = close_code::no_status;
        std::string_view reason;
        if (payload.size() >= 2) {
            code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                              static_cast<unsigned char>(payload[1]));
            reason = payload.substr(2);
        }
        if (!closing_) {
            if (payload.size() == 1 || (payload.size() >= 2 && !valid_close_code(code)))
                return fail(close_code::protocol_error, ev);
            utf8_validator v;
            if (!v.feed(reinterpret_cast<const unsigned char*>(reason.data()), reason.size()) ||
                !v.complete())
                return fail(close_code::invalid_payload, ev);
        }
        closing_ = true;
        ev.what = event::kind::close;
        ev.code = code;
        ev.payload = reason;
        return;
    }
    default:
        return;
    }
}

std::span<unsigned char> frame_parser::direct_buffer(std::size_t min_bytes) {
    if (state_ != state::payload || skip_ || (op_ & 0x8) != 0 || remaining_ < min_bytes ||
        remaining_ == 0)
        return {};
    release_previous();
    direct_offset_ = message_.size();
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, 64 * 1024));
    if (message_.capacity() < message_size_)
        message_.reserve(static_cast<std::size_t>(message_size_));
    message_.resize(direct_offset_ + n);
    direct_pending_ = true;
    return {reinterpret_cast<unsigned char*>(message_.data()) + direct_offset_, n};
}

void frame_parser::direct_commit(std::size_t n, event& ev) {
    ev = event{};
    direct_pending_ = false;
    if (skip_) { // set_closing() came while the read was under way
        remaining_ -= std::min<std::uint64_t>(remaining_, n);
        if (remaining_ == 0)
            state_ = state::header;
        std::string().swap(message_);
        return;
    }
    message_.resize(direct_offset_ + n);
    on_payload(reinterpret_cast<unsigned char*>(message_.data()) + direct_offset_, n, true, ev);
}

} // namespace chat_server::ws
