// Counter names as they appear in the results (RESULTS-SCHEMA.md).
#include "stats.hpp"

namespace chat::load {

const char* to_string(error_kind k) noexcept {
    switch (k) {
    case error_kind::connect_refused:
        return "connect_refused";
    case error_kind::connect_timeout:
        return "connect_timeout";
    case error_kind::connect_failed:
        return "connect_failed";
    case error_kind::upgrade_rejected:
        return "upgrade_rejected";
    case error_kind::upgrade_invalid:
        return "upgrade_invalid";
    case error_kind::read_failed:
        return "read_failed";
    case error_kind::write_failed:
        return "write_failed";
    case error_kind::closed_by_server:
        return "closed_by_server";
    case error_kind::protocol_violation:
        return "protocol_violation";
    case error_kind::bad_message:
        return "bad_message";
    case error_kind::misrouted:
        return "misrouted";
    case error_kind::sender_disconnected:
        return "sender_disconnected";
    case error_kind::rest_failed:
        return "rest_failed";
    case error_kind::rest_status:
        return "rest_status";
    case error_kind::rest_skipped:
        return "rest_skipped";
    case error_kind::tls_failed:
        return "tls_failed";
    case error_kind::count_:
        break;
    }
    return "unknown";
}

// clang-format off
#define CHAT_LOAD_COUNTERS(X)                                                                    \
    X(sent) X(sent_warmup) X(delivered) X(duplicates) X(out_of_order) X(history)                \
    X(join_window) X(warmup_deliveries) X(outside_window) X(slow_deliveries) X(foreign)          \
    X(connects) X(connect_failures) X(dropped_slow) X(dropped) X(churn_leaves)                   \
    X(churn_rejoins) X(churn_skipped) X(churn_cycles) X(churn_cycle_failures)                   \
    X(rest_requests) X(rest_errors)
// clang-format on

void counters::add(const counters& o) noexcept {
#define X(name) name += o.name;
    CHAT_LOAD_COUNTERS(X)
#undef X
    for (std::size_t i = 0; i < error_kinds; ++i)
        errors[i] += o.errors[i];
}

nlohmann::json counters::to_json() const {
    nlohmann::json j;
#define X(name) j[#name] = name;
    CHAT_LOAD_COUNTERS(X)
#undef X
    nlohmann::json e = nlohmann::json::object();
    for (std::size_t i = 0; i < error_kinds; ++i)
        e[to_string(static_cast<error_kind>(i))] = errors[i];
    j["errors_by_kind"] = std::move(e);
    j["errors"] = error_total();
    return j;
}

counters counters::from_json(const nlohmann::json& j) {
    counters c;
#define X(name) c.name = j.value(#name, std::uint64_t{0});
    CHAT_LOAD_COUNTERS(X)
#undef X
    if (j.contains("errors_by_kind"))
        for (std::size_t i = 0; i < error_kinds; ++i)
            c.errors[i] =
                j["errors_by_kind"].value(to_string(static_cast<error_kind>(i)), std::uint64_t{0});
    return c;
}

} // namespace chat::load
