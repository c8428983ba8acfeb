// libFuzzer target: chat-conform's judgement of what a server sends (src/message_shape.cpp):
// broadcast messages, REST envelopes, error and health bodies, and the excerpts it quotes in
// reports. Invariants: a message or envelope the runner accepts, protocol/'s codec accepts
// too, with the same contents; an excerpt is bounded and valid UTF-8.
#include "message_shape.hpp"
#include "chat/codec.hpp"

#include <cstddef> // size_t
#include <cstdint> // uint8_t
#include <cstdlib> // abort
#include <string>  // string

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t len = c < 0x80           ? 1
                                : (c >> 5) == 0x6  ? 2
                                : (c >> 4) == 0xE  ? 3
                                : (c >> 3) == 0x1E ? 4
                                                   : 0;
        if (len == 0 || i + len > s.size())
            return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace chat::conformance;
    if (size == 0)
        return 0;
    // The first byte picks the judgement (one per run keeps runs fast), the rest is the text.
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::string why;
    switch (data[0] % 6) {
    case 0: {
        auto v = inspect_message(text);
        if (v.message) {
            check(v.clause.empty());
            auto m = chat::decode_message(text);
            check(m && m->user == v.message->user && m->room == v.message->room &&
                  m->content == v.message->content);
        } else {
            check((v.clause == "MSG-2" || v.clause == "MSG-3") && !v.problem.empty());
        }
        break;
    }
    case 1:
        if (auto rooms = inspect_room_list(text, why)) {
            auto codec = chat::decode_room_list(text);
            check(codec && codec->size() == rooms->size());
            for (std::size_t i = 0; i < rooms->size(); ++i)
                check((*rooms)[i].name == (*codec)[i].name && (*rooms)[i].clients >= 0);
        } else {
            check(!why.empty());
        }
        break;
    case 2:
        if (auto h = inspect_history(text, why))
            check(chat::decode_history(text).has_value());
        else
            check(!why.empty());
        break;
    case 3:
        if (!inspect_error_body(text, why))
            check(!why.empty());
        break;
    case 4:
        if (!is_health_ok(text, why))
            check(!why.empty());
        (void)is_json_content_type(text);
        break;
    default: {
        const std::size_t max = size > 1 ? data[1] % 200 : 0;
        const auto e = excerpt(text, max);
        check(valid_utf8(e));
        check(e.size() <= max + 4 + 32);
    }
    }
    return 0;
}
