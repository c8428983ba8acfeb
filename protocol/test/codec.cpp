// Tests of chat/codec.hpp: client frames (every malformed kind), messages, REST bodies.
#include "chat/codec.hpp"

#include <catch2/catch.hpp>

using namespace chat;

TEST_CASE("codec: a client frame with a string content decodes", "[codec]") {
    auto f = decode_client_frame(R"({"content":"Hello Bob"})");
    REQUIRE(f.ok());
    CHECK(f.content == "Hello Bob");
    CHECK(decode_client_frame(R"({"content":"","extra":1})").ok());
    CHECK(decode_client_frame(R"({"user":"mallory","content":"x"})").content == "x");
}

TEST_CASE("codec: every malformed client frame kind is named", "[codec]") {
    CHECK(decode_client_frame("Hello Bob").error == frame_error::not_json);
    CHECK(decode_client_frame("").error == frame_error::not_json);
    CHECK(decode_client_frame(R"({"content":"x")").error == frame_error::not_json);
    CHECK(decode_client_frame(R"(["content"])").error == frame_error::not_object);
    CHECK(decode_client_frame(R"("content")").error == frame_error::not_object);
    CHECK(decode_client_frame("42").error == frame_error::not_object);
    CHECK(decode_client_frame("null").error == frame_error::not_object);
    CHECK(decode_client_frame(R"({"text":"x"})").error == frame_error::content_missing);
    CHECK(decode_client_frame(R"({"content":5})").error == frame_error::content_not_string);
    CHECK(decode_client_frame(R"({"content":null})").error == frame_error::content_not_string);
    CHECK(decode_client_frame(R"({"content":{"a":1}})").error == frame_error::content_not_string);
    CHECK(std::string(to_string(frame_error::content_missing)).find("content") !=
          std::string::npos);
}

