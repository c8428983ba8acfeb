// The catalogue's entries and its JSON listing. A `breaks` list names every SPEC.md clause
// (MUST or SHOULD) whose sentence the change makes false, and no other; where a clause could be
// read either way the description says which reading was taken and why.
#include "catalogue.hpp"

#include <nlohmann/json.hpp>

#include <algorithm> // find, sort, unique
#include <utility>   // move

namespace chat_server::mutants {

namespace {

entry single(std::string name, fault f, std::vector<std::string> breaks, std::string description,
             entry::kind what = entry::kind::mutant) {
    entry e;
    e.name = std::move(name);
    e.what = what;
    e.breaks = std::move(breaks);
    e.description = std::move(description);
    e.faults = {f};
    return e;
}

entry variant(std::string name, fault f, std::string description) {
    return single(std::move(name), f, {}, std::move(description), entry::kind::variant);
}

std::vector<entry> build() {
    using k = fault;
    std::vector<entry> c;
    // --- history
    c.push_back(single("history-99", k::history_99, {"HIST-2"},
                       "Keeps HISTORY_LIMIT - 1 messages per room: not exactly the last "
                       "HISTORY_LIMIT remain (HIST-2, the clause about the count; HIST-1, which "
                       "says the same in other words, is not listed again). HIST-6 holds: the "
                       "replay is exactly the stored history."));
    c.push_back(single("history-101", k::history_101, {"HIST-2"},
                       "Keeps HISTORY_LIMIT + 1 messages: the most recent HISTORY_LIMIT are kept, "
                       "oldest first (HIST-1 holds), but more than exactly HISTORY_LIMIT remain "
                       "(HIST-2)."));
    c.push_back(single("history-keeps-oldest", k::history_keeps_oldest, {"HIST-2"},
                       "Once the history is full, new messages are not stored: the oldest are "
                       "never dropped (HIST-2, the clause about which ones go; HIST-1 says the "
                       "same in other words and is not listed again). HIST-6 is read as the seam "
                       "of the join (replay of the "
                       "history as stored, then live, no gap between them), which holds."));
    c.push_back(single("history-newest-first", k::history_newest_first, {"HIST-3"},
                       "GET /api/rooms/:room/messages lists the history newest first (HIST-3). "
                       "The history itself and the join replay stay oldest first, so HIST-1, "
                       "HIST-5 and ORD-4 hold: only the REST rendering is reversed."));
    c.push_back(single("unknown-room-200", k::unknown_room_200, {"HIST-4"},
                       "The history of a room that does not exist answers 200 with an empty "
                       "list instead of 404 {\"error\":\"room not found\"} (HIST-4)."));
    c.push_back(single("live-before-replay", k::live_before_replay, {"HIST-5"},
                       "A joining client becomes a member at once but gets its replay 200 ms "
                       "later, so live messages arrive before it (HIST-5). The replay is the "
                       "history at the join and every later message arrives live, so HIST-6 "
                       "holds; the joiner's out-of-order view is HIST-5's subject, not ORD-1's."));
    // --- messages and delivery
    c.push_back(single("no-echo", k::no_echo, {"MSG-1"},
                       "The sender is not sent its own message (MSG-1: \"the sender included\"). "
                       "Who a broadcast goes to is MSG-1's subject; ORD-3 (none lost) is read as "
                       "the delivery of what the room broadcasts to a client, which holds."));
    c.push_back(single("cross-room-leak", k::cross_room_leak, {"MSG-7"},
                       "Every message is also delivered to the clients of another room (general, "
                       "or another room with clients), without being stored there (MSG-7)."));
    c.push_back(single("double-wrap", k::double_wrap, {"MSG-2"},
                       "A valid client frame's content is the whole frame text, as the original "
                       "server did: {\"content\":\"x\"} arrives as the string "
                       "'{\"content\":\"x\"}' (MSG-2: content is the frame's content). MSG-4 "
                       "(round trip) is judged on the content as recognised through that "
                       "wrapping, as issue 11 decides (the deviation is evidence for MSG-2 "
                       "alone); invalid frames are still ignored (MSG-5 holds)."));
    c.push_back(single("timestamp-seconds", k::timestamp_seconds, {"MSG-3"},
                       "timestamp is in Unix seconds instead of milliseconds (MSG-3)."));
    c.push_back(single("bad-frame-broadcast", k::bad_frame_broadcast, {"MSG-5"},
                       "A text frame that is not a client frame (not JSON, not an object, no "
                       "string content) is broadcast with the whole frame text as content "
                       "instead of being ignored (MSG-5). Frames that are not UTF-8 stay "
                       "ignored, as a JSON string cannot carry them."));
    c.push_back(single("binary-broadcast", k::binary_broadcast, {"MSG-6"},
                       "Binary messages are read as text: a binary client frame is broadcast "
                       "(its content, or the whole text when it is UTF-8 but no client frame) "
                       "instead of being ignored (MSG-6)."));
    c.push_back(single("user-from-frame", k::user_from_frame, {"MSG-8"},
                       "A client frame's \"user\" member replaces the connection's user (MSG-8; "
                       "MSG-2's 'user is the connection's value' is false only in MSG-8's case)."));
    c.push_back(single("drop-every-100th", k::drop_every_100th, {"ORD-3"},
                       "Each client silently misses every 100th live message offered to it "
                       "(ORD-3: none lost). The room's fan-out still reaches every member, so "
                       "MSG-1 (who a broadcast goes to) is read as holding."));
    c.push_back(single("duplicate-delivery", k::duplicate_delivery, {"ORD-3"},
                       "Every 50th live message offered to a client is queued twice (ORD-3: "
                       "none duplicated)."));
    // --- rooms
    c.push_back(single("no-general", k::no_general, {"ROOM-1"},
                       "No room `general` exists at start-up (ROOM-1); it is created by the "
                       "first join like any other (ROOM-2 holds)."));
    c.push_back(single("stale-room-count", k::stale_room_count, {"ROOM-4", "ROOM-5", "SLOW-2"},
                       "A room's client count never goes down: a disconnect never shows "
                       "(ROOM-4), an emptied room is not listed with clients 0 (ROOM-5), and a "
                       "dropped slow client is still counted (SLOW-2: 'removed from its room, "
                       "as ROOM-4 says'). Members do leave: WS-2 holds."));
    // --- slow clients
    c.push_back(single("slow-never-dropped", k::slow_never_dropped, {"SLOW-1", "SLOW-5"},
                       "Outbound queues are unbounded: a client whose queue holds SEND_QUEUE "
                       "messages is never disconnected (SLOW-1), and a client that stopped "
                       "reading is never dropped (SLOW-5, SHOULD). Readers still get every "
                       "message (SLOW-3 holds)."));
    c.push_back(single("slow-blocks-others", k::slow_blocks_others, {"SLOW-3"},
                       "While any member's queue is full, the room holds every broadcast back "
                       "(polling every 5 ms), so one stuck client stops delivery to all (SLOW-3). "
                       "The stuck client's queue never overflows, so it is never dropped; "
                       "SLOW-1/SLOW-5 are read as holding (no message arrives for a full queue), "
                       "and the general no-loss ORD-3 gives way to SLOW-3, its specific case."));
    c.push_back(single("crash-after-drop", k::crash_after_drop, {"SLOW-4"},
                       "The process aborts right after dropping a slow client, as the original "
                       "server panicked (SLOW-4). What follows (every client cut) is the "
                       "consequence of that one defect."));
    // --- WebSocket
    c.push_back(single("no-1009", k::no_1009, {"WS-4"},
                       "Messages up to 16 x MAX_MESSAGE_BYTES are accepted and broadcast instead "
                       "of closing with 1009 (WS-4); the 16x bound only keeps memory finite."));
    c.push_back(single("no-1007", k::no_1007, {"WS-3"},
                       "Text messages are not checked for UTF-8: one that is not UTF-8 does not "
                       "close the connection with 1007 (WS-3); it is ignored as a frame that is "
                       "not JSON (MSG-5 holds). Plain TCP only: over TLS the check stays."));
    // --- HTTP
    c.push_back(single("plain-400", k::plain_400,
                       {"CONN-2", "CONN-4", "CONN-5", "HTTP-8", "LIMIT-2"},
                       "Every 400 answer has a plain-text body instead of JSON {\"error\"}: the "
                       "refused joins (CONN-2 missing/empty, CONN-4 duplicated or malformed, "
                       "CONN-5 too long, SHOULD), a malformed escape in the REST path (HTTP-8) "
                       "and the malformed HTTP request (LIMIT-2, SHOULD). Plain-text answers are "
                       "no JSON responses, so HTTP-4 holds."));
    c.push_back(
        single("plain-errors", k::plain_errors,
               {"CONN-2", "CONN-4", "CONN-5", "HIST-4", "HTTP-2", "HTTP-3", "HTTP-8", "LIMIT-1",
                "LIMIT-2"},
               "Every error answer (4xx, 5xx) has a plain-text body, like gin's: the 400s "
               "(CONN-2, CONN-4, CONN-5, HTTP-8, LIMIT-2), 404 for an unknown path (HTTP-2) and "
               "for an unknown room ('room not found' as text: HIST-4), 405 (HTTP-3) and "
               "431 (LIMIT-1, SHOULD). The MAY clauses' answers (LIMIT-4's 503, SEC-1's "
               "403) are plain too but not listed: only MUST and SHOULD clauses are. "
               "HTTP-4 holds: plain-text answers are no JSON responses."));
    c.push_back(single("wrong-method-404", k::wrong_method_404, {"HTTP-3"},
                       "A method other than GET on a served path answers 404 {\"error\"} without "
                       "Allow, as gin does by default: HTTP-3 (405 required). HTTP-5 holds "
                       "vacuously: it speaks of 405 answers, and none is sent."));
    c.push_back(single("wrong-rest-envelope", k::wrong_rest_envelope, {"HIST-3", "ROOM-3"},
                       "GET /api/rooms and GET /api/rooms/:room/messages answer without the "
                       "{\"data\": ...} wrapper (ROOM-3, HIST-3). /health keeps it."));
    c.push_back(single("duplicate-params-accepted", k::duplicate_params_accepted, {"CONN-4"},
                       "An upgrade giving room or user more than once is accepted with the first "
                       "value, as gin's c.Query does, instead of 400 (CONN-4)."));
    // --- variants SPEC.md allows: each must pass every check
    c.push_back(single("broadcast-delay-20ms", k::broadcast_delay_20ms, {},
                       "Every broadcast is held 20 ms before its fan-out, in order. Slower, but "
                       "no clause sets a latency: for the load generator's latency measurement.",
                       entry::kind::variant));
    c.push_back(variant("variant-close-after-close-frame", k::variant_close_after_close_frame,
                        "Closes the TCP connection as soon as its own close frame is written, "
                        "without waiting for the client's close frame (RFC 6455 7.1.1 lets the "
                        "server close first); a client's late reply may draw a reset."));
    c.push_back(variant("variant-fragmented", k::variant_fragmented,
                        "Sends every message as 3 frames (text, continuation, continuation; RFC "
                        "6455 5.4), split at byte thirds, so a UTF-8 sequence may straddle two "
                        "fragments."));
    c.push_back(variant("variant-ping-between-fragments", k::variant_ping_between_fragments,
                        "Sends every message as 3 fragments with a ping between each two (RFC "
                        "6455 5.4: control frames may be injected between fragments); the "
                        "client's pongs are ignored."));
    c.push_back(variant("variant-member-order", k::variant_member_order,
                        "Writes each message's members in the order timestamp, content, room, "
                        "user (RFC 8259: an object's members are unordered), in broadcasts and "
                        "history alike."));
    c.push_back(variant("variant-json-charset", k::variant_json_charset,
                        "Every JSON response carries Content-Type: application/json; "
                        "charset=utf-8 (still the media type application/json; HTTP-4)."));
    c.push_back(variant("variant-upgrade-headers", k::variant_upgrade_headers,
                        "Answers every upgrade's 101 with extra harmless header fields "
                        "(Cache-Control, X-Content-Type-Options, X-Chat-Variant)."));
    // --- a cluster: chat-server-mutant --cluster URL --mutant NAME on three nodes
    c.push_back(single(
        "cluster-local-broadcast", k::cluster_local_broadcast,
        {"CONN-3", "HIST-2", "HIST-3", "HIST-6", "HIST-7", "LIMIT-5", "MSG-1", "ORD-3", "SLOW-3",
         "WS-5"},
        "A node fans a client's message out to its own clients and history only, without "
        "sequencing it through the engine: a process-local room behind a load balancer. False "
        "across nodes: MSG-1 (every client of the room), ORD-3 (none lost), SLOW-3 (readers on "
        "other nodes get nothing), HIST-2/HIST-3/HIST-7 (the history at another endpoint lacks "
        "the messages; HIST-1, the same in other words, is not listed again), HIST-6 (a joiner "
        "at another node neither replays nor receives them), CONN-3 (the decoded room's history "
        "read at another endpoint does not hold the message). WS-5 and LIMIT-5 are listed as "
        "the runner reports them: their checks prove the frame was handled by waiting for a "
        "later valid message on a client of another node, which never comes (a precision gap "
        "of the runner across endpoints, not a defect in those clauses). MSG-5 and MSG-6 "
        "hold: their checks blame silence at another client on MSG-1.",
        entry::kind::cluster_mutant));
    c.push_back(single(
        "cluster-local-history", k::cluster_local_history,
        {"CONN-3", "HIST-2", "HIST-3", "HIST-6", "HIST-7", "MSG-4", "MSG-5", "MSG-6", "ORD-4"},
        "A node's history keeps only the messages its own clients sent; messages from other "
        "nodes are delivered live but not stored: history per node. False across nodes: "
        "HIST-2/HIST-3/HIST-7 (the history at another endpoint misses messages; HIST-1 not "
        "listed again), HIST-6 (a joiner at another node does not replay them), ORD-4 (the "
        "history read elsewhere does not hold the room's messages in order), CONN-3 (the "
        "decoded room's history at another endpoint is empty). MSG-4, MSG-5 and MSG-6 are "
        "listed as the runner reports them: their checks read the message back through the "
        "history of another endpoint (a precision gap of the runner, not a defect in them).",
        entry::kind::cluster_mutant));
    c.push_back(single("cluster-local-counts", k::cluster_local_counts, {"ROOM-3", "ROOM-4"},
                       "GET /api/rooms counts the node's own clients only: counts per node. "
                       "ROOM-4 (clients is the number of the room's clients) and ROOM-3 (the "
                       "listing's clients member, as room.listing judges it) are false at "
                       "every endpoint but the clients' own.",
                       entry::kind::cluster_mutant));
    // --- profiles
    entry seed;
    seed.name = "seed-original";
    seed.what = entry::kind::profile;
    seed.members = {"double-wrap",  "bad-frame-broadcast",       "binary-broadcast",
                    "plain-errors", "wrong-method-404",          "no-1009",
                    "no-1007",      "duplicate-params-accepted", "crash-after-drop"};
    seed.description =
        "The original Go server's deviations (shared/notes/original-implementation.md): the "
        "whole frame text as content (double-wrap, and bad-frame-broadcast: non-JSON frames "
        "too), binary frames read as text, every error body plain text, 404 instead of 405, no "
        "size limit, no UTF-8 check, duplicate query parameters accepted, and the process dies "
        "when it drops a slow client. Not stacked: its join race (live-before-replay), which "
        "the notes found by reading, not by running.";
    c.push_back(std::move(seed));
    for (auto& e : c) {
        if (e.what != entry::kind::profile)
            continue;
        for (const auto& m : e.members) {
            for (const auto& s : c) {
                if (s.name != m)
                    continue;
                e.faults.insert(e.faults.end(), s.faults.begin(), s.faults.end());
                e.breaks.insert(e.breaks.end(), s.breaks.begin(), s.breaks.end());
            }
        }
        std::sort(e.breaks.begin(), e.breaks.end());
        e.breaks.erase(std::unique(e.breaks.begin(), e.breaks.end()), e.breaks.end());
    }
    return c;
}

const char* to_string(entry::kind k) {
    switch (k) {
    case entry::kind::mutant:
        return "mutant";
    case entry::kind::variant:
        return "variant";
    case entry::kind::profile:
        return "profile";
    case entry::kind::cluster_mutant:
        return "cluster-mutant";
    }
    return "?";
}

} // namespace

const std::vector<entry>& catalogue() {
    static const std::vector<entry> entries = build();
    return entries;
}

std::optional<selection> parse_selection(std::string_view list, std::string* why) {
    selection s;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const auto name = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        if (name.empty() || name == "none")
            continue;
        const entry* found = nullptr;
        for (const auto& e : catalogue())
            if (e.name == name)
                found = &e;
        if (!found) {
            if (why)
                *why = "unknown mutant '" + std::string(name) + "'; --list-mutants lists them";
            return std::nullopt;
        }
        s.names.push_back(found->name);
        for (auto f : found->faults)
            if (std::find(s.faults.begin(), s.faults.end(), f) == s.faults.end())
                s.faults.push_back(f);
        s.breaks.insert(s.breaks.end(), found->breaks.begin(), found->breaks.end());
    }
    std::sort(s.breaks.begin(), s.breaks.end());
    s.breaks.erase(std::unique(s.breaks.begin(), s.breaks.end()), s.breaks.end());
    return s;
}

std::string list_json() {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const auto& e : catalogue()) {
        nlohmann::ordered_json j;
        j["kind"] = to_string(e.what);
        j["breaks"] = e.breaks;
        j["description"] = e.description;
        if (e.what == entry::kind::profile)
            j["members"] = e.members;
        out[e.name] = std::move(j);
    }
    return out.dump(2);
}

} // namespace chat_server::mutants
