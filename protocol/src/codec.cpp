// The wire codec: client frames in, broadcast messages and REST bodies out (and back, for
// the tools that judge a server).
#include "chat/codec.hpp"

#include "say.hpp"

#include <nlohmann/json.hpp>

#include <array>   // array
#include <cstddef> // size_t
#include <cstdint> // int64_t
#include <vector>  // vector

namespace chat {

using json = nlohmann::json;

const char* to_string(frame_error e) noexcept {
    switch (e) {
    case frame_error::none:
        return "ok";
    case frame_error::not_json:
        return "not JSON";
    case frame_error::not_object:
        return "not a JSON object";
    case frame_error::content_missing:
        return "no \"content\" member";
    case frame_error::content_not_string:
        return "\"content\" is not a string";
    case frame_error::content_repeated:
        return "\"content\" given more than once";
    case frame_error::content_lone_surrogate:
        return "\"content\" holds a lone surrogate escape, which UTF-8 cannot represent";
    }
    return "unknown";
}

namespace {

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629), 0 if there is none.
std::size_t utf8_sequence_at(std::string_view s, std::size_t i) noexcept {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80)
        return 1;
    std::size_t len;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (s.size() - i < len)
        return 0;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi)
        return 0;
    for (std::size_t k = 2; k < len; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0u) != 0x80u)
            return 0;
    return len;
}

// A validating scanner of RFC 8259 JSON text that keeps only what a client frame needs: whether
// the text is JSON, whether its top-level value is an object, and that object's "content"
// members. Grammar only: a number is never too big or too small (RFC 8259 section 6 leaves
// range to implementations; nothing here needs a number's value), nesting depth is unbounded
// (an explicit stack, no recursion), strings must be UTF-8 (section 8.1) without raw control
// characters (section 7).
class frame_scanner {
public:
    explicit frame_scanner(std::string_view text) : p_(text.data()), end_(p_ + text.size()) {}

    client_frame scan() {
        if (!value_sequence())
            return {{}, frame_error::not_json};
        if (!top_object_)
            return {{}, frame_error::not_object};
        if (contents_ == 0)
            return {{}, frame_error::content_missing};
        if (contents_ > 1)
            return {{}, frame_error::content_repeated};
        if (!content_is_string_)
            return {{}, frame_error::content_not_string};
        if (content_lone_surrogate_)
            return {{}, frame_error::content_lone_surrogate};
        client_frame f;
        if (content_escaped_)
            unescape(content_raw_, f.content);
        else
            f.content.assign(content_raw_);
        return f;
    }

private:
    // One bit per open container: object (true) or array (false); 64 levels inline.
    class nesting {
    public:
        std::size_t depth() const noexcept { return depth_; }
        void push(bool object) {
            if (depth_ < inline_levels)
                small_[depth_] = object;
            else
                big_.push_back(object);
            ++depth_;
        }
        void pop() noexcept {
            --depth_;
            if (depth_ >= inline_levels)
                big_.pop_back();
        }
        bool object() const noexcept {
            return depth_ <= inline_levels ? small_[depth_ - 1] : big_.back();
        }

    private:
        static constexpr std::size_t inline_levels = 64;
        std::array<bool, inline_levels> small_{};
        std::vector<bool> big_;
        std::size_t depth_ = 0;
    };

    void skip_whitespace() noexcept {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
            ++p_;
    }

    bool peek(char c) const noexcept { return p_ != end_ && *p_ == c; }

