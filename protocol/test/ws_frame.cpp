// Unit tests of chat/ws_frame.hpp: RFC 6455 framing for both roles (SPEC.md WS-1..WS-5).
#include "chat/ws_frame.hpp"

#include <catch2/catch.hpp>

#include <array>    // array
#include <cstdint>  // uint8_t, uint64_t
#include <optional> // optional
#include <string>   // string
#include <utility>  // pair
#include <vector>   // vector

namespace ws = chat::ws;
using event = ws::frame_parser::event;
using kind = event::kind;
using op = ws::opcode;

namespace {

constexpr ws::opcode reserved(int v) {
    return static_cast<ws::opcode>(v);
}

// A frame with FIN (unless `fin` is false) and `rsv`, masked with 1 2 3 4 unless `masked` is
// false (a client's frame by default).
std::string frame(ws::opcode o, const std::string& payload, bool fin = true, bool masked = true,
                  std::uint8_t rsv = 0) {
    ws::frame_header h;
    h.fin = fin;
    h.rsv = rsv;
    h.op = o;
    h.masked = masked;
    h.mask = {1, 2, 3, 4};
    h.length = payload.size();
    std::string f;
    ws::append_header(f, h);
    const std::size_t at = f.size();
    f += payload;
    if (masked)
        ws::mask_payload(reinterpret_cast<unsigned char*>(f.data()) + at, payload.size(), h.mask);
    return f;
}

// A server's frame: never masked.
std::string frame_from_server(ws::opcode o, const std::string& payload, bool fin = true,
                              std::uint8_t rsv = 0) {
    return frame(o, payload, fin, false, rsv);
}

struct seen {
    kind what;
    bool text;
    std::uint16_t code;
    std::string payload;
    ws::violation problem = ws::violation::none;
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
                out.push_back({ev.what, ev.text, ev.code, std::string(ev.payload), ev.problem});
        }
        at += n;
    }
    return out;
}

std::vector<seen> feed_all(std::string bytes, std::uint64_t limit = 65536,
                           std::size_t chunk = 1 << 20, ws::role r = ws::role::server) {
    ws::frame_parser p(limit, r);
    return feed(p, std::move(bytes), chunk);
}

} // namespace

TEST_CASE("ws_frame: the accept key of RFC 6455's example, and which client keys are valid",
          "[ws_frame]") {
    // RFC 6455 1.3 and 4.2.2 (the figure "s3pPLMBiTxaQ9kYGzYzZgK+xOo0=" seen in some copies is
    // a typo: it is not base64 of a SHA-1 digest).
    CHECK(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK(ws::valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
    CHECK_FALSE(ws::valid_client_key(""));
    CHECK_FALSE(ws::valid_client_key("dGhlIHNhbXBsZSBub25jZQ"));
    CHECK_FALSE(ws::valid_client_key("dGhlIHNhbXBsZSBub25j*Q=="));
}

TEST_CASE("ws_frame: server headers use the 7-, 16- and 64-bit lengths at 125/126/65535/65536",
          "[ws_frame]") {
    unsigned char h[ws::max_header_bytes];
    CHECK(ws::encode_header(h, op::text, 125) == 2);
    CHECK(h[0] == 0x81);
    CHECK(h[1] == 125);
    CHECK(ws::encode_header(h, op::text, 126) == 4);
    CHECK((h[1] == 126 && h[2] == 0 && h[3] == 126));
    CHECK(ws::encode_header(h, op::pong, 65535) == 4);
    CHECK((h[0] == 0x8A && h[2] == 0xFF && h[3] == 0xFF));
    CHECK(ws::encode_header(h, op::close, 65536) == 10);
    CHECK((h[0] == 0x88 && h[1] == 127 && h[7] == 1 && h[8] == 0 && h[9] == 0));
}

TEST_CASE("ws_frame: a masked text frame is one message, an unmasked one a protocol error",
          "[ws_frame]") {
    auto got = feed_all(frame(op::text, "{\"content\":\"hi\"}"));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::message);
    CHECK(got[0].text);
    CHECK(got[0].payload == "{\"content\":\"hi\"}");

    got = feed_all(frame(op::text, "x", true, false));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::error);
    CHECK(got[0].code == 1002);

    got = feed_all(frame(op::binary, std::string("\xFF\x00", 2)));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::message);
    CHECK_FALSE(got[0].text);
    CHECK(got[0].payload == std::string("\xFF\x00", 2));
}

