// Frame layout per RFC 6455 section 5.2.
#include "wire.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/core/detail/sha1.hpp>

#include <cctype>   // tolower
#include <charconv> // to_chars, from_chars
#include <cstring>  // memcpy

namespace chat::load {
namespace {

void append_header(std::string& out, opcode op, std::size_t len, std::uint32_t mask) {
    out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(op)));
    if (len < 126) {
        out.push_back(static_cast<char>(0x80 | len));
    } else if (len <= 0xFFFF) {
        out.push_back(static_cast<char>(0x80 | 126));
        out.push_back(static_cast<char>((len >> 8) & 0xFF));
        out.push_back(static_cast<char>(len & 0xFF));
    } else {
        out.push_back(static_cast<char>(0x80 | 127));
        for (int i = 7; i >= 0; --i)
            out.push_back(static_cast<char>((static_cast<std::uint64_t>(len) >> (8 * i)) & 0xFF));
    }
    for (int i = 3; i >= 0; --i)
        out.push_back(static_cast<char>((mask >> (8 * i)) & 0xFF));
}

void mask_tail(std::string& out, std::size_t from, std::uint32_t mask) {
    const unsigned char key[4] = {
        static_cast<unsigned char>(mask >> 24), static_cast<unsigned char>(mask >> 16),
        static_cast<unsigned char>(mask >> 8), static_cast<unsigned char>(mask)};
    for (std::size_t i = from, k = 0; i < out.size(); ++i, ++k)
        out[i] = static_cast<char>(static_cast<unsigned char>(out[i]) ^ key[k & 3]);
}

} // namespace

void append_frame(std::string& out, opcode op, std::string_view payload, std::uint32_t mask) {
    append_header(out, op, payload.size(), mask);
    const auto from = out.size();
    out.append(payload);
    mask_tail(out, from, mask);
}

void append_content_frame(std::string& out, std::string_view content, std::uint32_t mask) {
    static constexpr std::string_view head = "{\"content\":\"";
    static constexpr std::string_view tail = "\"}";
    append_header(out, opcode::text, head.size() + content.size() + tail.size(), mask);
    const auto from = out.size();
    out.append(head);
    out.append(content);
    out.append(tail);
    mask_tail(out, from, mask);
}

parse_status parse_frame(std::string_view data, frame& f, std::size_t& used,
                         std::size_t max_payload) {
    if (data.size() < 2)
        return parse_status::need_more;
    const auto b0 = static_cast<std::uint8_t>(data[0]);
    const auto b1 = static_cast<std::uint8_t>(data[1]);
    if ((b0 & 0x70) != 0 || (b1 & 0x80) != 0) // RSV bits, or a masked server frame
        return parse_status::protocol_error;
    f.fin = (b0 & 0x80) != 0;
    const auto op = b0 & 0x0F;
    if (op != 0 && op != 1 && op != 2 && op != 8 && op != 9 && op != 10)
        return parse_status::protocol_error;
    f.op = static_cast<opcode>(op);
    std::uint64_t len = b1 & 0x7F;
    std::size_t pos = 2;
    if (len == 126) {
        if (data.size() < 4)
            return parse_status::need_more;
        len = (static_cast<std::uint64_t>(static_cast<std::uint8_t>(data[2])) << 8) |
              static_cast<std::uint8_t>(data[3]);
        pos = 4;
    } else if (len == 127) {
        if (data.size() < 10)
            return parse_status::need_more;
        len = 0;
        for (int i = 2; i < 10; ++i)
            len = (len << 8) | static_cast<std::uint8_t>(data[static_cast<std::size_t>(i)]);
        pos = 10;
    }
    if (op >= 8 && (len > 125 || !f.fin))
        return parse_status::protocol_error;
    if (len > max_payload)
        return parse_status::protocol_error;
    if (data.size() - pos < len)
        return parse_status::need_more;
    f.payload = data.substr(pos, static_cast<std::size_t>(len));
    used = pos + static_cast<std::size_t>(len);
    return parse_status::complete;
}

parse_status assemble(const frame& f, std::string& partial, bool& fragmented, bool& binary,
                      std::string_view& message, std::size_t max_bytes) {
    if (f.op == opcode::continuation) {
        if (!fragmented || f.payload.size() > max_bytes - partial.size())
            return parse_status::protocol_error;
        partial.append(f.payload);
        if (!f.fin)
            return parse_status::need_more;
        fragmented = false;
        message = partial;
        return parse_status::complete;
    }
    if (fragmented || f.payload.size() > max_bytes)
        return parse_status::protocol_error;
    binary = f.op == opcode::binary;
    if (f.fin) {
        message = f.payload;
        return parse_status::complete;
    }
    fragmented = true;
    partial.assign(f.payload);
    return parse_status::need_more;
}