    // The whole text: one value, whitespace around it (RFC 8259 section 2).
    bool value_sequence() {
        nesting stack;
        bool capture = false; // the value being read is a top-level "content"
        skip_whitespace();
        if (peek('{'))
            top_object_ = true;
        while (true) {
            // A value.
            skip_whitespace();
            if (p_ == end_)
                return false;
            const char c = *p_;
            bool done = true; // a whole value was read (not a container opened)
            if (c == '{' || c == '[') {
                ++p_;
                skip_whitespace();
                if (peek(c == '{' ? '}' : ']')) {
                    ++p_;
                } else {
                    stack.push(c == '{');
                    done = false;
                }
            } else if (c == '"') {
                std::string_view raw;
                bool escaped = false;
                bool lone = false;
                if (!string(raw, escaped, lone))
                    return false;
                if (capture) {
                    content_is_string_ = true;
                    content_raw_ = raw;
                    content_escaped_ = escaped;
                    content_lone_surrogate_ = lone;
                }
            } else if (!(c == '-' || (c >= '0' && c <= '9') ? number() : literal())) {
                return false;
            }
            capture = false;
            if (!done) {
                if (stack.object()) {
                    if (!member_name(stack.depth() == 1, capture))
                        return false;
                }
                continue; // the container's first value
            }
            // After a value: the container goes on, or closes (maybe several levels).
            while (true) {
                skip_whitespace();
                if (stack.depth() == 0)
                    return p_ == end_;
                const bool object = stack.object();
                if (peek(',')) {
                    ++p_;
                    if (object && !member_name(stack.depth() == 1, capture))
                        return false;
                    break;
                }
                if (!peek(object ? '}' : ']'))
                    return false;
                ++p_;
                stack.pop();
            }
        }
    }

    // `"name" :` of an object member; `capture` is set for a top-level "content".
    bool member_name(bool top_level, bool& capture) {
        skip_whitespace();
        if (!peek('"'))
            return false;
        std::string_view raw;
        bool escaped = false;
        bool lone = false;
        if (!string(raw, escaped, lone))
            return false;
        if (top_level) {
            if (escaped) {
                std::string name;
                unescape(raw, name);
                capture = !lone && name == "content";
            } else {
                capture = raw == "content";
            }
            if (capture)
                ++contents_;
        }
        skip_whitespace();
        if (!peek(':'))
            return false;
        ++p_;
        return true;
    }

    static bool hex4(const char* p, unsigned& out) noexcept {
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = p[i];
            unsigned d;
            if (c >= '0' && c <= '9')
                d = static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                d = static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                d = static_cast<unsigned>(c - 'A' + 10);
            else
                return false;
            out = (out << 4) | d;
        }
        return true;
    }

    // A string at p_ (an opening quote): `raw` is what lies between the quotes, `escaped` says
    // whether it holds escapes, `lone` whether one of them is a surrogate without its pair
    // (RFC 8259 section 8.2). False when it is not a valid string.
    bool string(std::string_view& raw, bool& escaped, bool& lone) noexcept {
        const char* start = ++p_;
        bool pending_high = false; // the last escape was a high surrogate
        while (true) {
            if (p_ == end_)
                return false;
            const auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                if (pending_high)
                    lone = true;
                raw = std::string_view(start, static_cast<std::size_t>(p_ - start));
                ++p_;
                return true;
            }
            if (c < 0x20)
                return false;
            if (c == '\\') {
                escaped = true;
                if (end_ - p_ < 2)
                    return false;
                const char e = p_[1];
                if (e == 'u') {
                    unsigned cp;
                    if (end_ - p_ < 6 || !hex4(p_ + 2, cp))
                        return false;
                    p_ += 6;
                    if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        if (!pending_high)
                            lone = true;
                        pending_high = false;
                    } else {
                        if (pending_high)
                            lone = true;
                        pending_high = cp >= 0xD800 && cp <= 0xDBFF;
                    }
                    continue;
                }
                if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                    e != 'r' && e != 't')
                    return false;
                if (pending_high)
                    lone = true;
                pending_high = false;
                p_ += 2;
                continue;
            }
            if (pending_high)
                lone = true;
            pending_high = false;
            if (c < 0x80) {
                ++p_;
                continue;
            }
            if (!utf8_sequence())
                return false;
        }
    }

    // One multi-byte UTF-8 sequence at p_.
    bool utf8_sequence() noexcept {
        const std::size_t len =
            utf8_sequence_at(std::string_view(p_, static_cast<std::size_t>(end_ - p_)), 0);
        p_ += len;
        return len != 0;
    }

    static bool digit(char c) noexcept { return c >= '0' && c <= '9'; }

    // RFC 8259 section 6: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?, any length.
    bool number() noexcept {
        if (peek('-'))
            ++p_;
        if (peek('0')) {
            ++p_;
        } else {
            if (p_ == end_ || !digit(*p_))
                return false;
            while (p_ != end_ && digit(*p_))
                ++p_;
        }
        if (peek('.')) {
            ++p_;
            if (p_ == end_ || !digit(*p_))
                return false;
            while (p_ != end_ && digit(*p_))
                ++p_;
        }
        if (peek('e') || peek('E')) {
            ++p_;
            if (peek('+') || peek('-'))
                ++p_;
            if (p_ == end_ || !digit(*p_))
                return false;
            while (p_ != end_ && digit(*p_))
                ++p_;
        }
        return true;
    }

    bool literal() noexcept {
        for (std::string_view word : {"true", "false", "null"}) {
            if (static_cast<std::size_t>(end_ - p_) >= word.size() &&
                std::string_view(p_, word.size()) == word) {
                p_ += word.size();
                return true;
            }
        }
        return false;
    }

    static void append_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    // Decodes the escapes of a string string() accepted. A lone surrogate (only in names;
    // a "content" holding one is refused before this) becomes U+FFFD.
    static void unescape(std::string_view raw, std::string& out) {
        out.reserve(raw.size());
        std::size_t i = 0;
        while (i < raw.size()) {
            const std::size_t slash = raw.find('\\', i);
            if (slash == std::string_view::npos) {
                out.append(raw.substr(i));
                return;
            }
            out.append(raw.substr(i, slash - i));
            const char e = raw[slash + 1];
            i = slash + 2;
            switch (e) {
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                unsigned cp;
                hex4(raw.data() + i, cp);
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= raw.size() && raw[i] == '\\' &&
                    raw[i + 1] == 'u') {
                    unsigned low;
                    hex4(raw.data() + i + 2, low);
                    if (low >= 0xDC00 && low <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        i += 6;
                    }
                }
                if (cp >= 0xD800 && cp <= 0xDFFF)
                    cp = 0xFFFD;
                append_utf8(out, cp);
                break;
            }
            default: // '"', '\\', '/'
                out += e;
            }
        }
    }

    const char* p_;
    const char* end_;
    bool top_object_ = false;
    std::size_t contents_ = 0; // top-level "content" members
    bool content_is_string_ = false;
    bool content_escaped_ = false;
    bool content_lone_surrogate_ = false;
    std::string_view content_raw_;
};

} // namespace