TEST_CASE("ws_frame: payloads of 0, 125, 126, 65535 and 65536 bytes, read in any chunk size",
          "[ws_frame]") {
    for (std::size_t size : {0, 1, 125, 126, 127, 65535, 65536}) {
        const std::string payload(size, 'a');
        for (std::size_t chunk : {1, 2, 3, 7, 256, 1 << 20}) {
            if (chunk < 7 && size > 1000)
                continue;
            INFO("size " << size << ", chunk " << chunk);
            auto got = feed_all(frame(op::text, payload) + frame(op::ping, "p"), 1 << 20, chunk);
            REQUIRE(got.size() == 2);
            CHECK(got[0].what == kind::message);
            CHECK(got[0].payload == payload);
            CHECK(got[1].what == kind::ping);
            CHECK(got[1].payload == "p");
        }
    }
}

TEST_CASE("ws_frame: a long frame is read straight into the message buffer", "[ws_frame]") {
    ws::frame_parser p(65536);
    const std::string payload(40000, 'd');
    std::string bytes = frame(op::text, payload);
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
    got = feed(p, frame(op::text, "{}"));
    REQUIRE(got.size() == 1);
    CHECK(p.buffered_bytes() == 0);
}

TEST_CASE("ws_frame: fragments are reassembled, with control frames between them", "[ws_frame]") {
    const std::string bytes = frame(op::text, "{\"content\":", false) + frame(op::ping, "between") +
                              frame(op::continuation, "\"x", false) +
                              frame(op::continuation, "\"}", true);
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

TEST_CASE("ws_frame: protocol errors close with 1002", "[ws_frame]") {
    const std::vector<std::pair<const char*, std::string>> cases{
        {"unmasked", frame(op::text, "x", true, false)},
        {"reserved opcode 3", frame(reserved(3), "x")},
        {"reserved control opcode 11", frame(reserved(11), "")},
        {"RSV1", frame(op::text, "x", true, true, 4)},
        {"continuation without a start", frame(op::continuation, "x")},
        {"126-byte ping", frame(op::ping, std::string(126, 'p'))},
        {"fragmented ping", frame(op::ping, "p", false)},
        {"new message inside a fragmented one", frame(op::text, "a", false) + frame(op::text, "b")},
        {"close with a 1-byte payload", frame(op::close, "\x03")},
        {"close with code 999", frame(op::close, std::string("\x03\xE7", 2))},
        {"close with code 1005", frame(op::close, std::string("\x03\xED", 2))},
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

TEST_CASE("ws_frame: after an error only the peer's close frame is reported", "[ws_frame]") {
    // An unmasked frame, more frames, then the close: the parser skips to the close.
    auto got = feed_all(frame(op::text, "x", true, false) + frame(op::text, "\xFF") +
                        frame(op::ping, "p") + frame(reserved(3), "junk") +
                        frame(op::close, std::string("\x03\xE8", 2)));
    REQUIRE(got.size() == 2);
    CHECK(got[0].code == 1002);
    CHECK(got[1].what == kind::close);
    CHECK(got[1].code == 1000);

    // A frame over the limit: its payload is skipped without being stored.
    ws::frame_parser p(1000);
    got = feed(p, frame(op::text, std::string(5000, 'x')) + frame(op::close, ""), 256);
    REQUIRE(got.size() == 2);
    CHECK(got[0].code == 1009);
    CHECK(got[1].what == kind::close);
    CHECK(got[1].code == ws::close_code::no_status);
    CHECK(p.buffered_bytes() == 0);
}

TEST_CASE("ws_frame: a close frame's code and reason", "[ws_frame]") {
    auto got = feed_all(frame(op::close, std::string("\x03\xE9going", 7)));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::close);
    CHECK(got[0].code == 1001);
    CHECK(got[0].payload == "going");
    got = feed_all(frame(op::close, std::string("\x03\xE8\xC3\x28", 4)));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::error);
    CHECK(got[0].code == 1007);
}

TEST_CASE("ws_frame: messages over the limit close with 1009, summed over fragments",
          "[ws_frame]") {
    auto got = feed_all(frame(op::text, std::string(100, 'a')), 100);
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::message);
    got = feed_all(frame(op::text, std::string(101, 'a')), 100);
    REQUIRE(got.size() == 1);
    CHECK(got[0].code == 1009);
    got = feed_all(frame(op::text, std::string(60, 'a'), false) +
                       frame(op::continuation, std::string(41, 'a')),
                   100);
    REQUIRE(got.size() == 1);
    CHECK(got[0].code == 1009);
    // A header announcing 2^62 bytes is refused at once.
    got = feed_all(std::string("\x81\xFF\x40\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04", 14));
    REQUIRE(got.size() == 1);
    CHECK(got[0].code == 1009);
}

