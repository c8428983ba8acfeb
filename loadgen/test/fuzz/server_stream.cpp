// libFuzzer target: everything chat-load parses from the network on a WebSocket connection,
// in the order its clients parse it: the answer to the upgrade (check_upgrade), then server
// frames (parse_frame) reassembled into messages (assemble), then each text message's
// measurement payload (find_content, decode_payload) or a full decode (chat::decode_message).
// The first input byte chooses how the rest is cut into reads. Invariants: the same messages
// come out however the bytes are cut; nothing points outside its input; no message exceeds
// the cap; a decoded payload re-encodes to the same fields.
#include "chat/codec.hpp"
#include "wire.hpp"

#include <algorithm> // min
#include <cstddef>   // size_t
#include <cstdint>   // uint8_t
#include <cstdlib>   // abort
#include <string>    // string
#include <vector>    // vector

namespace {

using namespace chat::load;

constexpr std::string_view accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
constexpr std::size_t cap = 4096; // a small message cap, so fuzzing reaches it

void check(bool ok) {
    if (!ok)
        std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() &&
                            part.data() + part.size() <= whole.data() + whole.size());
}

void inspect(std::string_view text) {
    std::string_view content;
    if (find_content(text, content)) {
        check(inside(content, text));
        check(content.find('\\') == std::string_view::npos);
        payload p;
        if (decode_payload(content, p)) {
            check(inside(p.run, content));
            if (p.run.size() <= 16) {
                std::string again;
                encode_payload(again, p, 0);
                payload q;
                check(decode_payload(again, q));
                check(q.run == p.run && q.sender == p.sender && q.seq == p.seq &&
                      q.intended_us == p.intended_us && q.sent_us == p.sent_us);
            }
        }
    }
    (void)chat::decode_message(text);
}

// What a client makes of `bytes` arriving in reads of `chunk` bytes (0: all at once): the
// upgrade outcome, then one entry per event ("T<text>", "B", "P<ping>", "C", "X" for a
// protocol error, which ends the connection).
std::vector<std::string> session(std::string_view bytes, std::size_t chunk) {
    std::vector<std::string> events;
    std::string in;
    bool upgraded = false, fragmented = false, binary = false;
    std::string partial;
    for (std::size_t at = 0; at < bytes.size();) {
        const auto n = chunk == 0 ? bytes.size() : std::min(chunk, bytes.size() - at);
        in.append(bytes.substr(at, n));
        at += n;
        if (!upgraded) {
            std::size_t head = 0;
            const auto st = check_upgrade(in, accept, head);
            if (st == upgrade_status::need_more) {
                check(in.size() <= max_upgrade_head);
                continue;
            }
            if (st != upgrade_status::switched) {
                events.push_back(st == upgrade_status::rejected ? "rejected" : "invalid");
                return events;
            }
            check(head >= 4 && head <= in.size() && head <= max_upgrade_head);
            check(in.compare(head - 4, 4, "\r\n\r\n") == 0);
            events.emplace_back("101");
            upgraded = true;
            in.erase(0, head);
        }
        std::size_t used = 0;
        while (used < in.size()) {
            const std::string_view rest = std::string_view(in).substr(used);
            frame f;
            std::size_t n2 = 0;
            auto st = parse_frame(rest, f, n2, cap);
            if (st == parse_status::need_more)
                break;
            std::string_view message;
            if (st == parse_status::complete) {
                check(n2 >= 2 && n2 <= rest.size());
                check(inside(f.payload, rest.substr(0, n2)) && f.payload.size() <= cap);
                if (f.op <= opcode::binary)
                    st = assemble(f, partial, fragmented, binary, message, cap);
            }
            if (st == parse_status::protocol_error) {
                events.emplace_back("X");
                return events;
            }
            used += n2;
            if (f.op == opcode::ping) {
                events.push_back("P" + std::string(f.payload));
            } else if (f.op == opcode::close) {
                events.emplace_back("C");
                return events;
            } else if (st == parse_status::complete && f.op != opcode::pong) {
                check(message.size() <= cap);
                if (binary) {
                    events.emplace_back("B");
                } else {
                    inspect(message);
                    events.push_back("T" + std::string(message));
                }
                partial.clear();
            }
        }
        in.erase(0, used);
        // A client keeps at most one unfinished frame: header plus capped payload.
        check(in.size() < cap + 10);
    }
    return events;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::size_t chunk = data[0] == 0 ? 0 : data[0] % 64 + 1;
    // Cut into reads or not, the bytes mean the same events.
    if (session(bytes, 0) != session(bytes, chunk))
        std::abort();
    return 0;
}
