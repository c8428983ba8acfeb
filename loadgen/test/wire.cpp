// The RFC 6455 pieces and the measurement payload.
#include "wire.hpp"

#include <catch2/catch.hpp>

using namespace chat::load;

TEST_CASE("Wire: a masked client frame unmasks to its payload", "[wire]") {
    std::string out;
    append_content_frame(out, "L|abc|1|2|3|4|xx", 0x11223344);
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
