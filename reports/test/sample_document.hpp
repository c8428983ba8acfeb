// The document the reports tests share: every outcome, hostile wire bytes, tables and charts.
#pragma once

#include "chat/reports/document.hpp"

#include <cmath>   // pow
#include <cstddef> // size_t
#include <string>  // string, to_string

namespace chat::reports::test {

// Bytes a hostile server might send: markup, a CDATA end, control characters, invalid UTF-8.
inline const std::string hostile = std::string("<script>alert('x')</script> ]]> & \"q\" ") +
                                   '\x01' + '\x1b' + "[31m " + '\x7f' + " \xC3\x28 \xFF\xFE " +
                                   "\xED\xA0\x80 \xE2\x82 " + '\0' + " end";

inline test_case make_case(std::string id, std::string group, outcome result) {
    test_case tc;
    tc.id = std::move(id);
    tc.group = std::move(group);
    tc.title = "Title of " + tc.id;
    tc.level = result == outcome::warn ? "SHOULD" : "MUST";
    tc.requirement = "The server MUST keep the last 100 messages of a room.";
    tc.result = result;
    if (result != outcome::pass && result != outcome::skip) {
        tc.expected = "100 messages, oldest first";
        tc.actual = "99 messages";
    }
    tc.message = result == outcome::skip ? "not selected" : "";
    tc.duration_ms = 12.5;
    for (int i = 0; i < 5; ++i)
        tc.transcript.push_back(
            {i * 1.25, i % 2 ? "<-" : "->", R"({"type":"message","n":)" + std::to_string(i) + "}"});
    return tc;
}

inline document sample_document() {
    document doc;
    doc.tool = "chat-conform";
    doc.title = "Conformance of 127.0.0.1:8082";
    doc.verdict = "FAIL: 2 MUST violations, 1 SHOULD not met, 1 harness error";
    doc.meta = {{"target", "127.0.0.1:8082"}, {"run id", "r-42"}, {"jobs", "4"}};
    doc.cases = {
        make_case("hist.cap-rest", "HIST-2, HIST-3", outcome::pass),
        make_case("hist.cap-join", "HIST-2", outcome::fail),
        make_case("room.list", "ROOM-1", outcome::warn),
        make_case("slow.drop", "SLOW-1", outcome::error),
        make_case("slow.others", "SLOW-2", outcome::timeout),
        make_case("ping.pong", "WS-4", outcome::skip),
        make_case("order.room", "ORDER-1", outcome::flaky),
    };
    auto& evil = doc.cases[1];
    evil.actual = hostile;
    evil.transcript.push_back({7.5, "<-", hostile});
    evil.transcript.push_back({8.0, "http<", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"});
    doc.tables.push_back({"Latency | by room",
                          {"room", "p50", "p99"},
                          {{"general", "1.2 ms", "4.0 ms"}, {"a|b", "2", "9"}}});
    chart over_time{"Latency over time", "time (s)", "latency (ms)", false, false, {}};
    series p50{"p50", {}}, p99{"p99", {}};
    for (int t = 0; t <= 30; ++t) {
        p50.points.emplace_back(t, 1.0 + 0.2 * std::sin(t / 3.0));
        p99.points.emplace_back(t, 4.0 + 1.5 * std::cos(t / 4.0));
    }
    over_time.lines = {p50, p99};
    chart distribution{"Latency distribution", "percentile", "latency (ms)", true, true, {}};
    series dist{"fan-out", {}};
    for (const double p : {50.0, 90.0, 99.0, 99.9, 99.99})
        dist.points.emplace_back(100.0 / (100.0 - p), 0.8 * std::pow(100.0 / (100.0 - p), 0.6));
    distribution.lines = {dist};
    distribution.x_ticks = {
        {2, "50%"}, {10, "90%"}, {100, "99%"}, {1000, "99.9%"}, {10000, "99.99%"}};
    doc.charts = {over_time, distribution};
    return doc;
}

} // namespace chat::reports::test