TEST_CASE("ws_frame: UTF-8 split across fragments is valid; invalid UTF-8 closes with 1007",
          "[ws_frame]") {
    // U+20AC (E2 82 AC) and U+1F600 (F0 9F 98 80) split between fragments.
    auto got = feed_all(frame(op::text, "\xE2\x82", false) +
                        frame(op::continuation, "\xAC\xF0\x9F", false) +
                        frame(op::continuation, "\x98\x80"));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::message);
    CHECK(got[0].payload == "\xE2\x82\xAC\xF0\x9F\x98\x80");

    const std::vector<std::pair<const char*, std::string>> bad{
        {"invalid continuation across fragments",
         frame(op::text, "\xE2\x82", false) + frame(op::continuation, "\x28")},
        {"truncated at the end of the message", frame(op::text, "ok\xE2\x82")},
        {"overlong", frame(op::text, "\xC0\x80")},
        {"overlong 3-byte", frame(op::text, "\xE0\x80\x80")},
        {"surrogate", frame(op::text, "\xED\xA0\x80")},
        {"above U+10FFFF", frame(op::text, "\xF4\x90\x80\x80")},
        {"stray continuation", frame(op::text, "\x80")},
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
    got = feed_all(frame(op::binary, "\xC0\x80"));
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::message);
}

