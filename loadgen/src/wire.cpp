// chat-load's side of RFC 6455 (on the shared codec, chat/ws_frame.hpp) and its measurement
// payload.
#include "wire.hpp"

#include <array>    // array
#include <cctype>   // tolower
#include <charconv> // to_chars, from_chars
#include <cstring>  // memcpy

namespace chat::load {

void append_content_frame(std::string& out, std::string_view content, const ws::mask_key& mask) {
    static constexpr std::string_view head = "{\"content\":\"";
    static constexpr std::string_view tail = "\"}";
    ws::frame_header h;
    h.op = opcode::text;
    h.masked = true;
    h.mask = mask;
    h.length = head.size() + content.size() + tail.size();
    ws::append_header(out, h);
    const auto from = out.size();
    out.append(head);
    out.append(content);
    out.append(tail);
    ws::mask_payload(reinterpret_cast<unsigned char*>(out.data()) + from, out.size() - from, mask);
}

parse_status parse_frame(std::string_view data, frame& f, std::size_t& used,
                         std::size_t max_payload) {
    ws::frame_header h;
    const std::size_t pos =
        ws::decode_header(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h);
    if (pos == 0)
        return parse_status::need_more;
    const auto v = ws::check_header(h, ws::role::client);
    if ((v != ws::violation::none && v != ws::violation::non_minimal_length) ||
        h.length > max_payload)
        return parse_status::protocol_error;
    if (data.size() - pos < h.length)
        return parse_status::need_more;
    f.fin = h.fin;
    f.op = h.op;
    f.payload = data.substr(pos, static_cast<std::size_t>(h.length));
    used = pos + static_cast<std::size_t>(h.length);
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

std::string websocket_key(std::uint64_t a, std::uint64_t b) {
    std::array<unsigned char, 16> nonce{};
    std::memcpy(nonce.data(), &a, 8);
    std::memcpy(nonce.data() + 8, &b, 8);
    return ws::client_key(nonce);
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
