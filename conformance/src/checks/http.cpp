// HTTP: /health, 404, 405 and content types (SPEC.md section 7).
#include "checks.hpp"

#include "../check_context.hpp"
#include "../message_shape.hpp"

#include "chat/url.hpp"

#include <cctype> // toupper

namespace chat::conformance {

namespace {

// Expects `status` with a JSON {"error": string} body and a JSON content type.
net::awaitable<http_result> expect_error(check_context& ctx, std::string method, std::string target,
                                         int status, std::string clause,
                                         std::string why_that_status) {
    auto r = co_await ctx.request(method, target, clause);
    auto expected = method + " " + target + " (" + why_that_status + ") answers " +
                    std::to_string(status) + " with a JSON {\"error\": string} body";
    if (r.status != status)
        ctx.fail(clause, expected,
                 "it answered " + std::to_string(r.status) + " " + excerpt(r.body));
    std::string why;
    if (!inspect_error_body(r.body, why))
        ctx.fail(clause, expected, "the body is " + why);
    if (!is_json_content_type(r.content_type))
        ctx.fail("HTTP-4",
                 "the " + std::to_string(status) + " answer to " + method + " " + target +
                     " carries Content-Type: application/json",
                 "Content-Type is \"" + r.content_type + "\"");
    co_return r;
}

// The endpoints SPEC.md serves, with a room that exists (made by joining it).
std::vector<std::string> endpoints(check_context& ctx, const std::string& room) {
    const auto& base = ctx.settings().target;
    return {health_target(base), rooms_target(base), history_target(base, room), ctx.path("/ws")};
}

// HTTP-1: GET /health.
net::awaitable<void> health(check_context& ctx) {
    auto target = health_target(ctx.settings().target);
    auto r = co_await ctx.get(target, "HTTP-1");
    auto expected = "GET " + target + " answers 200 {\"data\":{\"status\":\"ok\"}}";
    if (r.status != 200)
        ctx.fail("HTTP-1", expected,
                 "it answered " + std::to_string(r.status) + " " + excerpt(r.body));
    std::string why;
    if (!is_health_ok(r.body, why))
        ctx.fail("HTTP-1", expected, why);
    if (!is_json_content_type(r.content_type))
        ctx.fail("HTTP-4", "GET " + target + " carries Content-Type: application/json",
                 "Content-Type is \"" + r.content_type + "\"");
}

// HTTP-2: paths nobody serves.
net::awaitable<void> not_found(check_context& ctx) {
    auto tag = ctx.room();
    co_await expect_error(ctx, "GET", ctx.path("/" + tag), 404, "HTTP-2",
                          "a path the server does not serve");
    co_await expect_error(ctx, "GET", ctx.path("/api/" + tag), 404, "HTTP-2",
                          "an unknown API path");
    co_await expect_error(ctx, "GET", ctx.path("/api/rooms/general/messages/" + tag), 404, "HTTP-2",
                          "a path below a served one");
    co_await expect_error(ctx, "GET", ctx.path("/api/rooms/general"), 404, "HTTP-2",
                          "a room without /messages");
}

// HTTP-3: other methods on the served paths.
net::awaitable<void> method_not_allowed(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    for (const auto& target : endpoints(ctx, room))
        for (const char* method : {"POST", "PUT", "DELETE", "PATCH"})
            co_await expect_error(ctx, method, target, 405, "HTTP-3",
                                  "a method other than GET on a served path");
}

// HTTP-4: every JSON answer says application/json.
net::awaitable<void> content_types(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    const auto& base = ctx.settings().target;
    struct probe {
        std::string method, target;
    };
    std::vector<probe> probes{{"GET", health_target(base)},
                              {"GET", rooms_target(base)},
                              {"GET", history_target(base, room)},
                              {"GET", history_target(base, ctx.room("never"))},
                              {"GET", ctx.path(std::string("/") + ctx.room("nowhere"))},
                              {"DELETE", rooms_target(base)},
                              {"GET", ctx.path("/ws?room=&user=")}};
    for (const auto& p : probes) {
        auto r = co_await ctx.request(p.method, p.target, "HTTP-4");
        // A body that is not JSON at all breaks the clause of its status (CONN-2, HTTP-2, ...),
        // not this one: HTTP-4 is about JSON responses.
        if (json_problem(r.body))
            continue;
        if (!is_json_content_type(r.content_type))
            ctx.fail("HTTP-4",
                     p.method + " " + p.target + " (answered " + std::to_string(r.status) +
                         ") carries Content-Type: application/json",
                     r.content_type.empty() ? "it has no Content-Type"
                                            : "Content-Type is \"" + r.content_type + "\"");
    }
}

// HTTP-5 (SHOULD): 405 answers say Allow: GET.
net::awaitable<void> allow_header(check_context& ctx) {
    auto room = ctx.room();
    auto a = co_await ctx.join(room, ctx.user("alice"), "A");
    for (const auto& target : endpoints(ctx, room)) {
        auto r = co_await ctx.request("POST", target, "HTTP-3");
        if (r.status != 405)
            ctx.skip("POST " + target + " answered " + std::to_string(r.status) +
                     ", not 405 (see HTTP-3)");
        auto allow = r.header("Allow");
        // "GET", or a list of methods naming GET but not POST
        std::string upper;
        for (char c : allow)
            if (c != ' ' && c != '\t')
                upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        bool has_get = false, has_post = false;
        for (std::size_t start = 0; start <= upper.size();) {
            auto comma = upper.find(',', start);
            auto item =
                upper.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            has_get |= item == "GET";
            has_post |= item == "POST";
            if (comma == std::string::npos)
                break;
            start = comma + 1;
        }
        if (!has_get || has_post)
            ctx.fail("HTTP-5", "the 405 answer to POST " + target + " carries Allow: GET",
                     allow.empty() ? "it has no Allow header" : "Allow is \"" + allow + "\"");
    }
}

// HTTP-6: bytes that are not UTF-8 in a request never make an answer's JSON invalid.
net::awaitable<void> utf8_bodies(check_context& ctx) {
    const auto tag = percent_encode(ctx.room());
    const std::vector<std::pair<std::string, std::string>> probes{
        {ctx.path("/" + tag + "-caf\xE9"), "a raw 0xE9 byte in an unserved path"},
        {ctx.path("/api/rooms/" + tag + "-caf\xE9\xFF/messages"), "raw bytes in a room segment"},
        {ctx.path("/api/rooms/" + tag + "-caf%E9/messages"),
         "an escape of a byte that is not UTF-8"},
        {ctx.path("/ws?room=" + tag + "-%FF%FE&user=u"), "a room that is not UTF-8 after decoding"},
        {ctx.path("/ws?room=" + tag + "&user=\xC3\x28"), "a raw invalid UTF-8 sequence in user"},
    };
    for (const auto& [target, what] : probes) {
        // A server may drop such a request without answering: no JSON, nothing to judge here.
        auto r = co_await ctx.try_request("GET", target);
        // A body that does not claim to be JSON is HTTP-4's matter, not this clause's.
        if (!r.ok() || r.body.empty() || !is_json_content_type(r.content_type))
            continue;
        if (auto problem = json_problem(r.body))
            ctx.fail("HTTP-6",
                     "the " + std::to_string(r.status) + " answer to GET " + excerpt(target, 80) +
                         " (" + what + ") to be valid UTF-8 JSON",
                     "its body is " + *problem);
    }
}

// HTTP-7: a request target in absolute form names the same resource as its path.
net::awaitable<void> absolute_form(check_context& ctx) {
    const auto& base = ctx.settings().target;
    const auto origin = base.scheme + "://" + base.host_header();
    auto room = ctx.room();
    // Expect: /health and /api/rooms answer as in origin form
    auto health = origin + health_target(base);
    auto r = co_await ctx.get(health, "HTTP-7");
    std::string why;
    if (r.status != 200 || !is_health_ok(r.body, why))
        ctx.fail("HTTP-7", "GET " + health + " (absolute form) answers 200 like GET /health",
                 "it answered " + std::to_string(r.status) + " " + excerpt(r.body));
    // Expect: an upgrade in absolute form joins the room
    std::shared_ptr<ws_client> ws;
    auto target = origin + ws_target(base, room, ctx.user("alice"));
    auto u = co_await ctx.try_upgrade(target, "A", &ws);
    if (u.status != 101)
        ctx.fail("HTTP-7", "GET " + target + " (absolute form) is upgraded like /ws",
                 u.ok() ? "it answered " + std::to_string(u.status) + " " + excerpt(u.body)
                        : u.error);
    peer a{"A", room, ctx.user("alice"), ws};
    co_await ctx.send_and_echo(a, "absolute");
    auto history = origin + history_target(base, room);
    auto h = co_await ctx.get(history, "HTTP-7");
    if (h.status != 200)
        ctx.fail("HTTP-7", "GET " + history + " (absolute form) answers 200 with the history",
                 "it answered " + std::to_string(h.status) + " " + excerpt(h.body));
}

// HTTP-8: a malformed escape in the room segment of the REST path.
net::awaitable<void> bad_escape_in_path(check_context& ctx) {
    const auto tag = percent_encode(ctx.room());
    for (const auto& bad : {tag + "%zz", tag + "%4", tag + "%"})
        co_await expect_error(ctx, "GET", ctx.path("/api/rooms/" + bad + "/messages"), 400,
                              "HTTP-8", "a malformed percent-escape in the room segment");
}

} // namespace

std::vector<check> http_checks() {
    return {
        {"http.health",
         {"HTTP-1", "HTTP-4"},
         "GET /health answers 200 {\"data\":{\"status\":\"ok\"}}",
         health},
        {"http.not-found",
         {"HTTP-2", "HTTP-4"},
         "unserved paths answer 404 with a JSON error",
         not_found},
        {"http.method-not-allowed",
         {"HTTP-3", "HTTP-4"},
         "POST, PUT, DELETE, PATCH on served paths answer 405 with a JSON error",
         method_not_allowed},
        {"http.content-type",
         {"HTTP-4"},
         "every JSON answer carries Content-Type: application/json",
         content_types},
        {"http.allow-header", {"HTTP-5"}, "405 answers carry Allow: GET", allow_header},
        {"http.utf8-bodies",
         {"HTTP-6"},
         "request bytes that are not UTF-8 never make an answer's JSON invalid",
         utf8_bodies},
        {"http.absolute-form",
         {"HTTP-7"},
         "GET http://host/path (absolute form) is served like /path, upgrades included",
         absolute_form},
        {"http.bad-escape-in-path",
         {"HTTP-8", "HTTP-4"},
         "a malformed escape in /api/rooms/:room/messages answers 400 with a JSON error",
         bad_escape_in_path},
    };
}

} // namespace chat::conformance
