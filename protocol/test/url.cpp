// Tests of chat/url.hpp: percent-coding, base URLs, targets and request-target decoding.
#include "chat/url.hpp"

#include "chat/tls_support.hpp"

#include <catch2/catch.hpp>

using namespace chat;

TEST_CASE("url: percent_encode keeps unreserved bytes only", "[url]") {
    CHECK(percent_encode("abc-._~XYZ019") == "abc-._~XYZ019");
    CHECK(percent_encode("caf\xC3\xA9") == "caf%C3%A9");
    CHECK(percent_encode("a b&c=d/e+f?") == "a%20b%26c%3Dd%2Fe%2Bf%3F");
}

TEST_CASE("url: percent_decode rejects malformed escapes", "[url]") {
    CHECK(percent_decode("caf%C3%A9") == std::optional<std::string>("caf\xC3\xA9"));
    CHECK(percent_decode("caf%c3%a9") == std::optional<std::string>("caf\xC3\xA9"));
    CHECK(percent_decode("a+b") == std::optional<std::string>("a+b"));
    CHECK(percent_decode("a+b", true) == std::optional<std::string>("a b"));
    CHECK_FALSE(percent_decode("%"));
    CHECK_FALSE(percent_decode("abc%4"));
    CHECK_FALSE(percent_decode("%ZZ"));
    CHECK_FALSE(percent_decode("%G1"));
    for (int c = 0; c < 256; ++c) {
        std::string s(1, static_cast<char>(c));
        CHECK(percent_decode(percent_encode(s)) == std::optional<std::string>(s));
    }
}

TEST_CASE("url: base URLs of every accepted form", "[url]") {
    auto u = parse_base_url("http://127.0.0.1:8082");
    REQUIRE(u);
    CHECK(u->scheme == "http");
    CHECK(u->host == "127.0.0.1");
    CHECK(u->port == "8082");
    CHECK(u->base_path.empty());
    CHECK(u->host_header() == "127.0.0.1:8082");

    u = parse_base_url(tls_supported ? "wss://chat.example/api/v1/" : "ws://chat.example/api/v1/");
    REQUIRE(u);
    CHECK(u->tls() == tls_supported);
    CHECK(u->port == (tls_supported ? "443" : "80"));
    CHECK(u->base_path == "/api/v1");
    CHECK(u->host_header() == "chat.example");
    CHECK(ws_target(*u, "caf\xC3\xA9", "a b") == "/api/v1/ws?room=caf%C3%A9&user=a%20b");
    CHECK(rooms_target(*u) == "/api/v1/api/rooms");
    CHECK(history_target(*u, "a/b") == "/api/v1/api/rooms/a%2Fb/messages");
    CHECK(health_target(*u) == "/api/v1/health");

    u = parse_base_url("ws://[::1]:9000");
    REQUIRE(u);
    CHECK(u->scheme == "http");
    CHECK(u->host == "::1");
    CHECK(u->host_header() == "[::1]:9000");
}

TEST_CASE("url: a build without TLS refuses https:// and wss:// in one line naming it", "[url]") {
    if (tls_supported)
        return; // the Windows cross build runs this
    for (const char* text : {"https://127.0.0.1:8082", "wss://chat.example/base", "WSS://x"}) {
        std::string why;
        CHECK_FALSE(parse_base_url(text, &why));
        CHECK(why.find(tls_unsupported_message()) != std::string::npos);
        CHECK(why.find("build") != std::string::npos);
        CHECK(why.find('\n') == std::string::npos);
    }
}

TEST_CASE("url: bad base URLs say why", "[url]") {
    std::string why;
    CHECK_FALSE(parse_base_url("ftp://x", &why));
    CHECK(why.find("ftp") != std::string::npos);
    CHECK_FALSE(parse_base_url("127.0.0.1:8082", &why));
    CHECK_FALSE(parse_base_url("http://host:99999", &why));
    CHECK(why.find("99999") != std::string::npos);
    CHECK_FALSE(parse_base_url("http://host/x?y=1", &why));
    CHECK_FALSE(parse_base_url("not a url", &why));
    CHECK_FALSE(why.empty());
}

TEST_CASE("url: request targets decode per segment and per query value", "[url]") {
    auto t = parse_request_target("/api/rooms/caf%C3%A9/messages");
    REQUIRE(t);
    CHECK(t->segments == std::vector<std::string>{"api", "rooms", "caf\xC3\xA9", "messages"});

    t = parse_request_target("/api/rooms/a%2Fb/messages");
    REQUIRE(t);
    CHECK(t->segments.size() == 4);
    CHECK(t->segments[2] == "a/b");

    t = parse_request_target("/ws?room=caf%C3%A9&user=a+b&&room=x&flag");
    REQUIRE(t);
    CHECK(t->segments == std::vector<std::string>{"ws"});
    CHECK(t->values("room") == std::vector<std::string>{"caf\xC3\xA9", "x"});
    CHECK(t->values("user") == std::vector<std::string>{"a b"});
    CHECK(t->values("flag") == std::vector<std::string>{""});
    CHECK(t->values("none").empty());

    CHECK(parse_request_target("/")->segments == std::vector<std::string>{""});
    CHECK_FALSE(parse_request_target("http://host/ws"));
    CHECK_FALSE(parse_request_target(""));
    CHECK_FALSE(parse_request_target("/ws?room=%ZZ&user=u"));
    CHECK_FALSE(parse_request_target("/a%4"));
    CHECK_FALSE(parse_request_target("/ws#frag"));
}

TEST_CASE("url: header lines as --header gives them", "[url]") {
    auto h = parse_header_line("X-Api-Key:  s3cret value ");
    REQUIRE(h);
    CHECK(h->first == "X-Api-Key");
    CHECK(h->second == "s3cret value");
    h = parse_header_line("Authorization:Bearer abc:def");
    REQUIRE(h);
    CHECK(h->first == "Authorization");
    CHECK(h->second == "Bearer abc:def");
    h = parse_header_line("X-Empty:");
    REQUIRE(h);
    CHECK(h->second.empty());
    std::string why;
    CHECK_FALSE(parse_header_line("NoColon", &why));
    CHECK(why.find("colon") != std::string::npos);
    CHECK_FALSE(parse_header_line(": value", &why));
    CHECK(why.find("empty") != std::string::npos);
    CHECK_FALSE(parse_header_line("Bad Name: v", &why));
    CHECK_FALSE(parse_header_line("X-Inject: a\r\nHost: evil", &why));
}
