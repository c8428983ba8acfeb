// libFuzzer target: the server's HTTP routing of a request target (routes.hpp). Invariants:
// a /ws target classified as a valid join has non-empty, valid UTF-8 names within the limit,
// a history route names a valid room segment, an absolute-form target routes as an origin-form
// one, and every error body the server builds around the target (404, base-path 404, 400 Host)
// is valid UTF-8 JSON.
#include "routes.hpp"
#include "json_body.hpp"

#include "chat/codec.hpp"

#include <cstddef> // size_t
#include <cstdint> // uint8_t
#include <cstdlib> // abort

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    constexpr std::size_t limit = 16;
    const auto r = chat_server::classify(text, limit);
    if (r.what == chat_server::route::endpoint::ws && !r.malformed && r.query_error.empty()) {
        for (const auto* name : {&r.join_room, &r.join_user})
            if (name->empty() || name->size() > limit || !chat_server::is_valid_utf8(*name))
                std::abort();
    }
    if (r.what != chat_server::route::endpoint::ws &&
        (!r.query_error.empty() || !r.join_room.empty() || !r.join_user.empty()))
        std::abort();
    (void)chat_server::is_valid_utf8(text);
    if (auto a = chat_server::split_absolute_form(text)) {
        if (a->origin_form.empty() || a->origin_form[0] != '/')
            std::abort();
        (void)chat_server::classify(a->origin_form, limit);
    }
    // The bodies http_session.cpp builds from request bytes.
    const std::string shown(text);
    fuzz::require_json_body(chat::encode_error("not found: " + shown));
    fuzz::require_json_body(
        chat::encode_error("not found: " + shown + " (this server serves under /chat/)"));
    if (!chat_server::valid_host_value(text))
        fuzz::require_json_body(chat::encode_error("invalid Host header value: " + shown));
    fuzz::require_json_body(chat::encode_error("origin " + shown + " is not allowed"));
    return 0;
}
