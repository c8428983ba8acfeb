// The wire codec: client frames in, broadcast messages and REST bodies out (and back, for
// the tools that judge a server).
#include "chat/codec.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <nlohmann/json.hpp>

#include <array>   // array
#include <cstddef> // max_align_t, size_t
#include <cstdint> // int64_t
#include <limits>  // numeric_limits

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
    }
    return "unknown";
}

client_frame decode_client_frame(std::string_view text) {
    // Boost.JSON, not nlohmann: about 4x faster on a typical frame (benchmarks/codec.cpp), and
    // it decodes into a stack buffer, so a frame of ordinary size allocates only its content.
    // It accepts exactly what nlohmann's strict parser accepted: a leading UTF-8 BOM is
    // skipped, invalid UTF-8 is an error, nesting depth is not limited, a duplicate key keeps
    // its last value. No exceptions: a parse error is an ordinary outcome here.
    if (text.substr(0, 3) == "\xEF\xBB\xBF")
        text.remove_prefix(3);
    alignas(std::max_align_t) unsigned char buffer[2048];
    boost::json::monotonic_resource memory(buffer, sizeof buffer);
    boost::json::parse_options options;
    options.max_depth = std::numeric_limits<std::size_t>::max();
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(text, ec, &memory, options);
    if (ec)
        return {{}, frame_error::not_json};
    const auto* object = doc.if_object();
    if (!object)
        return {{}, frame_error::not_object};
    const auto* content = object->if_contains("content");
    if (!content)
        return {{}, frame_error::content_missing};
    const auto* string = content->if_string();
    if (!string)
        return {{}, frame_error::content_not_string};
    return {std::string(string->data(), string->size()), frame_error::none};
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

std::string encode_error(std::string_view message) {
    std::string out = "{\"error\":";
    append_json_string(out, message);
    out += '}';
    return out;
}

namespace {

void say(std::string* why, std::string text) {
    if (why)
        *why = std::move(text);
}

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
