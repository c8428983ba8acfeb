// Unit tests of ws_frame.hpp: the server's RFC 6455 framing (SPEC.md WS-1..WS-5).
#include "ws_frame.hpp"

#include <catch2/catch.hpp>

#include <cstdint> // uint8_t, uint64_t
#include <string>  // string
#include <vector>  // vector

namespace ws = chat_server::ws;
using event = ws::frame_parser::event;
using kind = event::kind;

namespace {

// A client frame: FIN (unless `fin` is false), `rsv` in bits 4..6, masked with 1 2 3 4 unless
// `masked` is false.
std::string frame(std::uint8_t op, const std::string& payload, bool fin = true, bool masked = true,
                  std::uint8_t rsv = 0) {
    std::string f;
    f += static_cast<char>((fin ? 0x80 : 0) | (rsv << 4) | op);
    const std::uint64_t n = payload.size();
    const char mask_bit = masked ? '\x80' : 0;
    if (n < 126) {
        f += static_cast<char>(mask_bit | static_cast<char>(n));
    } else if (n < 65536) {
        f += static_cast<char>(mask_bit | 126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n & 0xFF);
    } else {
        f += static_cast<char>(mask_bit | 127);
        for (int i = 7; i >= 0; --i)
            f += static_cast<char>((n >> (8 * i)) & 0xFF);
    }
    const unsigned char key[4] = {1, 2, 3, 4};
    if (masked)
        f.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        f += masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i];
    return f;
}

struct seen {
    kind what;
    bool text;
    std::uint16_t code;
    std::string payload;
};

// Feeds `bytes` to `p` in pieces of `chunk` bytes and records every event.
std::vector<seen> feed(ws::frame_parser& p, std::string bytes, std::size_t chunk = 1 << 20) {
    std::vector<seen> out;
    std::size_t at = 0;
    while (at < bytes.size()) {
        const std::size_t n = std::min(chunk, bytes.size() - at);
        auto* data = reinterpret_cast<unsigned char*>(bytes.data()) + at;
        std::size_t used = 0;
        while (used < n) {
            event ev;
            used += p.parse(data + used, n - used, ev);
            if (ev.what != kind::none)
                out.push_back({ev.what, ev.text, ev.code, std::string(ev.payload)});
        }
        at += n;
    }
    return out;
}

std::vector<seen> feed_all(std::string bytes, std::uint64_t limit = 65536,
                           std::size_t chunk = 1 << 20) {
    ws::frame_parser p(limit);
    return feed(p, std::move(bytes), chunk);
}

} // namespace

TEST_CASE("Frames: the accept key of RFC 6455's example, and which client keys are valid",
          "[ws_frame]") {
    // RFC 6455 1.3 and 4.2.2 (the figure "s3pPLMBiTxaQ9kYGzYzZgK+xOo0=" seen in some copies is
    // a typo: it is not base64 of a SHA-1 digest).
    CHECK(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK(ws::valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
    CHECK_FALSE(ws::valid_client_key(""));
    CHECK_FALSE(ws::valid_client_key("dGhlIHNhbXBsZSBub25jZQ"));
    CHECK_FALSE(ws::valid_client_key("dGhlIHNhbXBsZSBub25j*Q=="));
}

TEST_CASE("Frames: server headers use the 7-, 16- and 64-bit lengths at 125/126/65535/65536",
          "[ws_frame]") {
    unsigned char h[ws::max_header_bytes];
    CHECK(ws::encode_header(h, ws::op_text, 125) == 2);
    CHECK(h[0] == 0x81);
    CHECK(h[1] == 125);
    CHECK(ws::encode_header(h, ws::op_text, 126) == 4);
    CHECK((h[1] == 126 && h[2] == 0 && h[3] == 126));
    CHECK(ws::encode_header(h, ws::op_pong, 65535) == 4);
    CHECK((h[0] == 0x8A && h[2] == 0xFF && h[3] == 0xFF));
    CHECK(ws::encode_header(h, ws::op_close, 65536) == 10);
    CHECK((h[0] == 0x88 && h[1] == 127 && h[7] == 1 && h[8] == 0 && h[9] == 0));
}

TEST_CASE("Frames: a masked text frame is one message, an unmasked one a protocol error",
          "[ws_frame]") {
    auto got = feed_all(frame(ws::op_text, "{\"content\":\"hi\"}"));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::message);
    CHECK(got[0].text);
    CHECK(got[0].payload == "{\"content\":\"hi\"}");

    got = feed_all(frame(ws::op_text, "x", true, false));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::error);
    CHECK(got[0].code == 1002);

    got = feed_all(frame(ws::op_binary, std::string("\xFF\x00", 2)));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::message);
    CHECK_FALSE(got[0].text);
    CHECK(got[0].payload == std::string("\xFF\x00", 2));
}

