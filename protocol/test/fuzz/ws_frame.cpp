// libFuzzer target: the RFC 6455 frame parser (chat/ws_frame.hpp) in both roles. Input: byte 0
// picks the role (bit 0: client), direct reads (bit 1) and the read sizes (bits 2-7); byte 1
// the message limit (2^(b % 21) bytes); the rest is the byte stream from the peer.
// Invariants: a parse never consumes more than it is given and stops only at an event; the
// events do not depend on how the stream is cut into reads; each event is consistent (text
// messages are UTF-8, sizes within limits, errors carry their rule and code, a server never
// reports a close that breaks a rule, nothing but a close follows a close or an error); a
// header rule broken is reported at once as that rule; every message re-encodes to itself.
#include "chat/ws_frame.hpp"

#include <algorithm> // min, copy_n
#include <cstddef>   // size_t
#include <cstdint>   // uint8_t, uint64_t
#include <cstdlib>   // abort
#include <optional>  // optional
#include <string>    // string
#include <vector>    // vector

namespace ws = chat::ws;
using kind = ws::frame_parser::event::kind;

namespace {

void require(bool ok) {
    if (!ok)
        std::abort();
}

struct seen {
    kind what;
    bool text;
    std::uint16_t code;
    ws::violation problem;
    std::string payload;
    bool operator==(const seen&) const = default;
};

struct run {
    ws::role r;
    std::uint64_t limit;
    std::vector<seen> events;
    bool ended = false; // a close or an error was reported
    std::size_t headers = 0;
    ws::violation header_problem = ws::violation::none; // of the last header, when checked
};

// Checks one event against the rules, and records it.
void on_event(run& st, const ws::frame_parser& p, bool closing_before,
              const ws::frame_parser::event& ev) {
    using v = ws::violation;
    if (st.ended)
        require(ev.what == kind::close); // after a close or an error: only the peer's close
    switch (ev.what) {
    case kind::message:
        require(ev.payload.size() <= st.limit);
        require(!ev.text || ws::is_valid_utf8(ev.payload));
        require(ev.problem == v::none);
        break;
    case kind::ping:
    case kind::pong:
        require(ev.payload.size() <= 125 && ev.problem == v::none);
        break;
    case kind::close: {
        require(ev.payload.size() <= 123 && p.closing());
        if (st.r == ws::role::server && !closing_before)
            require(ev.problem == v::none); // a server fails a broken close instead
        if (ev.problem == v::none || ev.problem == v::close_reason_not_utf8)
            require(ev.code == ws::close_code::no_status ? ev.payload.empty()
                                                         : ws::close_code_allowed(ev.code));
        if (ev.problem == v::none)
            require(ws::is_valid_utf8(ev.payload));
        st.ended = true;
        break;
    }
    case kind::error:
        require(ev.problem != v::none && ev.code == ws::close_code_for(ev.problem));
        require(p.closing() && !closing_before);
        if (st.header_problem != v::none)
            require(ev.problem == st.header_problem);
        st.ended = true;
        break;
    case kind::none:
        std::abort();
    }
    st.events.push_back({ev.what, ev.text, ev.code, ev.problem, std::string(ev.payload)});
}

// Parses `stream` in reads whose sizes come from `seed` (0: all at once), possibly reading
// payload straight into the parser's buffer.
run parse(ws::role r, std::uint64_t limit, std::string stream, unsigned seed, bool direct) {
    run st{r, limit, {}};
    ws::frame_parser p(limit, r);
    p.set_observer([&](const ws::frame_header& h) {
        ++st.headers;
        require(h.header_bytes >= 2 && h.header_bytes <= ws::max_header_bytes);
        require(h.form != ws::length_form::shortest);
        st.header_problem = p.closing() ? ws::violation::none : ws::check_header(h, r);
    });
    std::uint32_t x = seed * 2654435761u + 1;
    std::size_t at = 0;
    while (at < stream.size()) {
        x = x * 1103515245u + 12345u;
        std::size_t n = seed == 0 ? stream.size() - at : 1 + (x >> 16) % 97;
        n = std::min(n, stream.size() - at);
        ws::frame_parser::event ev;
        if (direct && seed != 0) {
            const auto span = p.direct_buffer(1);
            if (!span.empty()) {
                const std::size_t k = std::min(n, span.size());
                std::copy_n(stream.data() + at, k, span.data());
                at += k;
                const bool closing = p.closing();
                st.header_problem = ws::violation::none;
                p.direct_commit(k, ev);
                if (ev.what != kind::none)
                    on_event(st, p, closing, ev);
                continue;
            }
        }
        auto* data = reinterpret_cast<unsigned char*>(stream.data()) + at;
        std::size_t used = 0;
        while (used < n) {
            const bool closing = p.closing();
            st.header_problem = ws::violation::none;
            const std::size_t k = p.parse(data + used, n - used, ev);
            require(k <= n - used);
            used += k;
            if (ev.what == kind::none)
                require(used == n); // it stops early only at an event
            else
                on_event(st, p, closing, ev);
        }
        at += n;
    }
    return st;
}

// A message the parser handed out, written again by the peer, parses to itself.
void round_trip(ws::role r, const seen& m) {
    std::string wire;
    ws::append_frame(wire, m.text ? ws::opcode::text : ws::opcode::binary, true, m.payload,
                     r == ws::role::server ? std::optional(ws::mask_key{9, 8, 7, 6})
                                           : std::nullopt);
    ws::frame_parser p(m.payload.size(), r);
    ws::frame_parser::event ev;
    require(p.parse(reinterpret_cast<unsigned char*>(wire.data()), wire.size(), ev) == wire.size());
    require(ev.what == kind::message && ev.text == m.text && ev.payload == m.payload);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    const ws::role r = (data[0] & 1) != 0 ? ws::role::client : ws::role::server;
    const bool direct = (data[0] & 2) != 0;
    const unsigned seed = 1 + (data[0] >> 2);
    const std::uint64_t limit = std::uint64_t{1} << (data[1] % 21);
    const std::string stream(reinterpret_cast<const char*>(data) + 2, size - 2);

    const run whole = parse(r, limit, stream, 0, false);
    const run pieces = parse(r, limit, stream, seed, direct);
    require(whole.events == pieces.events);
    require(whole.headers == pieces.headers);
    for (const auto& e : whole.events)
        if (e.what == kind::message)
            round_trip(r, e);
    return 0;
}
