// Error kind names as they appear in the results (RESULTS-SCHEMA.md), and adding counters.
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

void counters::add(const counters& o) noexcept {
    for (const auto& [name, member] : counter_names)
        this->*member += o.*member;
    for (std::size_t i = 0; i < error_kinds; ++i)
        errors[i] += o.errors[i];
}

} // namespace chat::load