client_frame decode_client_frame(std::string_view text) {
    // A purpose-built scanner, not a general parser: it builds no document, allocates only the
    // content (and nesting past 64 levels), and accepts exactly RFC 8259 JSON text, whatever
    // its numbers' size (Boost.JSON 1.81 rejects exponents like 1e99999999999; nlohmann
    // rejects 1e400). A leading UTF-8 BOM is not JSON text (RFC 8259 section 8.1), so such a
    // frame is not_json. A duplicate top-level "content" or one holding a lone surrogate
    // escape is refused (SPEC.md MSG-5); other duplicate names are not looked at.
    return frame_scanner(text).scan();
}

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t run = 0; // start of the pending run of bytes copied verbatim
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default: {
            const std::array<char, 6> esc{'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
            out.append(esc.data(), esc.size());
        }
        }
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

std::string encode_client_frame(std::string_view content) {
    std::string out;
    out.reserve(content.size() + 16);
    out += "{\"content\":";
    append_json_string(out, content);
    out += '}';
    return out;
}

std::string encode_message(const chat_message& m) {
    std::string out;
    out.reserve(m.user.size() + m.room.size() + m.content.size() + 64);
    out += "{\"user\":";
    append_json_string(out, m.user);
    out += ",\"room\":";
    append_json_string(out, m.room);
    out += ",\"content\":";
    append_json_string(out, m.content);
    out += ",\"timestamp\":";
    out += std::to_string(m.timestamp);
    out += '}';
    return out;
}

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const std::size_t len = utf8_sequence_at(s, i);
        if (len == 0) {
            out += "\xEF\xBF\xBD"; // U+FFFD REPLACEMENT CHARACTER
            ++i;
        } else {
            out.append(s.substr(i, len));
            i += len;
        }
    }
    return out;
}

std::string encode_error(std::string_view message) {
    std::string out = "{\"error\":";
    append_json_string(out, valid_utf8(message));
    out += '}';
    return out;
}

