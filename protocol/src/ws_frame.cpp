// RFC 6455 framing for every role: see chat/ws_frame.hpp.
#include "chat/ws_frame.hpp"

// SHA-1, base64 and randomness come from the system's cryptography: OpenSSL's libcrypto, or on
// Windows CNG (bcrypt) and crypt32.
#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
// windows.h first: these need its types.
#include <bcrypt.h>   // BCryptGenRandom, BCrypt*Hash*
#include <wincrypt.h> // CryptBinaryToStringA
#else
// SHA1_Init/Update/Final are deprecated since OpenSSL 3.0 in favour of EVP, but they compute
// the digest directly: the one-shot SHA1() of 3.0 fetches it through EVP_Q_digest from the
// default provider, whose first use makes a server resident in 2.2 MB more of libcrypto and
// 140 KB more heap, which chat-idle-memory counted against the first idle connections.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>  // EVP_EncodeBlock
#include <openssl/rand.h> // RAND_bytes
#include <openssl/sha.h>  // SHA1_Init, SHA1_Update, SHA1_Final
#endif

#include <algorithm> // min, max, all_of
#include <cstring>   // memcpy
#include <stdexcept> // runtime_error

namespace chat::ws {

namespace {

constexpr std::size_t sha1_size = 20;

#if defined(_WIN32)

std::string base64(const unsigned char* p, std::size_t n) {
    DWORD size = static_cast<DWORD>(4 * ((n + 2) / 3) + 1); // and the terminating NUL
    std::string out(size, '\0');
    if (!::CryptBinaryToStringA(p, static_cast<DWORD>(n), CRYPT_STRING_BASE64 | CRYPT_STRING_NOCRLF,
                                out.data(), &size))
        throw std::runtime_error("CryptBinaryToStringA failed: cannot base64-encode");
    out.resize(size); // without the NUL
    return out;
}

void sha1(std::string_view input, unsigned char (&digest)[sha1_size]) {
    BCRYPT_ALG_HANDLE alg = nullptr;
    BCRYPT_HASH_HANDLE hash = nullptr;
    bool ok =
        BCRYPT_SUCCESS(::BCryptOpenAlgorithmProvider(&alg, BCRYPT_SHA1_ALGORITHM, nullptr, 0));
    ok = ok && BCRYPT_SUCCESS(::BCryptCreateHash(alg, &hash, nullptr, 0, nullptr, 0, 0));
    ok = ok && BCRYPT_SUCCESS(
                   ::BCryptHashData(hash, reinterpret_cast<PUCHAR>(const_cast<char*>(input.data())),
                                    static_cast<ULONG>(input.size()), 0));
    ok = ok && BCRYPT_SUCCESS(::BCryptFinishHash(hash, digest, sha1_size, 0));
    if (hash)
        ::BCryptDestroyHash(hash);
    if (alg)
        ::BCryptCloseAlgorithmProvider(alg, 0);
    if (!ok)
        throw std::runtime_error("BCrypt SHA-1 failed: cannot compute Sec-WebSocket-Accept");
}

bool random_bytes(unsigned char* p, std::size_t n) {
    return BCRYPT_SUCCESS(
        ::BCryptGenRandom(nullptr, p, static_cast<ULONG>(n), BCRYPT_USE_SYSTEM_PREFERRED_RNG));
}

#else

std::string base64(const unsigned char* p, std::size_t n) {
    std::string out(4 * ((n + 2) / 3), '\0');
    const int k =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
    out.resize(static_cast<std::size_t>(k));
    return out;
}

void sha1(std::string_view input, unsigned char (&digest)[sha1_size]) {
    SHA_CTX context;
    if (SHA1_Init(&context) != 1 || SHA1_Update(&context, input.data(), input.size()) != 1 ||
        SHA1_Final(digest, &context) != 1)
        throw std::runtime_error("OpenSSL SHA-1 failed: cannot compute Sec-WebSocket-Accept");
}

bool random_bytes(unsigned char* p, std::size_t n) {
    return RAND_bytes(p, static_cast<int>(n)) == 1;
}

#endif

bool is_base64_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

constexpr std::uint8_t op_bits(opcode op) noexcept {
    return static_cast<std::uint8_t>(op);
}

} // namespace

bool close_code_allowed(std::uint16_t code) noexcept {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

std::string_view describe(violation v) noexcept {
    switch (v) {
    case violation::none:
        return "none";
    case violation::reserved_bits:
        return "reserved bits set";
    case violation::unmasked_client_frame:
        return "unmasked client frame";
    case violation::masked_server_frame:
        return "masked server frame";
    case violation::reserved_opcode:
        return "reserved opcode";
    case violation::non_minimal_length:
        return "payload length not in its minimal form";
    case violation::length_high_bit:
        return "64-bit payload length with its high bit set";
    case violation::control_too_long:
        return "control frame payload over 125 bytes";
    case violation::control_fragmented:
        return "fragmented control frame";
    case violation::unexpected_continuation:
        return "continuation frame without a message";
    case violation::expected_continuation:
        return "new message inside a fragmented message";
    case violation::message_too_big:
        return "message over the size limit";
    case violation::invalid_utf8:
        return "text message not UTF-8";
    case violation::close_one_byte:
        return "close payload of 1 byte";
    case violation::close_code_forbidden:
        return "close code not allowed on the wire";
    case violation::close_reason_not_utf8:
        return "close reason not UTF-8";
    }
    return "unknown";
}

std::uint16_t close_code_for(violation v) noexcept {
    switch (v) {
    case violation::none:
        return 0;
    case violation::message_too_big:
        return close_code::too_big;
    case violation::invalid_utf8:
    case violation::close_reason_not_utf8:
        return close_code::invalid_payload;
    default:
        return close_code::protocol_error;
    }
}

// --- Opening handshake ------------------------------------------------------------------

std::string accept_key(std::string_view client_key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input;
    input.reserve(client_key.size() + guid.size());
    input.append(client_key);
    input.append(guid);
    unsigned char digest[sha1_size];
    sha1(input, digest);
    return base64(digest, sizeof digest);
}

bool valid_client_key(std::string_view key) noexcept {
    if (key.size() != 24 || key.substr(22) != "==")
        return false;
    // The last character before "==" carries 4 bits of padding; any base64 character passes,
    // as before (a stricter check would reject keys some clients send).
    return std::all_of(key.begin(), key.begin() + 22, is_base64_char);
}

std::string client_key(const std::array<unsigned char, 16>& nonce) {
    return base64(nonce.data(), nonce.size());
}

std::string random_client_key() {
    std::array<unsigned char, 16> nonce{};
    if (!random_bytes(nonce.data(), nonce.size()))
        throw std::runtime_error("no randomness for a Sec-WebSocket-Key");
    return client_key(nonce);
}

// --- Serialising ------------------------------------------------------------------------

std::size_t encode_header(unsigned char* out, const frame_header& h) noexcept {
    out[0] = static_cast<unsigned char>((h.fin ? 0x80 : 0) | ((h.rsv & 0x7) << 4) |
                                        (op_bits(h.op) & 0x0F));
    const unsigned char mask_bit = h.masked ? 0x80 : 0;
    length_form form = h.form;
    if (form == length_form::shortest)
        form = h.length < 126     ? length_form::bits7
               : h.length < 65536 ? length_form::bits16
                                  : length_form::bits64;
    std::size_t at = 2;
    switch (form) {
    case length_form::bits16:
        out[1] = mask_bit | 126;
        out[2] = static_cast<unsigned char>(h.length >> 8);
        out[3] = static_cast<unsigned char>(h.length);
        at = 4;
        break;
    case length_form::bits64:
        out[1] = mask_bit | 127;
        for (int i = 0; i < 8; ++i)
            out[2 + i] = static_cast<unsigned char>(h.length >> (56 - 8 * i));
        at = 10;
        break;
    default:
        out[1] = static_cast<unsigned char>(mask_bit | (h.length & 0x7F));
        break;
    }
    if (h.masked) {
        std::memcpy(out + at, h.mask.data(), 4);
        at += 4;
    }
    return at;
}

std::size_t encode_header(unsigned char* out, opcode op, std::uint64_t payload_bytes) noexcept {
    out[0] = static_cast<unsigned char>(0x80 | op_bits(op)); // FIN
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

void append_header(std::string& out, const frame_header& h) {
    unsigned char buf[max_header_bytes];
    const std::size_t n = encode_header(buf, h);
    out.append(reinterpret_cast<const char*>(buf), n);
}

mask_key random_mask_key() {
    mask_key key{};
    if (!random_bytes(key.data(), key.size()))
        throw std::runtime_error("no randomness for a masking key");
    return key;
}

void mask_payload(unsigned char* p, std::size_t n, const mask_key& key,
                  std::uint64_t offset) noexcept {
    // The key rotated so that its first byte applies to p[0], repeated over 8 bytes: the bulk
    // is XORed a word at a time (byte order does not matter, the pattern is laid out in memory
    // exactly as the bytes it meets), the tail byte by byte.
    unsigned char pattern[8];
    for (std::size_t i = 0; i < 8; ++i)
        pattern[i] = key[(offset + i) & 3];
    std::uint64_t word_key = 0;
    std::memcpy(&word_key, pattern, 8);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, p + i, 8);
        w ^= word_key;
        std::memcpy(p + i, &w, 8);
    }
    for (; i < n; ++i)
        p[i] ^= pattern[i & 7];
}

void append_frame(std::string& out, opcode op, bool fin, std::string_view payload,
                  std::optional<mask_key> mask) {
    frame_header h;
    h.fin = fin;
    h.op = op;
    h.length = payload.size();
    h.masked = mask.has_value();
    if (mask)
        h.mask = *mask;
    append_header(out, h);
    const std::size_t from = out.size();
    out.append(payload);
    if (mask)
        mask_payload(reinterpret_cast<unsigned char*>(out.data()) + from, payload.size(), *mask);
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
    if (reason.size() > 123) {
        std::size_t cut = 123;
        while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80)
            --cut; // do not split a code point
        reason = reason.substr(0, cut);
    }
    std::string p;
    p.reserve(2 + reason.size());
    p.push_back(static_cast<char>(code >> 8));
    p.push_back(static_cast<char>(code & 0xFF));
    p.append(reason);
    return p;
}

