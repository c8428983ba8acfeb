// The RFC 6455 pieces and the measurement payload.
#include "wire.hpp"

#include <catch2/catch.hpp>

using namespace chat::load;

TEST_CASE("Wire: a masked client frame unmasks to its payload", "[wire]") {
    std::string out;
    append_content_frame(out, "L|abc|1|2|3|4|xx", ws::to_mask_key(0x11223344));
    const auto b0 = static_cast<unsigned char>(out[0]);
    const auto b1 = static_cast<unsigned char>(out[1]);
    CHECK(b0 == 0x81); // FIN + text
    CHECK((b1 & 0x80) != 0);
    const std::size_t len = b1 & 0x7F;
    const unsigned char key[4] = {0x11, 0x22, 0x33, 0x44};
    std::string payload;
    for (std::size_t i = 0; i < len; ++i)
        payload += static_cast<char>(static_cast<unsigned char>(out[6 + i]) ^ key[i & 3]);
    CHECK(payload == R"({"content":"L|abc|1|2|3|4|xx"})");
}

TEST_CASE("Wire: server frames parse, incomplete ones wait, masked ones are errors", "[wire]") {
    std::string f = "\x81\x05hello";
    frame fr;
    std::size_t used = 0;
    REQUIRE(parse_frame(f, fr, used, 1 << 20) == parse_status::complete);
    CHECK(fr.op == opcode::text);
    CHECK(fr.payload == "hello");
    CHECK(used == 7);
    CHECK(parse_frame(f.substr(0, 4), fr, used, 1 << 20) == parse_status::need_more);
    const std::string big = std::string("\x81\x7E\x01\x00", 4) + std::string(256, 'a');
    REQUIRE(parse_frame(big, fr, used, 1 << 20) == parse_status::complete);
    CHECK(fr.payload.size() == 256);
    CHECK(parse_frame(big, fr, used, 100) == parse_status::protocol_error);
    std::string masked = "\x81\x85"
                         "abcd"
                         "hello";
    CHECK(parse_frame(masked, fr, used, 1 << 20) == parse_status::protocol_error);
    // RSV bits and reserved opcodes are errors; a longer length form than needed is tolerated.
    CHECK(parse_frame("\xC1\x01x", fr, used, 1 << 20) == parse_status::protocol_error);
    CHECK(parse_frame("\x83\x01x", fr, used, 1 << 20) == parse_status::protocol_error);
    const std::string long_form = std::string("\x81\x7E\x00\x02", 4) + "hi";
    REQUIRE(parse_frame(long_form, fr, used, 1 << 20) == parse_status::complete);
    CHECK(fr.payload == "hi");
}

TEST_CASE("Wire: the measurement payload round-trips at the requested size", "[wire]") {
    payload p;
    p.run = "0a1b2c3d";
    p.sender = 42;
    p.seq = 7;
    p.intended_us = 1'700'000'000'000'000;
    p.sent_us = 1'700'000'000'000'123;
    std::string c;
    encode_payload(c, p, 128);
    CHECK(c.size() == 128);
    payload q;
    REQUIRE(decode_payload(c, q));
    CHECK(q.run == p.run);
    CHECK(q.sender == 42);
    CHECK(q.seq == 7);
    CHECK(q.intended_us == p.intended_us);
    CHECK(q.sent_us == p.sent_us);
    CHECK_FALSE(decode_payload("hello", q));
}

TEST_CASE("Wire: content is found in a broadcast without a JSON parser", "[wire]") {
    std::string_view c;
    REQUIRE(find_content(R"({"user":"u1","room":"r","content":"L|x|1|2|3|4|","timestamp":1})", c));
    CHECK(c == "L|x|1|2|3|4|");
    REQUIRE(find_content(R"({"content" : "abc"})", c));
    CHECK(c == "abc");
    CHECK_FALSE(find_content(R"({"content":"a\"b"})", c));
    CHECK_FALSE(find_content(R"({"user":"x"})", c));
}