upgrade_status check_upgrade(std::string_view data, std::string_view accept,
                             std::size_t& head_len) {
    const auto end = data.find("\r\n\r\n");
    if (end == std::string_view::npos)
        return data.size() > max_upgrade_head ? upgrade_status::invalid : upgrade_status::need_more;
    if (end + 4 > max_upgrade_head)
        return upgrade_status::invalid;
    const auto head = data.substr(0, end + 2); // each header line ends in CRLF
    if (head.substr(0, 12) != "HTTP/1.1 101")
        return head.substr(0, 5) == "HTTP/" ? upgrade_status::rejected : upgrade_status::invalid;
    // The Sec-WebSocket-Accept header (name case-insensitive, value trimmed) must match.
    static constexpr std::string_view name = "sec-websocket-accept:";
    for (auto line = head.find("\r\n"); line != std::string_view::npos && line + 2 < head.size();
         line = head.find("\r\n", line + 2)) {
        const auto b = line + 2;
        if (head.size() - b < name.size())
            break;
        bool match = true;
        for (std::size_t i = 0; match && i < name.size(); ++i)
            match = std::tolower(static_cast<unsigned char>(head[b + i])) == name[i];
        if (!match)
            continue;
        auto v = b + name.size();
        auto e = head.find("\r\n", v);
        while (v < e && (head[v] == ' ' || head[v] == '\t'))
            ++v;
        while (e > v && (head[e - 1] == ' ' || head[e - 1] == '\t'))
            --e;
        if (head.substr(v, e - v) != accept)
            return upgrade_status::invalid;
        head_len = end + 4;
        return upgrade_status::switched;
    }
    return upgrade_status::invalid;
}

std::string websocket_accept(std::string_view key) {
    namespace detail = boost::beast::detail;
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    detail::sha1_context ctx;
    detail::init(ctx);
    detail::update(ctx, key.data(), key.size());
    detail::update(ctx, guid.data(), guid.size());
    unsigned char digest[detail::sha1_context::digest_size];
    detail::finish(ctx, digest);
    char out[64];
    const auto n = detail::base64::encode(out, digest, sizeof digest);
    return std::string(out, n);
}

std::string websocket_key(std::uint64_t a, std::uint64_t b) {
    unsigned char nonce[16];
    std::memcpy(nonce, &a, 8);
    std::memcpy(nonce + 8, &b, 8);
    char key[32];
    const auto n = boost::beast::detail::base64::encode(key, nonce, sizeof nonce);
    return std::string(key, n);
}

std::string upgrade_request(std::string_view target, std::string_view host, std::string_view key,
                            std::string_view extra_headers) {
    std::string r;
    r.reserve(160 + target.size() + host.size() + extra_headers.size());
    r.append("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
    r.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ").append(key);
    r.append("\r\nSec-WebSocket-Version: 13\r\nUser-Agent: chat-load\r\n").append(extra_headers);
    r.append("\r\n");
    return r;
}

std::string close_payload(int code, std::string_view reason) {
    std::string p;
    p.push_back(static_cast<char>((code >> 8) & 0xFF));
    p.push_back(static_cast<char>(code & 0xFF));
    p.append(reason.substr(0, 123));
    return p;
}

void encode_payload(std::string& out, const payload& p, std::size_t size) {
    out.assign("L|");
    out.append(p.run.substr(0, 16));
    auto num = [&](auto v) {
        char b[24];
        const auto r = std::to_chars(b, b + sizeof b, v);
        out.push_back('|');
        out.append(b, static_cast<std::size_t>(r.ptr - b));
    };
    num(p.sender);
    num(p.seq);
    num(p.intended_us);
    num(p.sent_us);
    out.push_back('|');
    if (size > out.size())
        out.append(size - out.size(), 'x');
}

bool decode_payload(std::string_view c, payload& p) {
    if (c.size() < 4 || c[0] != 'L' || c[1] != '|')
        return false;
    const char* it = c.data() + 2;
    const char* end = c.data() + c.size();
    const char* bar =
        static_cast<const char*>(std::memchr(it, '|', static_cast<std::size_t>(end - it)));
    if (!bar)
        return false;
    p.run = std::string_view(it, static_cast<std::size_t>(bar - it));
    it = bar + 1;
    auto num = [&](auto& v) {
        auto r = std::from_chars(it, end, v);
        if (r.ec != std::errc{} || r.ptr == end || *r.ptr != '|')
            return false;
        it = r.ptr + 1;
        return true;
    };
    return num(p.sender) && num(p.seq) && num(p.intended_us) && num(p.sent_us);
}

bool find_content(std::string_view m, std::string_view& content) {
    static constexpr std::string_view key = "\"content\"";
    auto at = m.find(key);
    if (at == std::string_view::npos)
        return false;
    at += key.size();
    while (at < m.size() && (m[at] == ' ' || m[at] == ':' || m[at] == '\t'))
        ++at;
    if (at >= m.size() || m[at] != '"')
        return false;
    ++at;
    const auto close = m.find('"', at);
    if (close == std::string_view::npos)
        return false;
    content = m.substr(at, close - at);
    return content.find('\\') == std::string_view::npos;
}

} // namespace chat::load