TEST_CASE("ws_frame: the UTF-8 validator accepts every boundary code point", "[ws_frame]") {
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

// --- Both roles ----------------------------------------------------------------------------

TEST_CASE("ws_frame: the examples of RFC 6455 section 5.7", "[ws_frame]") {
    using bytes = std::string;
    const bytes hello_unmasked("\x81\x05\x48\x65\x6c\x6c\x6f", 7);
    const bytes hello_masked("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
    const bytes hel_lo("\x01\x03\x48\x65\x6c\x80\x02\x6c\x6f", 9);
    const bytes ping_unmasked("\x89\x05\x48\x65\x6c\x6c\x6f", 7);
    const bytes pong_masked("\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);

    // Serialising gives the same bytes.
    std::string out;
    ws::append_frame(out, op::text, true, "Hello");
    CHECK(out == hello_unmasked);
    out.clear();
    ws::append_frame(out, op::text, true, "Hello", ws::mask_key{0x37, 0xfa, 0x21, 0x3d});
    CHECK(out == hello_masked);
    out.clear();
    ws::append_frame(out, op::text, false, "Hel");
    ws::append_frame(out, op::continuation, true, "lo");
    CHECK(out == hel_lo);
    out.clear();
    ws::append_frame(out, op::pong, true, "Hello", ws::to_mask_key(0x37fa213d));
    CHECK(out == pong_masked);
    out.clear();
    ws::append_frame(out, op::binary, true, std::string(256, 'b'));
    CHECK(out.substr(0, 4) == bytes("\x82\x7E\x01\x00", 4));
    out.clear();
    ws::append_frame(out, op::binary, true, std::string(65536, 'b'));
    CHECK(out.substr(0, 10) == bytes("\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10));

    // A client parses the unmasked ones, a server the masked ones.
    for (const auto& [b, r] :
         std::vector<std::pair<bytes, ws::role>>{{hello_unmasked, ws::role::client},
                                                 {hello_masked, ws::role::server},
                                                 {hel_lo, ws::role::client}}) {
        auto got = feed_all(b, 65536, 1 << 20, r);
        REQUIRE(got.size() == 1);
        CHECK(got[0].what == kind::message);
        CHECK(got[0].payload == "Hello");
    }
    auto got = feed_all(ping_unmasked, 65536, 1 << 20, ws::role::client);
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::ping);
    CHECK(got[0].payload == "Hello");
    got = feed_all(pong_masked, 65536, 1 << 20, ws::role::server);
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::pong);
    CHECK(got[0].payload == "Hello");
    // Each role refuses the other's masking.
    got = feed_all(hello_masked, 65536, 1 << 20, ws::role::client);
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::error);
    CHECK(got[0].problem == ws::violation::masked_server_frame);
    got = feed_all(hello_unmasked, 65536, 1 << 20, ws::role::server);
    REQUIRE(got.size() == 1);
    CHECK(got[0].problem == ws::violation::unmasked_client_frame);
}

TEST_CASE("ws_frame: round trips for every length form, masked and not, in any chunk size",
          "[ws_frame]") {
    for (const ws::role r : {ws::role::server, ws::role::client}) {
        const bool mask = r == ws::role::server; // what the peer sends
        for (std::size_t size : {0, 1, 125, 126, 65535, 65536, 70000}) {
            std::string payload(size, '\0');
            for (std::size_t i = 0; i < size; ++i)
                payload[i] = static_cast<char>('a' + i % 26);
            std::string wire;
            std::optional<ws::mask_key> key;
            if (mask)
                key = ws::mask_key{0xA1, 0x00, 0xFF, 0x5C};
            ws::append_frame(wire, op::binary, true, payload, key);
            const std::size_t header = size < 126 ? 2 : size < 65536 ? 4 : 10;
            CHECK(wire.size() == header + (mask ? 4 : 0) + size);
            ws::frame_header h;
            REQUIRE(ws::decode_header(reinterpret_cast<const unsigned char*>(wire.data()),
                                      wire.size(), h) == header + (mask ? 4 : 0));
            CHECK(h.length == size);
            CHECK(h.masked == mask);
            CHECK(h.form == (size < 126     ? ws::length_form::bits7
                             : size < 65536 ? ws::length_form::bits16
                                            : ws::length_form::bits64));
            CHECK(ws::check_header(h, r) == ws::violation::none);
            for (std::size_t chunk : {3, 1000, 1 << 20}) {
                INFO("role " << static_cast<int>(r) << ", size " << size << ", chunk " << chunk);
                auto got = feed_all(wire, 1 << 20, chunk, r);
                REQUIRE(got.size() == 1);
                CHECK(got[0].what == kind::message);
                CHECK_FALSE(got[0].text);
                CHECK(got[0].payload == payload);
            }
        }
    }
    // A forced long form is written as asked, and parsed as a violation.
    ws::frame_header h;
    h.length = 5;
    h.form = ws::length_form::bits64;
    std::string wire;
    ws::append_header(wire, h);
    CHECK(wire.size() == 10);
    auto got = feed_all(wire + "hello", 65536, 1 << 20, ws::role::client);
    REQUIRE(got.size() == 1);
    CHECK(got[0].problem == ws::violation::non_minimal_length);
}

TEST_CASE("ws_frame: a client reassembles fragments with pings, pongs between them", "[ws_frame]") {
    const std::string bytes =
        frame_from_server(op::text, "\xE2\x82", false) + frame_from_server(op::ping, "p1") +
        frame_from_server(op::continuation, "\xAC", false) + frame_from_server(op::pong, "") +
        frame_from_server(op::ping, "p2") + frame_from_server(op::continuation, "!");
    for (std::size_t chunk : {1, 2, 5, 1 << 20}) {
        INFO("chunk " << chunk);
        auto got = feed_all(bytes, 65536, chunk, ws::role::client);
        REQUIRE(got.size() == 4);
        CHECK(got[0].what == kind::ping);
        CHECK(got[0].payload == "p1");
        CHECK(got[1].what == kind::pong);
        CHECK(got[2].what == kind::ping);
        CHECK(got[2].payload == "p2");
        CHECK(got[3].what == kind::message);
        CHECK(got[3].text);
        CHECK(got[3].payload == "\xE2\x82\xAC!");
    }
}

TEST_CASE("ws_frame: the observer sees every frame as it arrived", "[ws_frame]") {
    ws::frame_parser p(65536, ws::role::client);
    std::vector<ws::frame_header> frames;
    p.set_observer([&](const ws::frame_header& h) { frames.push_back(h); });
    // Fragment, ping, a masked frame (an error), then junk and a close after the error.
    auto got =
        feed(p, frame_from_server(op::text, "ab", false) + frame_from_server(op::ping, "") +
                    frame(op::continuation, "cd") + frame_from_server(reserved(3), "x", true, 5) +
                    frame_from_server(op::close, std::string("\x03\xE8", 2)));
    REQUIRE(frames.size() == 5);
    CHECK((frames[0].op == op::text && !frames[0].fin && frames[0].length == 2));
    CHECK((frames[1].op == op::ping && frames[1].fin && frames[1].length == 0));
    CHECK((frames[2].op == op::continuation && frames[2].masked));
    CHECK(frames[2].mask == ws::mask_key{1, 2, 3, 4});
    CHECK((frames[3].op == reserved(3) && frames[3].rsv == 5 && frames[3].header_bytes == 2));
    CHECK(frames[4].op == op::close);
    REQUIRE(got.size() == 3);
    CHECK(got[0].what == kind::ping);
    CHECK(got[1].what == kind::error);
    CHECK(got[1].problem == ws::violation::masked_server_frame);
    CHECK(got[2].what == kind::close);
    CHECK(got[2].code == 1000);
}

TEST_CASE("ws_frame: which close codes may be on the wire (RFC 6455 7.4.1, 7.4.2)", "[ws_frame]") {
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                     3999, 4000, 4999})
        CHECK(ws::close_code_allowed(static_cast<std::uint16_t>(code)));
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535})
        CHECK_FALSE(ws::close_code_allowed(static_cast<std::uint16_t>(code)));
    // close_payload: code big-endian, reason cut to 123 bytes at a code point boundary.
    CHECK(ws::close_payload(1000) == std::string("\x03\xE8", 2));
    CHECK(ws::close_payload(4000, "bye") == std::string("\x0F\xA0"
                                                        "bye",
                                                        5));
    std::string euros;
    for (int i = 0; i < 50; ++i)
        euros += "\xE2\x82\xAC"; // 150 bytes
    const auto cut = ws::close_payload(1000, euros);
    CHECK(cut.size() == 2 + 123);
    CHECK(ws::is_valid_utf8(cut.substr(2)));
    const auto cut2 = ws::close_payload(1000, "a" + euros);
    CHECK(cut2.size() == 2 + 121); // "a", 40 euro signs, not 2 bytes of the 41st
    CHECK(ws::is_valid_utf8(cut2.substr(2)));

    const std::string going("\x03\xE9going", 7);
    const auto info = ws::parse_close_payload(going);
    CHECK(info.code == 1001);
    CHECK(info.reason == "going");
    CHECK(info.problem == ws::violation::none);
    CHECK(ws::parse_close_payload("").code == ws::close_code::no_status);
    CHECK(ws::parse_close_payload("").problem == ws::violation::none);
    CHECK(ws::parse_close_payload("\x03").problem == ws::violation::close_one_byte);
    CHECK(ws::parse_close_payload(std::string("\x03\xED", 2)).problem ==
          ws::violation::close_code_forbidden);
    CHECK(ws::parse_close_payload(std::string("\x03\xE8\xC3\x28", 4)).problem ==
          ws::violation::close_reason_not_utf8);
}

