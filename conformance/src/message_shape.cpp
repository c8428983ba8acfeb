// Shape judgements: broadcast messages judged with nlohmann/json (to tell MSG-2 from MSG-3);
// REST envelopes decoded by protocol/'s codec, with the runner's own wording on failure and its
// stricter checks (unique names, no negative counts) on top.
#include "message_shape.hpp"

#include "chat/codec.hpp"

#include <nlohmann/json.hpp>

#include <algorithm> // find_if
#include <cstdio>    // snprintf
#include <set>       // set

namespace chat::conformance {

using json = nlohmann::json;

namespace {

// Keeps the parser's error message without throwing it (exceptions are slow, and a hostile
// server can send garbage all day).
struct error_catcher : nlohmann::json_sax<json> {
    std::string message;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&,
                     const nlohmann::detail::exception& e) override {
        message = e.what();
        return false;
    }
};

std::optional<json> parse(std::string_view text, std::string& why) {
    auto v = json::parse(text, nullptr, false);
    if (!v.is_discarded())
        return v;
    error_catcher catcher;
    json::sax_parse(text, &catcher);
    why = "not valid JSON (" + catcher.message + "): " + excerpt(text);
    return std::nullopt;
}

const char* type_name(const json& v) {
    if (v.is_number_integer())
        return "an integer";
    if (v.is_number_float())
        return "a floating-point number";
    switch (v.type()) {
    case json::value_t::null:
        return "null";
    case json::value_t::boolean:
        return "a boolean";
    case json::value_t::string:
        return "a string";
    case json::value_t::array:
        return "an array";
    case json::value_t::object:
        return "an object";
    default:
        return "a value";
    }
}

message_verdict judge_message(const json& v) {
    message_verdict out;
    out.clause = "MSG-2";
    if (!v.is_object()) {
        out.problem = std::string("the message is ") + type_name(v) + ", not a JSON object";
        return out;
    }
    static const std::set<std::string> wanted{"user", "room", "content", "timestamp"};
    for (auto it = v.begin(); it != v.end(); ++it)
        if (!wanted.count(it.key())) {
            out.problem = "the message has a member \"" + it.key() +
                          "\"; exactly user, room, content and timestamp are allowed";
            return out;
        }
    for (const char* key : {"user", "room", "content", "timestamp"})
        if (!v.contains(key)) {
            out.problem = std::string("the message has no \"") + key + "\" member";
            return out;
        }
    for (const char* key : {"user", "room", "content"})
        if (!v[key].is_string()) {
            out.problem = std::string("\"") + key + "\" is " + type_name(v[key]) + ", not a string";
            return out;
        }
    const json& ts = v["timestamp"];
    if (!ts.is_number_integer()) {
        out.clause = "MSG-3";
        out.problem = "\"timestamp\" is " + std::string(type_name(ts)) + " (" +
                      excerpt(ts.dump(), 40) + "), not an integer";
        return out;
    }
    chat_message m;
    m.user = v["user"].get<std::string>();
    m.room = v["room"].get<std::string>();
    m.content = v["content"].get<std::string>();
    m.timestamp = ts.is_number_unsigned()
                      ? static_cast<std::int64_t>(ts.get<std::uint64_t>() & 0x7fffffffffffffff)
                      : ts.get<std::int64_t>();
    out.message = std::move(m);
    out.clause.clear();
    return out;
}

// The tolerant reading of a parsed message: see observe_message.
observation observe_value(const json& v) {
    observation out;
    out.unrecognised.clause = "MSG-2";
    if (!v.is_object()) {
        out.unrecognised.problem =
            std::string("the message is ") + type_name(v) + ", not a JSON object";
        return out;
    }
    auto content = v.find("content");
    if (content == v.end() || !content->is_string()) {
        out.unrecognised.problem =
            content == v.end()
                ? "the message has no \"content\" member: " + excerpt(v.dump())
                : "\"content\" is " + std::string(type_name(*content)) + ", not a string";
        return out;
    }
    chat_message m;
    m.content = content->get<std::string>();
    static const std::set<std::string> wanted{"user", "room", "content", "timestamp"};
    for (auto it = v.begin(); it != v.end(); ++it)
        if (!wanted.count(it.key()))
            out.deviations.push_back({"MSG-2", "the message has a member \"" + it.key() +
                                                   "\"; exactly user, room, content and "
                                                   "timestamp are allowed"});
    for (auto [key, field] : {std::pair{"user", &m.user}, std::pair{"room", &m.room}}) {
        auto it = v.find(key);
        if (it == v.end())
            out.deviations.push_back(
                {"MSG-2", std::string("the message has no \"") + key + "\" member"});
        else if (!it->is_string())
            out.deviations.push_back(
                {"MSG-2", std::string("\"") + key + "\" is " + type_name(*it) + ", not a string"});
        else
            *field = it->get<std::string>();
    }
    auto ts = v.find("timestamp");
    if (ts == v.end()) {
        out.deviations.push_back({"MSG-2", "the message has no \"timestamp\" member"});
    } else if (ts->is_number_unsigned()) {
        m.timestamp = static_cast<std::int64_t>(ts->get<std::uint64_t>() & 0x7fffffffffffffff);
    } else if (ts->is_number_integer()) {
        m.timestamp = ts->get<std::int64_t>();
    } else {
        out.deviations.push_back({"MSG-3", "\"timestamp\" is " + std::string(type_name(*ts)) +
                                               " (" + excerpt(ts->dump(), 40) +
                                               "), not an integer"});
        if (ts->is_number_float())
            m.timestamp = static_cast<std::int64_t>(ts->get<double>());
    }
    out.message = std::move(m);
    return out;
}

// Why `body` is not {"data":{...}} with the array `member` (and, for history, the string
// "room"), or "" when the envelope is right and an element is at fault.
std::string envelope_problem(std::string_view body, const char* member, bool history,
                             const json*& items, std::optional<json>& doc) {
    std::string why;
    doc = parse(body, why);
    if (!doc)
        return why;
    if (!doc->is_object() || !doc->contains("data") || !(*doc)["data"].is_object())
        return "the body is not {\"data\":{...}}: " + excerpt(body);
    const json& data = (*doc)["data"];
    if (history && (!data.contains("room") || !data["room"].is_string()))
        return "\"data\" has no string \"room\": " + excerpt(body);
    if (!data.contains(member) || !data[member].is_array())
        return std::string("\"data\" has no \"") + member + "\" array: " + excerpt(body);
    items = &data[member];
    return {};
}

} // namespace