TEST_CASE("Wire: the upgrade request carries the key, the extra headers and one blank line",
          "[wire]") {
    const auto key = websocket_key(0, 0);
    CHECK(key == "AAAAAAAAAAAAAAAAAAAAAA==");
    CHECK(websocket_key(1, 0) != websocket_key(0, 1));
    const auto r = upgrade_request("/ws?room=a&user=b", "127.0.0.1:9", key, "X-Test: 1\r\n");
    CHECK(r.rfind("GET /ws?room=a&user=b HTTP/1.1\r\nHost: 127.0.0.1:9\r\n", 0) == 0);
    CHECK(r.find("\r\nSec-WebSocket-Key: " + key + "\r\n") != std::string::npos);
    CHECK(r.find("\r\nSec-WebSocket-Version: 13\r\n") != std::string::npos);
    CHECK(r.find("\r\nX-Test: 1\r\n\r\n") != std::string::npos);
    CHECK(r.find("\r\n\r\n") == r.size() - 4);
}

TEST_CASE("Wire: the upgrade answer is checked, case-insensitively and bounded", "[wire]") {
    // RFC 6455's own example key and accept value.
    CHECK(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    const std::string accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    const std::string ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                           "sec-websocket-ACCEPT:  " +
                           accept + " \r\n\r\n\x81\x02hi";
    std::size_t head = 0;
    REQUIRE(check_upgrade(ok, accept, head) == upgrade_status::switched);
    CHECK(ok.substr(head) == "\x81\x02hi");
    CHECK(check_upgrade(ok.substr(0, 40), accept, head) == upgrade_status::need_more);
    CHECK(check_upgrade("HTTP/1.1 400 Bad Request\r\n\r\n", accept, head) ==
          upgrade_status::rejected);
    CHECK(check_upgrade("SSH-2.0-OpenSSH\r\n\r\n", accept, head) == upgrade_status::invalid);
    CHECK(check_upgrade("HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: wrong\r\n\r\n", accept, head) ==
          upgrade_status::invalid);
    CHECK(check_upgrade("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n\r\n", accept, head) ==
          upgrade_status::invalid);
    // A head that never ends is refused once it passes the limit.
    const std::string endless = "HTTP/1.1 101 OK\r\nX: " + std::string(max_upgrade_head, 'a');
    CHECK(check_upgrade(endless, accept, head) == upgrade_status::invalid);
}

TEST_CASE("Wire: fragments reassemble, out-of-order and oversized ones are errors", "[wire]") {
    std::string partial;
    bool fragmented = false, binary = false;
    std::string_view message;
    frame f;
    f.fin = false;
    f.op = opcode::text;
    f.payload = "hel";
    CHECK(assemble(f, partial, fragmented, binary, message, 10) == parse_status::need_more);
    f.op = opcode::continuation;
    f.payload = "lo ";
    CHECK(assemble(f, partial, fragmented, binary, message, 10) == parse_status::need_more);
    f.fin = true;
    f.payload = "you";
    REQUIRE(assemble(f, partial, fragmented, binary, message, 10) == parse_status::complete);
    CHECK(message == "hello you");
    CHECK_FALSE(binary);
    CHECK_FALSE(fragmented);
    // A continuation without a start.
    CHECK(assemble(f, partial, fragmented, binary, message, 10) == parse_status::protocol_error);
    // A new message inside a fragmented one.
    partial.clear();
    f.fin = false;
    f.op = opcode::binary;
    f.payload = "ab";
    CHECK(assemble(f, partial, fragmented, binary, message, 10) == parse_status::need_more);
    CHECK(binary);
    f.op = opcode::text;
    CHECK(assemble(f, partial, fragmented, binary, message, 10) == parse_status::protocol_error);
    // Over the cap, in one frame or in fragments.
    fragmented = false;
    partial.clear();
    f.fin = true;
    f.payload = "0123456789x";
    CHECK(assemble(f, partial, fragmented, binary, message, 10) == parse_status::protocol_error);
    f.fin = false;
    f.payload = "012345";
    CHECK(assemble(f, partial, fragmented, binary, message, 10) == parse_status::need_more);
    f.op = opcode::continuation;
    CHECK(assemble(f, partial, fragmented, binary, message, 10) == parse_status::protocol_error);
}