TEST_CASE("Frames: payloads of 0, 125, 126, 65535 and 65536 bytes, read in any chunk size",
          "[ws_frame]") {
    for (std::size_t size : {0, 1, 125, 126, 127, 65535, 65536}) {
        const std::string payload(size, 'a');
        for (std::size_t chunk : {1, 2, 3, 7, 256, 1 << 20}) {
            if (chunk < 7 && size > 1000)
                continue;
            INFO("size " << size << ", chunk " << chunk);
            auto got =
                feed_all(frame(ws::op_text, payload) + frame(ws::op_ping, "p"), 1 << 20, chunk);
            REQUIRE(got.size() == 2);
            CHECK(got[0].what == kind::message);
            CHECK(got[0].payload == payload);
            CHECK(got[1].what == kind::ping);
            CHECK(got[1].payload == "p");
        }
    }
}

TEST_CASE("Frames: a long frame is read straight into the message buffer", "[ws_frame]") {
    ws::frame_parser p(65536);
    const std::string payload(40000, 'd');
    std::string bytes = frame(ws::op_text, payload);
    // The header and 100 payload bytes arrive in the read buffer, the rest directly.
    auto got = feed(p, bytes.substr(0, 108));
    CHECK(got.empty());
    std::size_t at = 108;
    event ev;
    while (true) {
        auto span = p.direct_buffer(256);
        REQUIRE(!span.empty());
        const std::size_t n = std::min<std::size_t>(span.size(), 5000);
        for (std::size_t i = 0; i < n; ++i)
            span[i] = static_cast<unsigned char>(bytes[at + i]);
        at += n;
        p.direct_commit(n, ev);
        if (ev.what != kind::none)
            break;
    }
    CHECK(at == bytes.size());
    CHECK(ev.what == kind::message);
    CHECK(ev.payload == payload);
    // The buffer is released once the message is handled.
    got = feed(p, frame(ws::op_text, "{}"));
    REQUIRE(got.size() == 1);
    CHECK(p.buffered_bytes() == 0);
}

TEST_CASE("Frames: fragments are reassembled, with control frames between them", "[ws_frame]") {
    const std::string bytes =
        frame(ws::op_text, "{\"content\":", false) + frame(ws::op_ping, "between") +
        frame(ws::op_continuation, "\"x", false) + frame(ws::op_continuation, "\"}", true);
    for (std::size_t chunk : {1, 5, 1 << 20}) {
        auto got = feed_all(bytes, 65536, chunk);
        REQUIRE(got.size() == 2);
        CHECK(got[0].what == kind::ping);
        CHECK(got[0].payload == "between");
        CHECK(got[1].what == kind::message);
        CHECK(got[1].text);
        CHECK(got[1].payload == "{\"content\":\"x\"}");
    }
}

TEST_CASE("Frames: protocol errors close with 1002", "[ws_frame]") {
    const std::vector<std::pair<const char*, std::string>> cases{
        {"unmasked", frame(ws::op_text, "x", true, false)},
        {"reserved opcode 3", frame(3, "x")},
        {"reserved control opcode 11", frame(11, "")},
        {"RSV1", frame(ws::op_text, "x", true, true, 4)},
        {"continuation without a start", frame(ws::op_continuation, "x")},
        {"126-byte ping", frame(ws::op_ping, std::string(126, 'p'))},
        {"fragmented ping", frame(ws::op_ping, "p", false)},
        {"new message inside a fragmented one",
         frame(ws::op_text, "a", false) + frame(ws::op_text, "b")},
        {"close with a 1-byte payload", frame(ws::op_close, "\x03")},
        {"close with code 999", frame(ws::op_close, std::string("\x03\xE7", 2))},
        {"close with code 1005", frame(ws::op_close, std::string("\x03\xED", 2))},
        {"16-bit length below 126", std::string("\x81\xFE\x00\x05\x01\x02\x03\x04xxxxx", 13)},
    };
    for (const auto& [name, bytes] : cases) {
        INFO(name);
        auto got = feed_all(bytes);
        REQUIRE(!got.empty());
        CHECK(got[0].what == kind::error);
        CHECK(got[0].code == 1002);
    }
}

