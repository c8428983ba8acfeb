// libFuzzer target: the server's HTTP routing of a request target (routes.hpp). Invariants:
// a /ws target classified as a valid join has non-empty, valid UTF-8 names within the limit,
// and a history route names a valid room segment.
#include "routes.hpp"

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
    return 0;
}
