// What a run of chat-conform is told: the target, the server's constants, and how to run.
#pragma once

#include "chat/client.hpp"
#include "chat/url.hpp"

#include <chrono>  // milliseconds
#include <cstddef> // size_t
#include <string>  // string
#include <vector>  // vector

namespace chat::conformance {

// SPEC.md's implementation-defined constants, as the server under test uses them.
struct spec_constants {
    int history_limit = 100;
    int send_queue = 256;
    std::size_t max_message_bytes = 65536;
    std::size_t max_name_bytes = 256;
    int settle_ms = 1000;
    int shutdown_ms = 5000;
    // SPEC.md "Deployments": with several endpoints, how soon a change of membership made
    // through one shows in GET /api/rooms at another (ROOM-2, ROOM-4, ROOM-5); it replaces
    // SETTLE_MS in those clauses' waits when the run has more than one endpoint.
    int node_settle_ms = 1000;
};

struct run_settings {
    base_url target;         // the first endpoint: probes, raw-socket checks, report title
    std::string target_text; // as the user wrote it
    // Every endpoint of the deployment under test, `target` first (SPEC.md "Deployments"):
    // a check's client i uses endpoint i mod N and its REST requests rotate over them.
    std::vector<base_url> targets;
    std::vector<std::string> target_texts;
    request_options request; // TLS verification (--ca-file, --insecure)
    std::string run_id;      // prefixes every room name, so runs never share rooms
    spec_constants constants;
    double timeout_scale = 1.0; // multiplies every deadline
    int clock_skew_ms = 5000;   // tolerated difference between our clock and the server's
    int jobs = 4;
    int repeat = 1;
    bool strict = false;
    int max_run_seconds = 0; // 0: derived from the selection (see runner.cpp)
    int server_pid = 0;      // >0: SHUT-1 may signal this process at the end of the run
    std::string shutdown_signal = "TERM";
    std::vector<std::string> only;
    std::vector<std::string> exclude;
};

} // namespace chat::conformance
