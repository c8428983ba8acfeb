// Names of the configuration's enumerations, as the command line spells them.
#include "server_config.hpp"

#include <array>   // array
#include <utility> // pair

namespace chat_server {

namespace {

constexpr std::array<std::pair<mutant, const char*>, 26> mutant_table{{
    {mutant::none, "none"},
    {mutant::history_99, "history-99"},
    {mutant::history_101, "history-101"},
    {mutant::history_keeps_oldest, "history-keeps-oldest"},
    {mutant::history_newest_first, "history-newest-first"},
    {mutant::no_echo, "no-echo"},
    {mutant::cross_room_leak, "cross-room-leak"},
    {mutant::stale_room_count, "stale-room-count"},
    {mutant::slow_never_dropped, "slow-never-dropped"},
    {mutant::slow_blocks_others, "slow-blocks-others"},
    {mutant::crash_after_drop, "crash-after-drop"},
    {mutant::double_wrap, "double-wrap"},
    {mutant::timestamp_seconds, "timestamp-seconds"},
    {mutant::live_before_replay, "live-before-replay"},
    {mutant::wrong_rest_envelope, "wrong-rest-envelope"},
    {mutant::unknown_room_200, "unknown-room-200"},
    {mutant::bad_frame_broadcast, "bad-frame-broadcast"},
    {mutant::binary_broadcast, "binary-broadcast"},
    {mutant::user_from_frame, "user-from-frame"},
    {mutant::no_general, "no-general"},
    {mutant::plain_400, "plain-400"},
    {mutant::no_1009, "no-1009"},
    {mutant::wrong_method_404, "wrong-method-404"},
    {mutant::drop_every_100th, "drop-every-100th"},
    {mutant::duplicate_delivery, "duplicate-delivery"},
    {mutant::broadcast_delay_20ms, "broadcast-delay-20ms"},
}};

} // namespace

const char* to_string(log_level l) noexcept {
    switch (l) {
    case log_level::error:
        return "error";
    case log_level::warn:
        return "warn";
    case log_level::info:
        return "info";
    case log_level::debug:
        return "debug";
    }
    return "?";
}

std::optional<log_level> parse_log_level(std::string_view text) {
    for (auto l : {log_level::error, log_level::warn, log_level::info, log_level::debug})
        if (text == to_string(l))
            return l;
    return std::nullopt;
}

const char* to_string(mutant m) noexcept {
    for (const auto& [value, name] : mutant_table)
        if (value == m)
            return name;
    return "?";
}

std::optional<mutant> parse_mutant(std::string_view name) {
    for (const auto& [value, text] : mutant_table)
        if (name == text)
            return value;
    return std::nullopt;
}

std::vector<std::string> mutant_names() {
    std::vector<std::string> names;
    for (const auto& entry : mutant_table)
        names.emplace_back(entry.second);
    return names;
}

} // namespace chat_server
