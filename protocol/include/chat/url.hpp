// URLs both sides agree on: percent-coding, the base URL a tool is pointed at, and the
// targets built from it (/ws, /api/rooms, /api/rooms/:room/messages, /health).
#pragma once

#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // pair
#include <vector>      // vector

namespace chat {

// Percent-encodes every byte outside RFC 3986's unreserved set.
std::string percent_encode(std::string_view s);

// Decodes %XX escapes. With `plus_is_space` ('application/x-www-form-urlencoded', used for
// query values) '+' becomes ' '. Returns nullopt on a malformed escape ("%", "%4", "%ZZ").
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space = false);

// A tool's target: http://, https://, ws:// or wss://, host name, IPv4 or [IPv6], optional
// port and optional base path ("https://chat.example/api/v1" serves "/api/v1/ws", ...).
struct base_url {
    std::string scheme;    // "http" or "https" (ws/wss are normalised to these)
    std::string host;      // without brackets for IPv6 literals
    std::string port;      // always set: explicit, or 80/443 from the scheme
    std::string base_path; // "" or "/prefix" without a trailing slash
    bool tls() const noexcept { return scheme == "https"; }
    std::string host_header() const; // host[:port] as the Host header wants it
    std::string to_string() const;
};

// Parses a base URL; on failure returns nullopt and says why in `why`.
std::optional<base_url> parse_base_url(std::string_view text, std::string* why = nullptr);

std::string ws_target(const base_url& base, std::string_view room, std::string_view user);
std::string rooms_target(const base_url& base);
std::string history_target(const base_url& base, std::string_view room);
std::string health_target(const base_url& base);

// A request target ("/api/rooms/caf%C3%A9/messages?x=1") split and decoded, as a server
// routes it: path segments decoded one by one (so "%2F" stays inside its segment), query
// pairs decoded as form values. nullopt when the target is not origin-form or an escape is bad.
struct request_target {
    std::vector<std::string> segments; // "/api/rooms" -> {"api", "rooms"}
    std::vector<std::pair<std::string, std::string>> query;
    // Every value of `key`, in order.
    std::vector<std::string> values(std::string_view key) const;
};
std::optional<request_target> parse_request_target(std::string_view target);

// A "Name: value" header line as a command line gives it (--header, --require-header): the
// name a non-empty HTTP token, the value without surrounding blanks and without CR, LF or NUL.
// On failure returns nullopt and says why in `why`.
std::optional<std::pair<std::string, std::string>> parse_header_line(std::string_view text,
                                                                     std::string* why = nullptr);

} // namespace chat