TEST_CASE("Frames: after an error only the peer's close frame is reported", "[ws_frame]") {
    // An unmasked frame, more frames, then the close: the parser skips to the close.
    auto got = feed_all(frame(ws::op_text, "x", true, false) + frame(ws::op_text, "\xFF") +
                        frame(ws::op_ping, "p") + frame(3, "junk") +
                        frame(ws::op_close, std::string("\x03\xE8", 2)));
    REQUIRE(got.size() == 2);
    CHECK(got[0].code == 1002);
    CHECK(got[1].what == kind::close);
    CHECK(got[1].code == 1000);

    // A frame over the limit: its payload is skipped without being stored.
    ws::frame_parser p(1000);
    got = feed(p, frame(ws::op_text, std::string(5000, 'x')) + frame(ws::op_close, ""), 256);
    REQUIRE(got.size() == 2);
    CHECK(got[0].code == 1009);
    CHECK(got[1].what == kind::close);
    CHECK(got[1].code == ws::close_code::no_status);
    CHECK(p.buffered_bytes() == 0);
}

TEST_CASE("Frames: a close frame's code and reason", "[ws_frame]") {
    auto got = feed_all(frame(ws::op_close, std::string("\x03\xE9going", 7)));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::close);
    CHECK(got[0].code == 1001);
    CHECK(got[0].payload == "going");
    got = feed_all(frame(ws::op_close, std::string("\x03\xE8\xC3\x28", 4)));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::error);
    CHECK(got[0].code == 1007);
}

TEST_CASE("Frames: messages over the limit close with 1009, summed over fragments", "[ws_frame]") {
    auto got = feed_all(frame(ws::op_text, std::string(100, 'a')), 100);
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::message);
    got = feed_all(frame(ws::op_text, std::string(101, 'a')), 100);
    REQUIRE(got.size() == 1);
    CHECK(got[0].code == 1009);
    got = feed_all(frame(ws::op_text, std::string(60, 'a'), false) +
                       frame(ws::op_continuation, std::string(41, 'a')),
                   100);
    REQUIRE(got.size() == 1);
    CHECK(got[0].code == 1009);
    // A header announcing 2^62 bytes is refused at once.
    got = feed_all(std::string("\x81\xFF\x40\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04", 14));
    REQUIRE(got.size() == 1);
    CHECK(got[0].code == 1009);
}

TEST_CASE("Frames: UTF-8 split across fragments is valid; invalid UTF-8 closes with 1007",
          "[ws_frame]") {
    // U+20AC (E2 82 AC) and U+1F600 (F0 9F 98 80) split between fragments.
    auto got = feed_all(frame(ws::op_text, "\xE2\x82", false) +
                        frame(ws::op_continuation, "\xAC\xF0\x9F", false) +
                        frame(ws::op_continuation, "\x98\x80"));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::message);
    CHECK(got[0].payload == "\xE2\x82\xAC\xF0\x9F\x98\x80");

    const std::vector<std::pair<const char*, std::string>> bad{
        {"invalid continuation across fragments",
         frame(ws::op_text, "\xE2\x82", false) + frame(ws::op_continuation, "\x28")},
        {"truncated at the end of the message", frame(ws::op_text, "ok\xE2\x82")},
        {"overlong", frame(ws::op_text, "\xC0\x80")},
        {"overlong 3-byte", frame(ws::op_text, "\xE0\x80\x80")},
        {"surrogate", frame(ws::op_text, "\xED\xA0\x80")},
        {"above U+10FFFF", frame(ws::op_text, "\xF4\x90\x80\x80")},
        {"stray continuation", frame(ws::op_text, "\x80")},
    };
    for (const auto& [name, bytes] : bad) {
        INFO(name);
        for (std::size_t chunk : {1, 1 << 20}) {
            auto got_bad = feed_all(bytes, 65536, chunk);
            REQUIRE(!got_bad.empty());
            CHECK(got_bad[0].what == kind::error);
            CHECK(got_bad[0].code == 1007);
        }
    }
    // Binary messages are not UTF-8 checked.
    got = feed_all(frame(ws::op_binary, "\xC0\x80"));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::message);
}

TEST_CASE("Frames: the UTF-8 validator accepts every boundary code point", "[ws_frame]") {
    for (const std::string s :
         {"\x7F", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80",
          "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF"}) {
        ws::utf8_validator v;
        for (char c : s) {
            const auto b = static_cast<unsigned char>(c);
            REQUIRE(v.feed(&b, 1));
        }
        CHECK(v.complete());
    }
}
