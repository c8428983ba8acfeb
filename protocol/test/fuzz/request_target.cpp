// libFuzzer target: request-target and percent decoding, as the server routes /ws and
// /api/rooms/:room/messages. Invariants: encode(decode(x)) decodes back to decode(x); an error
// quoting the target, raw or decoded, is valid UTF-8 JSON.
#include "json_body.hpp"

#include "chat/codec.hpp"
#include "chat/url.hpp"

#include <cstddef> // size_t
#include <cstdint> // uint8_t
#include <cstdlib> // abort

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    fuzz::require_json_body(chat::encode_error("not found: " + std::string(text)));
    if (auto target = chat::parse_request_target(text)) {
        for (const auto& seg : target->segments) {
            auto back = chat::percent_decode(chat::percent_encode(seg));
            if (!back || *back != seg)
                std::abort();
        }
        (void)target->values("room");
    }
    if (auto decoded = chat::percent_decode(text, true)) {
        fuzz::require_json_body(chat::encode_error(*decoded));
        auto back = chat::percent_decode(chat::percent_encode(*decoded));
        if (!back || *back != *decoded)
            std::abort();
    }
    (void)chat::parse_base_url(text);
    return 0;
}