TEST_CASE("ws_frame: a client reports a close as received, with the rule it breaks", "[ws_frame]") {
    struct expect {
        const char* name;
        std::string payload;
        std::uint16_t code;
        std::string reason;
        ws::violation problem;
    };
    const std::vector<expect> cases{
        {"no payload", "", 1005, "", ws::violation::none},
        {"1000 with a reason", std::string("\x03\xE8ok", 4), 1000, "ok", ws::violation::none},
        {"4999", std::string("\x13\x87", 2), 4999, "", ws::violation::none},
        {"1-byte payload", "\x03", 1005, "", ws::violation::close_one_byte},
        {"code 999", std::string("\x03\xE7", 2), 999, "", ws::violation::close_code_forbidden},
        {"code 1005 on the wire", std::string("\x03\xED", 2), 1005, "",
         ws::violation::close_code_forbidden},
        {"code 1006 on the wire", std::string("\x03\xEE", 2), 1006, "",
         ws::violation::close_code_forbidden},
        {"code 1015", std::string("\x03\xF7", 2), 1015, "", ws::violation::close_code_forbidden},
        {"reason not UTF-8", std::string("\x03\xE8\xC3\x28", 4), 1000, "\xC3\x28",
         ws::violation::close_reason_not_utf8},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        // The client sees a close event either way; the server fails all but the good ones.
        auto got =
            feed_all(frame_from_server(op::close, c.payload), 65536, 1 << 20, ws::role::client);
        REQUIRE(got.size() == 1);
        CHECK(got[0].what == kind::close);
        CHECK(got[0].code == c.code);
        CHECK(got[0].payload == c.reason);
        CHECK(got[0].problem == c.problem);
        got = feed_all(frame(op::close, c.payload));
        REQUIRE(got.size() == 1);
        if (c.problem == ws::violation::none) {
            CHECK(got[0].what == kind::close);
        } else {
            CHECK(got[0].what == kind::error);
            CHECK(got[0].problem == c.problem);
            CHECK(got[0].code == ws::close_code_for(c.problem));
        }
    }
    // A close between fragments ends the message: what follows is not reported.
    auto got = feed_all(frame_from_server(op::text, "a", false) +
                            frame_from_server(op::close, std::string("\x03\xE8", 2)) +
                            frame_from_server(op::continuation, "b"),
                        65536, 1 << 20, ws::role::client);
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == kind::close);
}