close_info parse_close_payload(std::string_view payload) noexcept {
    close_info c;
    if (payload.empty())
        return c;
    if (payload.size() == 1) {
        c.problem = violation::close_one_byte;
        return c;
    }
    c.code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                        static_cast<unsigned char>(payload[1]));
    c.reason = payload.substr(2);
    if (!close_code_allowed(c.code))
        c.problem = violation::close_code_forbidden;
    else if (!is_valid_utf8(c.reason))
        c.problem = violation::close_reason_not_utf8;
    return c;
}

// --- UTF-8 ------------------------------------------------------------------------------

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

bool is_valid_utf8(std::string_view s) noexcept {
    utf8_validator v;
    return v.feed(s) && v.complete();
}

// --- Header decoding and rules ----------------------------------------------------------

std::size_t decode_header(const unsigned char* data, std::size_t n, frame_header& h) noexcept {
    if (n < 2)
        return 0;
    const unsigned len7 = data[1] & 0x7F;
    const bool masked = (data[1] & 0x80) != 0;
    const std::size_t size = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
    if (n < size)
        return 0;
    h.fin = (data[0] & 0x80) != 0;
    h.rsv = static_cast<std::uint8_t>((data[0] >> 4) & 0x7);
    h.op = static_cast<opcode>(data[0] & 0x0F);
    h.masked = masked;
    std::size_t at = 2;
    if (len7 == 126) {
        h.length = (std::uint64_t{data[2]} << 8) | data[3];
        h.form = length_form::bits16;
        at = 4;
    } else if (len7 == 127) {
        h.length = 0;
        for (std::size_t i = 2; i < 10; ++i)
            h.length = (h.length << 8) | data[i];
        h.form = length_form::bits64;
        at = 10;
    } else {
        h.length = len7;
        h.form = length_form::bits7;
    }
    if (masked)
        std::memcpy(h.mask.data(), data + at, 4);
    else
        h.mask = {0, 0, 0, 0};
    h.header_bytes = static_cast<std::uint8_t>(size);
    return size;
}