TEST_CASE("codec: encoded messages round-trip any content", "[codec]") {
    const std::string hard = "quote \" backslash \\ newline \n tab \t nul " + std::string(1, '\0') +
                             " ctl \x01\x1f unicode caf\xC3\xA9 \xF0\x9F\x98\x80 </script>";
    chat_message m{"Al\"ice", "caf\xC3\xA9", hard, 1719912345678};
    const std::string wire = encode_message(m);
    CHECK(wire.rfind(R"({"user":"Al\"ice","room":)", 0) == 0);
    std::string why;
    auto back = decode_message(wire, &why);
    INFO(why);
    REQUIRE(back);
    CHECK(*back == m);

    auto frame = decode_client_frame(encode_client_frame(hard));
    REQUIRE(frame.ok());
    CHECK(frame.content == hard);
}

TEST_CASE("codec: decode_message is strict about the four members", "[codec]") {
    std::string why;
    CHECK_FALSE(decode_message(R"({"user":"a","room":"r","content":"c"})", &why));
    CHECK(why.find("timestamp") != std::string::npos);
    CHECK_FALSE(decode_message(R"({"user":"a","room":"r","content":"c","timestamp":"1"})", &why));
    CHECK_FALSE(decode_message(R"({"user":"a","room":"r","content":"c","timestamp":1.5})", &why));
    CHECK_FALSE(decode_message(R"({"user":"a","room":"r","content":1,"timestamp":1})", &why));
    CHECK_FALSE(
        decode_message(R"({"user":"a","room":"r","content":"c","timestamp":1,"x":2})", &why));
    CHECK(why.find("exactly") != std::string::npos);
    CHECK_FALSE(decode_message("not json", &why));
    CHECK(decode_message(R"({"timestamp":1,"content":"c","room":"r","user":"a"})"));
}

TEST_CASE("codec: REST bodies decode against their envelopes", "[codec]") {
    auto rooms = decode_room_list(
        R"({"data":{"rooms":[{"name":"general","clients":0},{"name":"x","clients":3}]}})");
    REQUIRE(rooms);
    REQUIRE(rooms->size() == 2);
    CHECK((*rooms)[1] == room_entry{"x", 3});

    std::string why;
    CHECK_FALSE(decode_room_list(R"({"rooms":[]})", &why));
    CHECK(why.find("data") != std::string::npos);
    CHECK_FALSE(decode_room_list(R"({"data":{"rooms":[{"name":"a","clients":"1"}]}})", &why));

    auto h = decode_history(
        R"({"data":{"room":"r","messages":[{"user":"a","room":"r","content":"1","timestamp":5}]}})");
    REQUIRE(h);
    CHECK(h->room == "r");
    REQUIRE(h->messages.size() == 1);
    CHECK(h->messages[0].timestamp == 5);
    CHECK_FALSE(decode_history(R"({"data":{"room":"r","messages":[{"user":"a"}]}})", &why));
    CHECK(why.find("messages[0]") != std::string::npos);

    CHECK(decode_error(encode_error("room not found")) ==
          std::optional<std::string>("room not found"));
    CHECK_FALSE(decode_error(R"({"error":""})"));
    CHECK_FALSE(decode_error("room not found"));
}

TEST_CASE("codec: a client frame is RFC 8259 JSON whatever its numbers' size (MSG-5, MSG-8)",
          "[codec][MSG-5][MSG-8]") {
    for (const char* text : {
             R"({"content":"c1","n":1e400})",
             R"({"content":"c2","n":-1e-400})",
             R"({"content":"c3","n":1e99999999999})",
             R"({"content":"c4","n":-0.0e-99999999999})",
             R"({"content":"c5","n":123456789012345678901234567890123456789})",
             R"({"content":"c6","n":0.000000000000000000000000000000000000000001E+0})",
             R"({"n":[1,2.5,-0,true,false,null,{},[],{"a":[{"b":"c"}]}],"content":"c7"})",
             " \t\r\n{ \"content\" : \"c8\" } \n",
         }) {
        INFO(text);
        auto f = decode_client_frame(text);
        CHECK(f.ok());
        CHECK(f.content.size() == 2);
    }
    // Deep nesting is not limited.
    const std::string deep =
        R"({"content":"deep","x":)" + std::string(10000, '[') + std::string(10000, ']') + "}";
    CHECK(decode_client_frame(deep).content == "deep");
    for (const char* text : {R"({"content":"x","n":01})",
                             R"({"content":"x","n":1.})",
                             R"({"content":"x","n":.5})",
                             R"({"content":"x","n":1e})",
                             R"({"content":"x","n":+1})",
                             R"({"content":"x","n":-})",
                             R"({"content":"x","n":NaN})",
                             R"({"content":"x","n":Infinity})",
                             R"({"content":"x",})",
                             R"({"content":"x"} x)",
                             R"({"content":'x'})",
                             R"({"content":"x","a":[1,]})",
                             R"({"content":"x","a":tru})",
                             R"({content:"x"})",
                             R"({"content":"\x"})",
                             R"({"content":"\u12G4"})",
                             "{\"content\":\"a\tb\"}",
                             "{\"content\":\"caf\xE9\"}",
                             "{\"content\":\"\xED\xA0\x80\"}",
                             "{\"content\":\"\xC0\xAF\"}",
                             R"({"content":"x")",
                             R"({"content":"x"]})"}) {
        INFO(text);
        CHECK(decode_client_frame(text).error == frame_error::not_json);
    }
}

TEST_CASE("codec: SPEC 1.1 client frame decisions: BOM, duplicate content, surrogates",
          "[codec][MSG-5]") {
    // A UTF-8 BOM is not JSON text (RFC 8259 section 8.1).
    CHECK(decode_client_frame("\xEF\xBB\xBF{\"content\":\"x\"}").error == frame_error::not_json);
    // "content" more than once, however spelt.
    CHECK(decode_client_frame(R"({"content":"a","content":"b"})").error ==
          frame_error::content_repeated);
    CHECK(decode_client_frame(R"({"content":"a","\u0063ontent":"b"})").error ==
          frame_error::content_repeated);
    CHECK(decode_client_frame(R"({"content":"a","content":1})").error ==
          frame_error::content_repeated);
    // Nested or differently named members do not count.
    CHECK(decode_client_frame(R"({"content":"a","x":{"content":"b"},"Content":"c"})").content ==
          "a");
    CHECK(decode_client_frame(R"({"\u0063ontent":"escaped name"})").content == "escaped name");
    // Lone surrogate escapes in content are refused; pairs decode to one code point.
    for (const char* text : {R"({"content":"\ud800"})", R"({"content":"a\udc00b"})",
                             R"({"content":"\ud800\ud800"})", R"({"content":"\ud800x"})",
                             R"({"content":"\udbff\n"})", R"({"content":"\ude00\ud83d"})"}) {
        INFO(text);
        CHECK(decode_client_frame(text).error == frame_error::content_lone_surrogate);
    }
    CHECK(decode_client_frame(R"({"content":"\ud83d\ude00"})").content == "\xF0\x9F\x98\x80");
    CHECK(decode_client_frame(R"({"content":"\uD83D\uDE00!"})").content == "\xF0\x9F\x98\x80!");
    // Elsewhere a lone surrogate is grammatical JSON and only ignored.
    CHECK(decode_client_frame(R"({"content":"ok","x":"\ud800"})").content == "ok");
    // Every escape.
    CHECK(decode_client_frame(R"({"content":"\"\\\/\b\f\n\r\t\u00e9\u0000"})").content ==
          std::string("\"\\/\b\f\n\r\t\xC3\xA9\0", 11));
    CHECK(decode_client_frame("{\"content\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"}").content ==
          "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST_CASE("codec: an error body is valid UTF-8 JSON whatever the message quotes (RFC 8259 "
          "section 8.1)",
          "[codec][HTTP-4]") {
    // Each byte that does not begin a well-formed sequence becomes U+FFFD; the rest is kept.
    CHECK(valid_utf8("caf\xE9") == "caf\xEF\xBF\xBD");
    CHECK(valid_utf8("\xF0\x9F\x98") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(valid_utf8("\xF4\x90\x80\x80x") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx");
    const std::string fine = "caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x82\xAC";
    CHECK(valid_utf8(fine) == fine);
    for (std::string quoted : {std::string("not found: /caf\xE9"), std::string("\xFF\xFE\x00", 3),
                               std::string("origin https://\xC3\x28.example")}) {
        const std::string body = encode_error(quoted);
        auto back = decode_error(body); // nlohmann: strict about UTF-8
        REQUIRE(back);
        CHECK(*back == valid_utf8(quoted));
    }
}
