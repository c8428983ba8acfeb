// libFuzzer target: decoding a client frame. Invariants: whatever decodes, re-encodes to a
// frame that decodes to the same content; the message broadcast from it and an error quoting
// the frame are valid UTF-8 JSON.
#include "json_body.hpp"

#include "chat/codec.hpp"

#include <cstddef> // size_t
#include <cstdint> // uint8_t
#include <cstdlib> // abort

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    fuzz::require_json_body(chat::encode_error(text));
    auto frame = chat::decode_client_frame(text);
    if (!frame.ok())
        return 0;
    auto again = chat::decode_client_frame(chat::encode_client_frame(frame.content));
    if (!again.ok() || again.content != frame.content)
        std::abort();
    chat::chat_message m{"u", "r", frame.content, 1};
    fuzz::require_json_body(chat::encode_message(m));
    auto back = chat::decode_message(chat::encode_message(m));
    if (!back || back->content != frame.content)
        std::abort();
    return 0;
}