violation check_header(const frame_header& h, role r) noexcept {
    if (h.rsv != 0)
        return violation::reserved_bits;
    if (r == role::server && !h.masked)
        return violation::unmasked_client_frame;
    if (r == role::client && h.masked)
        return violation::masked_server_frame;
    if ((h.form == length_form::bits16 && h.length < 126) ||
        (h.form == length_form::bits64 && h.length < 65536))
        return violation::non_minimal_length;
    if ((h.length >> 63) != 0)
        return violation::length_high_bit;
    if (!is_defined(h.op))
        return violation::reserved_opcode;
    if (is_control(h.op)) {
        if (!h.fin)
            return violation::control_fragmented;
        if (h.length > 125)
            return violation::control_too_long;
    }
    return violation::none;
}

// --- frame_parser -----------------------------------------------------------------------

void frame_parser::set_closing() noexcept {
    closing_ = true;
    in_message_ = false;
    message_size_ = 0;
    release_message_ = false;
    // A data frame under way is discarded from here on; a control frame under way is read
    // (it may be the peer's close).
    if (state_ == state::payload && !is_control(frame_.op))
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

void frame_parser::fail(violation v, event& ev) {
    ev = event{};
    ev.what = event::kind::error;
    ev.code = close_code_for(v);
    ev.problem = v;
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
    decode_header(header_, max_header_bytes, frame_);
    if (observer_)
        (*observer_)(frame_);
    remaining_ = frame_.length;
    state_ = state::payload;
    skip_ = false;

    if (closing_) {
        // Only the peer's close frame still matters.
        skip_ = !(frame_.op == opcode::close && frame_.length <= 125);
    } else {
        if (const violation v = check_header(frame_, role_); v != violation::none) {
            fail(v, ev);
            return true;
        }
        if (!is_control(frame_.op)) {
            const bool continuation = frame_.op == opcode::continuation;
            if (continuation != in_message_) {
                fail(continuation ? violation::unexpected_continuation
                                  : violation::expected_continuation,
                     ev);
                return true;
            }
            if (!continuation) {
                in_message_ = true;
                text_ = frame_.op == opcode::text;
                message_size_ = 0;
                utf8_.reset();
            }
            if (frame_.length > max_message_ - message_size_) {
                fail(violation::message_too_big, ev);
                return true;
            }
            message_size_ += frame_.length;
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
    const bool whole_frame = remaining_ == frame_.length && k == frame_.length;
    if (frame_.masked)
        mask_payload(p, k, frame_.mask, frame_.length - remaining_);
    remaining_ -= k;
    const std::string_view bytes(reinterpret_cast<const char*>(p), k);
    if (is_control(frame_.op)) {
        if (whole_frame)
            return end_of_frame(bytes, ev);
        control_.append(bytes);
        if (remaining_ == 0)
            end_of_frame(control_, ev);
        return;
    }
    if (text_ && !utf8_.feed(p, k))
        return fail(violation::invalid_utf8, ev);
    if (whole_frame && frame_.fin && message_.empty() && !appended)
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
    if (!is_control(frame_.op)) {
        if (!frame_.fin)
            return; // more fragments to come
        if (text_ && !utf8_.complete())
            return fail(violation::invalid_utf8, ev);
        in_message_ = false;
        ev = event{};
        ev.what = event::kind::message;
        ev.text = text_;
        ev.payload = payload;
        release_message_ = !message_.empty() || message_.capacity() > 15;
        return;
    }
    ev = event{};
    switch (frame_.op) {
    case opcode::ping:
        if (!closing_) {
            ev.what = event::kind::ping;
            ev.payload = payload;
        }
        return;
    case opcode::pong:
        if (!closing_) {
            ev.what = event::kind::pong;
            ev.payload = payload;
        }
        return;
    case opcode::close:
        return on_close(payload, ev);
    default:
        return;
    }
}

void frame_parser::on_close(std::string_view payload, event& ev) {
    const close_info c = parse_close_payload(payload);
    // A server answers a broken close as the violation it is (RFC 6455 7.4.1); a client reports
    // it as received, with the rule it breaks.
    if (!closing_ && role_ == role::server && c.problem != violation::none)
        return fail(c.problem, ev);
    closing_ = true;
    ev.what = event::kind::close;
    ev.code = c.code;
    ev.problem = c.problem;
    ev.payload = c.reason;
}

std::span<unsigned char> frame_parser::direct_buffer(std::size_t min_bytes) {
    if (state_ != state::payload || skip_ || is_control(frame_.op) || remaining_ < min_bytes ||
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

} // namespace chat::ws
