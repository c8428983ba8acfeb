// libFuzzer target: what the runner and the load generator parse from a server: broadcast
// messages and REST bodies. Invariants: a decoded message re-encodes to an equal message; an
// error body quoting any bytes is valid UTF-8 JSON and decodes to them, invalid bytes replaced.
#include "json_body.hpp"

#include "chat/codec.hpp"

#include <cstddef> // size_t
#include <cstdint> // uint8_t
#include <cstdlib> // abort

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string why;
    if (auto m = chat::decode_message(text, &why)) {
        auto back = chat::decode_message(chat::encode_message(*m));
        if (!back || !(*back == *m))
            std::abort();
    }
    (void)chat::decode_room_list(text, &why);
    (void)chat::decode_history(text, &why);
    (void)chat::decode_error(text, &why);
    const std::string error = chat::encode_error(text);
    fuzz::require_json_body(error);
    if (!text.empty() && chat::decode_error(error) != chat::valid_utf8(text))
        std::abort();
    return 0;
}