namespace {

using reason::say;

std::string describe(const json& j) {
    std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
    if (s.size() > 120)
        s = s.substr(0, 117) + "...";
    return s;
}

std::optional<chat_message> message_from(const json& j, std::string* why) {
    if (!j.is_object()) {
        say(why, "a message must be a JSON object, got " + describe(j));
        return std::nullopt;
    }
    chat_message m;
    for (const char* key : {"user", "room", "content"}) {
        auto it = j.find(key);
        if (it == j.end() || !it->is_string()) {
            say(why, std::string("member \"") + key + "\" must be a string, in " + describe(j));
            return std::nullopt;
        }
    }
    auto ts = j.find("timestamp");
    if (ts == j.end() || !ts->is_number_integer()) {
        say(why, "member \"timestamp\" must be an integer, in " + describe(j));
        return std::nullopt;
    }
    if (j.size() != 4) {
        say(why, "a message has exactly user, room, content and timestamp, got " + describe(j));
        return std::nullopt;
    }
    m.user = j["user"].get<std::string>();
    m.room = j["room"].get<std::string>();
    m.content = j["content"].get<std::string>();
    m.timestamp = ts->get<std::int64_t>();
    return m;
}

std::optional<json> parse_body(std::string_view body, std::string* why) {
    json doc = json::parse(body.begin(), body.end(), nullptr, false);
    if (doc.is_discarded()) {
        std::string shown(body.substr(0, 120));
        say(why, "body is not JSON: '" + shown + (body.size() > 120 ? "...'" : "'"));
        return std::nullopt;
    }
    return doc;
}

// {"data": {...}} -> the inner object.
const json* data_of(const json& doc, std::string* why) {
    if (!doc.is_object() || !doc.contains("data") || !doc["data"].is_object()) {
        say(why, "expected an envelope {\"data\":{...}}, got " + describe(doc));
        return nullptr;
    }
    return &doc["data"];
}

} // namespace

std::optional<chat_message> decode_message(std::string_view text, std::string* why) {
    auto doc = parse_body(text, why);
    if (!doc)
        return std::nullopt;
    return message_from(*doc, why);
}

std::optional<std::vector<room_entry>> decode_room_list(std::string_view body, std::string* why) {
    auto doc = parse_body(body, why);
    if (!doc)
        return std::nullopt;
    const json* data = data_of(*doc, why);
    if (!data)
        return std::nullopt;
    auto rooms = data->find("rooms");
    if (rooms == data->end() || !rooms->is_array()) {
        say(why, "expected data.rooms to be an array, got " + describe(*data));
        return std::nullopt;
    }
    std::vector<room_entry> out;
    out.reserve(rooms->size());
    for (const auto& r : *rooms) {
        if (!r.is_object() || !r.contains("name") || !r["name"].is_string() ||
            !r.contains("clients") || !r["clients"].is_number_integer()) {
            say(why, "a room entry must be {\"name\": string, \"clients\": integer}, got " +
                         describe(r));
            return std::nullopt;
        }
        out.push_back({r["name"].get<std::string>(), r["clients"].get<std::int64_t>()});
    }
    return out;
}

std::optional<room_history> decode_history(std::string_view body, std::string* why) {
    auto doc = parse_body(body, why);
    if (!doc)
        return std::nullopt;
    const json* data = data_of(*doc, why);
    if (!data)
        return std::nullopt;
    auto room = data->find("room");
    auto messages = data->find("messages");
    if (room == data->end() || !room->is_string()) {
        say(why, "expected data.room to be a string, got " + describe(*data));
        return std::nullopt;
    }
    if (messages == data->end() || !messages->is_array()) {
        say(why, "expected data.messages to be an array, got " + describe(*data));
        return std::nullopt;
    }
    room_history out;
    out.room = room->get<std::string>();
    out.messages.reserve(messages->size());
    for (std::size_t i = 0; i < messages->size(); ++i) {
        std::string inner;
        auto m = message_from((*messages)[i], &inner);
        if (!m) {
            say(why, "data.messages[" + std::to_string(i) + "]: " + inner);
            return std::nullopt;
        }
        out.messages.push_back(std::move(*m));
    }
    return out;
}

std::optional<std::string> decode_error(std::string_view body, std::string* why) {
    auto doc = parse_body(body, why);
    if (!doc)
        return std::nullopt;
    if (!doc->is_object() || !doc->contains("error") || !(*doc)["error"].is_string() ||
        (*doc)["error"].get_ref<const std::string&>().empty()) {
        say(why, "expected {\"error\": non-empty string}, got " + describe(*doc));
        return std::nullopt;
    }
    return (*doc)["error"].get<std::string>();
}

} // namespace chat
