// The catalogue of deliberate defects (mutants), legal variants and profiles that
// chat-server-mutant can run: each entry's name, the SPEC.md clauses it makes false, and why.
// The one source of truth for `--list-mutants` and the conformance self-test.
#pragma once

#include "server_config.hpp"

#include <cstddef>     // size_t
#include <memory>      // shared_ptr
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace chat_server {

class fault_hooks;

namespace mutants {

// One change of the server, applied through fault_hooks (src/fault_hooks.hpp).
enum class fault : unsigned {
    history_99,
    history_101,
    history_keeps_oldest,
    history_newest_first,
    no_echo,
    cross_room_leak,
    stale_room_count,
    slow_never_dropped,
    slow_blocks_others,
    crash_after_drop,
    double_wrap,
    timestamp_seconds,
    live_before_replay,
    wrong_rest_envelope,
    unknown_room_200,
    bad_frame_broadcast,
    binary_broadcast,
    user_from_frame,
    no_general,
    plain_400,
    plain_errors,
    no_1009,
    no_1007,
    wrong_method_404,
    duplicate_params_accepted,
    drop_every_100th,
    duplicate_delivery,
    broadcast_delay_20ms,
    variant_close_after_close_frame,
    variant_fragmented,
    variant_ping_between_fragments,
    variant_member_order,
    variant_json_charset,
    variant_upgrade_headers,
    cluster_local_broadcast,
    cluster_local_history,
    cluster_local_counts,
};
inline constexpr std::size_t fault_count = 37;

struct entry {
    // cluster_mutant: a mutant of chat-server --cluster, judged across three nodes
    // (tests/cluster.sh), not by the single-server self-test.
    enum class kind { mutant, variant, profile, cluster_mutant };
    std::string name;
    kind what = kind::mutant;
    std::vector<std::string> breaks; // SPEC.md clause IDs (MUST and SHOULD), exactly
    std::string description;
    std::vector<fault> faults;        // one for a mutant or variant; a profile's members
    std::vector<std::string> members; // profiles: the names they stack
};

// Every entry, singles first, then profiles.
const std::vector<entry>& catalogue();

// A selection such as "a,b,c" (profiles included): the faults it stacks, the names it was
// given, and the clauses it breaks (the union of its members'). Nullopt with `why` set when a
// name is unknown or the list is empty.
struct selection {
    std::vector<fault> faults;
    std::vector<std::string> names;
    std::vector<std::string> breaks;
};
std::optional<selection> parse_selection(std::string_view list, std::string* why);

// The `--list-mutants` JSON object: {name: {"kind", "breaks", "description"[, "members"]}}.
std::string list_json();

// The hooks that apply `s` to a server run with `config`; null for an empty selection.
std::shared_ptr<fault_hooks> make_hooks(const selection& s, const server_config& config);

} // namespace mutants
} // namespace chat_server
