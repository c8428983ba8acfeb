// Unit tests of routes.hpp: endpoints by decoded path, and the /ws query rules (CONN-2..5).
#include "routes.hpp"

#include <catch2/catch.hpp>

#include <string> // string

using chat_server::classify;
using chat_server::route;
using endpoint = route::endpoint;

TEST_CASE("Routes: endpoints by path", "[routes]") {
    CHECK(classify("/health", 256).what == endpoint::health);
    CHECK(classify("/api/rooms", 256).what == endpoint::rooms);
    CHECK(classify("/api/rooms?x=1", 256).what == endpoint::rooms);
    CHECK(classify("/ws?room=a&user=b", 256).what == endpoint::ws);
    auto h = classify("/api/rooms/general/messages", 256);
    CHECK(h.what == endpoint::history);
    CHECK(h.room == "general");
    for (const char* t : {"/", "/nope", "/api", "/api/rooms/", "/health/", "/ws/x",
                          "/api/rooms/a/messages/x", "/api/rooms/a/history"})
        CHECK(classify(t, 256).what == endpoint::unknown);
}

TEST_CASE("Routes: path segments are decoded one by one (CONN-3)", "[routes]") {
    auto r = classify("/api/rooms/caf%C3%A9/messages", 256);
    CHECK(r.what == endpoint::history);
    CHECK(r.room == "caf\xC3\xA9");
    auto slash = classify("/api/rooms/a%2Fb/messages", 256);
    CHECK(slash.what == endpoint::history);
    CHECK(slash.room == "a/b");
    CHECK(classify("/api/rooms/a+b/messages", 256).room == "a+b");
}

TEST_CASE("Routes: a valid join query is decoded (CONN-1, CONN-3)", "[routes]") {
    auto r = classify("/ws?room=caf%C3%A9&user=z%C3%BC+rich", 256);
    CHECK(r.query_error.empty());
    CHECK(r.join_room == "caf\xC3\xA9");
    CHECK(r.join_user == "z\xC3\xBC rich");
}

TEST_CASE("Routes: bad join queries say why (CONN-2, CONN-4, CONN-5)", "[routes]") {
    for (const char* t : {"/ws", "/ws?user=b", "/ws?room=a", "/ws?room=&user=b",
                          "/ws?room=a&user=", "/ws?room=a&room=a&user=b",
                          "/ws?room=a&user=b&user=c", "/ws?room=%FF&user=b"}) {
        INFO(t);
        auto r = classify(t, 256);
        CHECK(r.what == endpoint::ws);
        CHECK_FALSE(r.query_error.empty());
    }
    for (const char* t : {"/ws?room=%ZZ&user=b", "/ws?room=a&user=%4", "/ws?room=a%&user=b"}) {
        INFO(t);
        auto r = classify(t, 256);
        CHECK(r.what == endpoint::ws);
        CHECK(r.malformed);
    }
}

TEST_CASE("Routes: names up to MAX_NAME_BYTES after decoding (CONN-5)", "[routes]") {
    const std::string ok(256, 'a');
    CHECK(classify("/ws?room=" + ok + "&user=u", 256).query_error.empty());
    CHECK_FALSE(classify("/ws?room=" + ok + "a&user=u", 256).query_error.empty());
    CHECK_FALSE(classify("/ws?room=r&user=" + ok + "a", 256).query_error.empty());
    // 86 escapes of 3 characters decode to 86 bytes: the limit is on decoded bytes.
    std::string escaped;
    for (int i = 0; i < 86; ++i)
        escaped += "%41";
    CHECK(classify("/ws?room=" + escaped + "&user=u", 86).query_error.empty());
    CHECK_FALSE(classify("/ws?room=" + escaped + "&user=u", 85).query_error.empty());
}

TEST_CASE("Routes: UTF-8 validation", "[routes]") {
    using chat_server::is_valid_utf8;
    CHECK(is_valid_utf8("plain"));
    CHECK(is_valid_utf8("caf\xC3\xA9 \xE6\xBC\xA2 \xF0\x9F\x98\x80"));
    CHECK_FALSE(is_valid_utf8("\xFF"));
    CHECK_FALSE(is_valid_utf8("\xC3"));             // truncated
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));         // overlong
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));     // surrogate
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80")); // past U+10FFFF
}

TEST_CASE("routes: --base-path strips its prefix and refuses everything else", "[routes]") {
    using chat_server::strip_base_path;
    CHECK(strip_base_path("/api/v1/ws?room=a&user=b", "/api/v1") ==
          std::optional<std::string_view>("/ws?room=a&user=b"));
    CHECK(strip_base_path("/api/v1/health", "/api/v1") ==
          std::optional<std::string_view>("/health"));
    CHECK_FALSE(strip_base_path("/health", "/api/v1"));
    CHECK_FALSE(strip_base_path("/api/v1", "/api/v1"));
    CHECK_FALSE(strip_base_path("/api/v10/health", "/api/v1"));
    CHECK_FALSE(strip_base_path("/api/v1?x=1", "/api/v1"));
}

TEST_CASE("Routes: absolute-form targets give their origin form (RFC 9112 section 3.2.2)",
          "[routes]") {
    using chat_server::split_absolute_form;
    auto a = split_absolute_form("http://127.0.0.1:8080/ws?room=a&user=b");
    REQUIRE(a);
    CHECK(a->authority == "127.0.0.1:8080");
    CHECK(a->origin_form == "/ws?room=a&user=b");
    CHECK(split_absolute_form("HTTPS://h")->origin_form == "/");
    CHECK(split_absolute_form("http://h?x=1")->origin_form == "/?x=1");
    CHECK(split_absolute_form("http://[::1]:80/health")->authority == "[::1]:80");
    for (const char* t : {"/health", "/ws?u=http://x/", "*", "ftp://h/health", "h:80", "http:/h"})
        CHECK_FALSE(split_absolute_form(t));
}

TEST_CASE("Routes: Host field values (RFC 9112 section 3.2)", "[routes]") {
    using chat_server::valid_host_value;
    for (const char* v : {"", "127.0.0.1", "example.com:8080", "[::1]:80", "xn--caf-dma.example"})
        CHECK(valid_host_value(v));
    for (const char* v : {"a b", "a/b", "a@b", "caf\xC3\xA9", "a\tb", "h?x"})
        CHECK_FALSE(valid_host_value(v));
}