TEST_CASE("ws_frame: header rules for each role", "[ws_frame]") {
    const auto check = [](const std::string& wire, ws::role r) {
        ws::frame_header h;
        REQUIRE(ws::decode_header(reinterpret_cast<const unsigned char*>(wire.data()), wire.size(),
                                  h) != 0);
        return ws::check_header(h, r);
    };
    using v = ws::violation;
    const auto c = ws::role::client;
    CHECK(check(frame_from_server(op::text, "x", true, 4), c) == v::reserved_bits);
    CHECK(check(frame_from_server(op::text, "x", true, 1), c) == v::reserved_bits);
    CHECK(check(frame_from_server(reserved(7), "x"), c) == v::reserved_opcode);
    CHECK(check(frame_from_server(reserved(0xF), "x"), c) == v::reserved_opcode);
    CHECK(check(frame_from_server(op::ping, std::string(126, 'p')), c) == v::control_too_long);
    CHECK(check(frame_from_server(op::close, "", false), c) == v::control_fragmented);
    CHECK(check(std::string("\x82\x7F\x80\x00\x00\x00\x00\x00\x00\x00", 10), c) ==
          v::length_high_bit);
    CHECK(check(std::string("\x82\x7E\x00\x7D", 4), c) == v::non_minimal_length);
    CHECK(check(std::string("\x82\x7F\x00\x00\x00\x00\x00\x00\xFF\xFF", 10), c) ==
          v::non_minimal_length);
    CHECK(check(frame_from_server(op::pong, std::string(125, 'p')), c) == v::none);
    // A header needs all its bytes: 2, 4 or 10, plus 4 when masked.
    ws::frame_header h;
    const std::string wire = frame(op::binary, std::string(70000, 'x'));
    for (std::size_t n = 0; n < 14; ++n)
        CHECK(ws::decode_header(reinterpret_cast<const unsigned char*>(wire.data()), n, h) == 0);
    CHECK(ws::decode_header(reinterpret_cast<const unsigned char*>(wire.data()), 14, h) == 14);
    CHECK(h.length == 70000);
    CHECK(ws::describe(v::close_code_forbidden) == "close code not allowed on the wire");
}

