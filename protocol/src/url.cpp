// Percent-coding, base URLs and the targets of SPEC.md's endpoints.
#include "chat/url.hpp"

#include "say.hpp"

#include "chat/tls_support.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm> // all_of, transform
#include <cctype>    // tolower

namespace chat {

namespace {

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

using reason::say;

// 'text', built by appending (operator+ on a fresh string trips GCC 12's -Wrestrict).
std::string quoted(std::string_view text) {
    std::string q;
    q.reserve(text.size() + 2);
    q += '\'';
    q.append(text);
    q += '\'';
    return q;
}

} // namespace

std::string percent_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xF]);
        }
    }
    return out;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size())
                return std::nullopt; // "%" or "%4" at the end
            const int hi = hex_value(s[i + 1]);
            const int lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string base_url::host_header() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string h = v6 ? "[" + host + "]" : host;
    const bool default_port = (tls() && port == "443") || (!tls() && port == "80");
    if (!default_port)
        h += ":" + port;
    return h;
}

std::string base_url::to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + port + base_path;
}

std::string tls_unsupported_message() {
#if defined(_WIN32)
    return "https:// and wss:// are not available in this Windows build, which has no TLS; "
           "use http:// or ws://";
#else
    return "https:// and wss:// are not available in this build (configured with "
           "-DCHAT_TLS=OFF), which has no TLS; use http:// or ws://";
#endif
}

std::optional<base_url> parse_base_url(std::string_view text, std::string* why) {
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) {
        say(why, quoted(text) +
                     " is not a URL; expected e.g. http://127.0.0.1:8082 or https://host/base");
        return std::nullopt;
    }
    const boost::urls::url_view& u = *parsed;
    base_url out;
    std::string scheme(u.scheme());
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == "ws")
        scheme = "http";
    if (scheme == "wss")
        scheme = "https";
    if (scheme != "http" && scheme != "https") {
        say(why, "unsupported scheme '" + std::string(u.scheme()) + "' in " + quoted(text) +
                     "; use http://, https://, ws:// or wss://");
        return std::nullopt;
    }
    if (scheme == "https" && !tls_supported) {
        say(why, tls_unsupported_message()); // callers name the URL
        return std::nullopt;
    }
    out.scheme = scheme;
    if (!u.has_authority() || u.encoded_host().empty()) {
        say(why, "no host in " + quoted(text));
        return std::nullopt;
    }
    if (u.has_userinfo()) {
        say(why, "user information in " + quoted(text) + " is not supported");
        return std::nullopt;
    }
    if (u.host_type() == boost::urls::host_type::ipv6) {
        out.host = u.host_ipv6_address().to_string();
    } else {
        out.host = u.host();
    }
    if (u.has_port()) {
        const auto p = u.port();
        if (p.empty() ||
            !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            p.size() > 5 || std::stoul(std::string(p)) == 0 || std::stoul(std::string(p)) > 65535) {
            say(why, "bad port " + quoted(p) + " in " + quoted(text));
            return std::nullopt;
        }
        out.port = std::string(p);
    } else {
        out.port = out.tls() ? "443" : "80";
    }
    if (u.has_query() || u.has_fragment()) {
        say(why, "a base URL takes no query or fragment: " + quoted(text));
        return std::nullopt;
    }
    std::string path(u.encoded_path());
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    if (!path.empty() && path.front() != '/')
        path.insert(path.begin(), '/');
    out.base_path = path;
    return out;
}

std::string ws_target(const base_url& base, std::string_view room, std::string_view user) {
    return base.base_path + "/ws?room=" + percent_encode(room) + "&user=" + percent_encode(user);
}

std::string rooms_target(const base_url& base) {
    return base.base_path + "/api/rooms";
}

std::string history_target(const base_url& base, std::string_view room) {
    return base.base_path + "/api/rooms/" + percent_encode(room) + "/messages";
}

std::string health_target(const base_url& base) {
    return base.base_path + "/health";
}

std::vector<std::string> request_target::values(std::string_view key) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : query)
        if (k == key)
            out.push_back(v);
    return out;
}

std::optional<request_target> parse_request_target(std::string_view target) {
    if (target.empty() || target.front() != '/')
        return std::nullopt;
    if (target.find('#') != std::string_view::npos)
        return std::nullopt;
    request_target out;
    const auto qpos = target.find('?');
    std::string_view path = target.substr(0, qpos);
    std::string_view query =
        qpos == std::string_view::npos ? std::string_view{} : target.substr(qpos + 1);

    // "/a/b" -> "a", "b"; "/" -> one empty segment
    path.remove_prefix(1);
    for (;;) {
        const auto slash = path.find('/');
        auto seg = percent_decode(path.substr(0, slash), false);
        if (!seg)
            return std::nullopt;
        out.segments.push_back(std::move(*seg));
        if (slash == std::string_view::npos)
            break;
        path.remove_prefix(slash + 1);
    }
    while (!query.empty()) {
        const auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty())
            continue;
        const auto eq = pair.find('=');
        auto k = percent_decode(pair.substr(0, eq), true);
        auto v = percent_decode(
            eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!k || !v)
            return std::nullopt;
        out.query.emplace_back(std::move(*k), std::move(*v));
    }
    return out;
}

std::optional<std::pair<std::string, std::string>> parse_header_line(std::string_view text,
                                                                     std::string* why) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        say(why, "expected 'Name: value' with a colon after the name");
        return std::nullopt;
    }
    std::string_view name = text.substr(0, colon);
    std::string_view value = text.substr(colon + 1);
    if (name.empty()) {
        say(why, "the header name before the colon is empty");
        return std::nullopt;
    }
    // RFC 9110 token characters.
    static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    for (char ch : name) {
        const auto c = static_cast<unsigned char>(ch);
        const bool alnum =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && extra.find(ch) == std::string_view::npos) {
            say(why, "the header name " + quoted(name) +
                         " may hold only letters, digits and !#$%&'*+-.^_`|~ (no blanks)");
            return std::nullopt;
        }
    }
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
        say(why, "the header value must not contain CR, LF or NUL");
        return std::nullopt;
    }
    return std::pair<std::string, std::string>(std::string(name), std::string(value));
}

} // namespace chat
