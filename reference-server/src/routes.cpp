// Request-target rules: endpoint by decoded path segments, /ws query validation.
#include "routes.hpp"

#include "chat/url.hpp"

#include <vector> // vector

namespace chat_server {

namespace {

route::endpoint endpoint_of(const std::vector<std::string>& seg) {
    if (seg.size() == 1 && seg[0] == "health")
        return route::endpoint::health;
    if (seg.size() == 1 && seg[0] == "ws")
        return route::endpoint::ws;
    if (seg.size() == 2 && seg[0] == "api" && seg[1] == "rooms")
        return route::endpoint::rooms;
    if (seg.size() == 4 && seg[0] == "api" && seg[1] == "rooms" && seg[3] == "messages")
        return route::endpoint::history;
    return route::endpoint::unknown;
}

// Splits the path of a target without decoding, for targets whose escapes are malformed.
std::vector<std::string> raw_segments(std::string_view target) {
    std::vector<std::string> seg;
    std::string_view path = target.substr(0, target.find('?'));
    if (path.empty() || path[0] != '/')
        return seg;
    path.remove_prefix(1);
    while (true) {
        auto slash = path.find('/');
        seg.emplace_back(path.substr(0, slash));
        if (slash == std::string_view::npos)
            break;
        path.remove_prefix(slash + 1);
    }
    return seg;
}

// Why `name` cannot be this query parameter, or "" if it can.
std::string check_parameter(const chat::request_target& t, std::string_view name,
                            std::size_t max_bytes, std::string& value) {
    auto values = t.values(name);
    const std::string quoted = "query parameter '" + std::string(name) + "'";
    if (values.empty())
        return quoted + " is required: use /ws?room=ROOM&user=USER";
    if (values.size() > 1)
        return quoted + " is given " + std::to_string(values.size()) + " times; give it once";
    if (values[0].empty())
        return quoted + " must not be empty";
    if (values[0].size() > max_bytes)
        return quoted + " is " + std::to_string(values[0].size()) + " bytes; the limit is " +
               std::to_string(max_bytes);
    if (!is_valid_utf8(values[0]))
        return quoted + " is not valid UTF-8 after decoding";
    value = std::move(values[0]);
    return {};
}

} // namespace

route classify(std::string_view target, std::size_t max_name_bytes) {
    route r;
    auto parsed = chat::parse_request_target(target);
    if (!parsed) {
        r.malformed = true;
        r.what = endpoint_of(raw_segments(target));
        return r;
    }
    r.what = endpoint_of(parsed->segments);
    if (r.what == route::endpoint::history) {
        r.room = parsed->segments[2];
    } else if (r.what == route::endpoint::ws) {
        r.query_error = check_parameter(*parsed, "room", max_name_bytes, r.join_room);
        if (r.query_error.empty())
            r.query_error = check_parameter(*parsed, "user", max_name_bytes, r.join_user);
    }
    return r;
}

std::optional<std::string_view> strip_base_path(std::string_view target,
                                                std::string_view base_path) noexcept {
    if (target.size() <= base_path.size() || target.compare(0, base_path.size(), base_path) != 0 ||
        target[base_path.size()] != '/')
        return std::nullopt;
    return target.substr(base_path.size());
}

std::optional<absolute_target> split_absolute_form(std::string_view target) {
    const auto colon = target.find("://");
    if (colon == std::string_view::npos)
        return std::nullopt;
    const std::string_view scheme = target.substr(0, colon);
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    const auto is = [&](std::string_view want) {
        if (scheme.size() != want.size())
            return false;
        for (std::size_t i = 0; i < want.size(); ++i)
            if (lower(scheme[i]) != want[i])
                return false;
        return true;
    };
    if (!is("http") && !is("https"))
        return std::nullopt;
    std::string_view rest = target.substr(colon + 3);
    const auto end = rest.find_first_of("/?#");
    absolute_target t;
    t.authority = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    if (rest.empty() || rest[0] != '/')
        t.origin_form = "/";
    t.origin_form += rest;
    return t;
}

bool valid_host_value(std::string_view value) noexcept {
    for (const char c : value) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') ||
                        std::string_view("-._~!$&'()*+,;=%:[]").find(c) != std::string_view::npos;
        if (!ok)
            return false;
    }
    return true;
}

} // namespace chat_server