observation observe_message(std::string_view text) {
    std::string why;
    auto v = parse(text, why);
    if (!v) {
        observation out;
        out.unrecognised = {"MSG-2", "the message is " + why};
        return out;
    }
    return observe_value(*v);
}

std::optional<observed_history> observe_history(std::string_view body, std::string& why) {
    const json* items = nullptr;
    std::optional<json> doc;
    why = envelope_problem(body, "messages", true, items, doc);
    if (!why.empty())
        return std::nullopt;
    observed_history out;
    out.room = (*doc)["data"]["room"].get<std::string>();
    for (const json& m : *items)
        out.messages.push_back(observe_value(m));
    return out;
}

message_verdict inspect_message(std::string_view text) {
    std::string why;
    auto v = parse(text, why);
    if (!v) {
        message_verdict out;
        out.clause = "MSG-2";
        out.problem = "the message is " + why;
        return out;
    }
    return judge_message(*v);
}

std::optional<std::string> json_problem(std::string_view text) {
    std::string why;
    if (parse(text, why))
        return std::nullopt;
    return why;
}

std::optional<std::string> inspect_error_body(std::string_view body, std::string& why) {
    auto v = parse(body, why);
    if (!v)
        return std::nullopt;
    if (!v->is_object() || !v->contains("error")) {
        why = "the body is not an object with an \"error\" member: " + excerpt(body);
        return std::nullopt;
    }
    if (!(*v)["error"].is_string()) {
        why = std::string("\"error\" is ") + type_name((*v)["error"]) + ", not a string";
        return std::nullopt;
    }
    return (*v)["error"].get<std::string>();
}

