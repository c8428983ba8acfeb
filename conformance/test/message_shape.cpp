// Tests of src/message_shape.hpp: judging what a server sends.
#include "message_shape.hpp"

#include <catch2/catch.hpp>

using namespace chat::conformance;

TEST_CASE("Message shape: a valid message", "[shape]") {
    auto v = inspect_message(R"({"user":"u","room":"r","content":"c","timestamp":1700000000000})");
    REQUIRE(v.message);
    CHECK(v.message->user == "u");
    CHECK(v.message->timestamp == 1700000000000);
}

TEST_CASE("Message shape: what is wrong, with the clause", "[shape]") {
    auto extra = inspect_message(R"({"user":"u","room":"r","content":"c","timestamp":1,"id":2})");
    CHECK_FALSE(extra.message);
    CHECK(extra.clause == "MSG-2");
    CHECK(extra.problem.find("\"id\"") != std::string::npos);
    auto missing = inspect_message(R"({"user":"u","room":"r","timestamp":1})");
    CHECK(missing.clause == "MSG-2");
    auto fractional = inspect_message(R"({"user":"u","room":"r","content":"c","timestamp":1.5})");
    CHECK(fractional.clause == "MSG-3");
    auto text_ts = inspect_message(R"({"user":"u","room":"r","content":"c","timestamp":"1"})");
    CHECK(text_ts.clause == "MSG-3");
    auto not_json = inspect_message("hello");
    CHECK(not_json.clause == "MSG-2");
    CHECK(not_json.problem.find("not valid JSON") != std::string::npos);
    auto number_user = inspect_message(R"({"user":1,"room":"r","content":"c","timestamp":1})");
    CHECK(number_user.problem.find("\"user\" is an integer") != std::string::npos);
}

TEST_CASE("Message shape: REST envelopes and error bodies", "[shape]") {
    std::string why;
    auto rooms = inspect_room_list(R"({"data":{"rooms":[{"name":"general","clients":0}]}})", why);
    REQUIRE(rooms);
    CHECK(rooms->at(0).name == "general");
    CHECK_FALSE(inspect_room_list(R"({"rooms":[]})", why));
    CHECK_FALSE(inspect_room_list(
        R"({"data":{"rooms":[{"name":"a","clients":0},{"name":"a","clients":1}]}})", why));
    CHECK(why.find("more than once") != std::string::npos);
    auto h = inspect_history(R"({"data":{"room":"r","messages":[]}})", why);
    REQUIRE(h);
    CHECK(h->room == "r");
    CHECK_FALSE(inspect_history(R"({"data":{"room":"r","messages":[{"user":"u"}]}})", why));
    CHECK(inspect_error_body(R"({"error":"room not found"})", why) ==
          std::string("room not found"));
    CHECK_FALSE(inspect_error_body("room and user query params required", why));
    CHECK(is_health_ok(R"({"data":{"status":"ok"}})", why));
    CHECK_FALSE(is_health_ok(R"({"status":"ok"})", why));
}

TEST_CASE("Message shape: JSON content types", "[shape]") {
    CHECK(is_json_content_type("application/json"));
    CHECK(is_json_content_type("application/json; charset=utf-8"));
    CHECK(is_json_content_type("Application/JSON"));
    CHECK_FALSE(is_json_content_type("text/plain"));
    CHECK_FALSE(is_json_content_type("application/jsonp"));
    CHECK_FALSE(is_json_content_type(""));
}

TEST_CASE("Message shape: excerpts are printable and bounded", "[shape]") {
    CHECK(excerpt("a\nb\x01") == "a\\nb\\x01");
    auto long_text = excerpt(std::string(1000, 'x'), 10);
    CHECK(long_text.rfind("xxxxxxxxxx... (1000 bytes)", 0) == 0);
}

TEST_CASE("Message shape: excerpts never cut a character and escape invalid bytes", "[shape]") {
    CHECK(excerpt("caf\xC3\xA9", 4) == "caf\xC3\xA9");
    CHECK(excerpt("\xC3\xA9\xC3\xA9\xC3\xA9", 3) == "\xC3\xA9\xC3\xA9... (6 bytes)");
    CHECK(excerpt("bad \xC3\x28 \xFF") == "bad \\xc3( \\xff");
}