TEST_CASE("ws_frame: client keys: generated from 16 bytes, accepted by the server check",
          "[ws_frame]") {
    std::array<unsigned char, 16> nonce{};
    for (unsigned char i = 0; i < 16; ++i)
        nonce[i] = static_cast<unsigned char>(i + 1);
    // RFC 6455 4.1's example nonce is 01 02 ... 10.
    CHECK(ws::client_key(nonce) == "AQIDBAUGBwgJCgsMDQ4PEA==");
    const auto a = ws::random_client_key();
    const auto b = ws::random_client_key();
    CHECK(ws::valid_client_key(a));
    CHECK(a != b);
    CHECK(ws::accept_key(a).size() == 28);
    // Random masking keys differ (2^-32 chance of a false failure per pair: try a few).
    bool differ = false;
    for (int i = 0; i < 4 && !differ; ++i)
        differ = ws::random_mask_key() != ws::random_mask_key();
    CHECK(differ);
}

TEST_CASE("ws_frame: is_valid_utf8 over whole strings", "[ws_frame]") {
    CHECK(ws::is_valid_utf8(""));
    CHECK(ws::is_valid_utf8("caf\xC3\xA9 \xF0\x9F\x98\x80"));
    CHECK_FALSE(ws::is_valid_utf8("\xC3"));
    CHECK_FALSE(ws::is_valid_utf8("\xC0\xAF"));
    CHECK_FALSE(ws::is_valid_utf8("\xED\xB0\x80"));
    CHECK_FALSE(ws::is_valid_utf8("\xF5\x80\x80\x80"));
    CHECK(ws::is_valid_utf8(std::string("a\0b", 3)));
}

TEST_CASE("ws_frame: masking XORs byte i with key[(offset + i) % 4] at every length, offset and "
          "alignment (RFC 6455 5.3)",
          "[ws_frame]") {
    const ws::mask_key key{0x37, 0xfa, 0x21, 0x3d};
    std::string original(64 + 8, '\0');
    for (std::size_t i = 0; i < original.size(); ++i)
        original[i] = static_cast<char>(i * 7 + 1);
    for (std::size_t start = 0; start < 8; ++start)
        for (std::size_t n = 0; n <= 64; ++n)
            for (std::uint64_t offset = 0; offset < 8; ++offset) {
                std::string masked = original;
                auto* p = reinterpret_cast<unsigned char*>(masked.data()) + start;
                ws::mask_payload(p, n, key, offset);
                for (std::size_t i = 0; i < masked.size(); ++i) {
                    const bool inside = i >= start && i < start + n;
                    const auto expected =
                        static_cast<unsigned char>(static_cast<unsigned char>(original[i]) ^
                                                   (inside ? key[(offset + (i - start)) % 4] : 0));
                    if (static_cast<unsigned char>(masked[i]) != expected) {
                        INFO("start " << start << ", n " << n << ", offset " << offset << ", byte "
                                      << i);
                        REQUIRE(static_cast<unsigned char>(masked[i]) == expected);
                    }
                }
                ws::mask_payload(p, n, key, offset); // unmasking is the same operation
                REQUIRE(masked == original);
            }
}