std::optional<std::vector<room_entry>> inspect_room_list(std::string_view body, std::string& why) {
    auto rooms = chat::decode_room_list(body);
    if (!rooms) {
        // Only the wording is ours: find what the codec refused.
        const json* items = nullptr;
        std::optional<json> doc;
        why = envelope_problem(body, "rooms", false, items, doc);
        if (why.empty()) {
            for (const json& r : *items)
                if (!r.is_object() || !r.contains("name") || !r["name"].is_string() ||
                    !r.contains("clients") || !r["clients"].is_number_integer()) {
                    why = "a room entry is not {\"name\": string, \"clients\": integer}: " +
                          excerpt(r.dump());
                    break;
                }
        }
        if (why.empty())
            why = "the room list is malformed: " + excerpt(body);
        return std::nullopt;
    }
    std::set<std::string> seen;
    for (const auto& e : *rooms) {
        if (e.clients < 0) {
            why = "room \"" + excerpt(e.name, 80) + "\" has a negative client count " +
                  std::to_string(e.clients);
            return std::nullopt;
        }
        if (!seen.insert(e.name).second) {
            why = "room \"" + excerpt(e.name, 80) + "\" is listed more than once";
            return std::nullopt;
        }
    }
    return rooms;
}

std::optional<history_body> inspect_history(std::string_view body, std::string& why) {
    auto h = chat::decode_history(body);
    if (!h) {
        const json* items = nullptr;
        std::optional<json> doc;
        why = envelope_problem(body, "messages", true, items, doc);
        if (why.empty()) {
            std::size_t i = 0;
            for (const json& m : *items) {
                auto verdict = judge_message(m);
                if (!verdict.message) {
                    why = "messages[" + std::to_string(i) + "]: " + verdict.problem;
                    break;
                }
                ++i;
            }
        }
        if (why.empty())
            why = "the history is malformed: " + excerpt(body);
        return std::nullopt;
    }
    history_body out;
    out.room = std::move(h->room);
    out.messages = std::move(h->messages);
    return out;
}

bool is_health_ok(std::string_view body, std::string& why) {
    auto v = parse(body, why);
    if (!v)
        return false;
    if (*v != json{{"data", {{"status", "ok"}}}}) {
        why = "the body is " + excerpt(body);
        return false;
    }
    return true;
}

bool is_json_content_type(std::string_view ct) {
    auto semi = ct.find(';');
    auto type = ct.substr(0, semi);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
        type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
        type.remove_prefix(1);
    static constexpr std::string_view want = "application/json";
    if (type.size() != want.size())
        return false;
    for (std::size_t i = 0; i < want.size(); ++i) {
        char c = type[i];
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if (c != want[i])
            return false;
    }
    return true;
}

std::string excerpt(std::string_view text, std::size_t max) {
    // Valid UTF-8 is kept (never cut inside a character); control characters and invalid
    // bytes are escaped, so the result is always printable, valid UTF-8.
    std::string out;
    out.reserve(std::min(text.size(), max) + 8);
    for (std::size_t i = 0; i < text.size();) {
        if (out.size() >= max) {
            out += "... (" + std::to_string(text.size()) + " bytes)";
            break;
        }
        auto c = static_cast<unsigned char>(text[i]);
        std::size_t len = c < 0x80           ? 1
                          : (c >> 5) == 0x6  ? 2
                          : (c >> 4) == 0xE  ? 3
                          : (c >> 3) == 0x1E ? 4
                                             : 0;
        bool valid = len > 0 && i + len <= text.size() && !(len == 2 && c < 0xC2);
        for (std::size_t k = 1; valid && k < len; ++k)
            valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
        if (valid && len > 1) {
            out.append(text.substr(i, len));
            i += len;
            continue;
        }
        if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\t')
            out += "\\t";
        else if (c < 0x20 || c >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else
            out += static_cast<char>(c);
        ++i;
    }
    return out;
}

} // namespace chat::conformance
