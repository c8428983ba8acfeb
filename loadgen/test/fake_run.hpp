// A hand-made run result for the unit tests of results and reports (no sockets, no loops).
#pragma once

#include "result.hpp"
#include "scenario.hpp"

namespace chat::load::test {

// One worker of two: `sent` messages, `delivered` of `expected` deliveries with latencies from
// `latency_base_us` up, `worker` closed_by_server errors, a three-second timeline, finalised
// with the threshold p99<1s.
inline run_result fake_run(int worker, std::uint64_t sent, std::uint64_t delivered,
                           std::uint64_t expected, std::int64_t latency_base_us) {
    run_result r;
    scenario s;
    s.urls = {"http://127.0.0.1:1"};
    s.url = s.urls.front();
    s.worker_index = worker;
    s.worker_count = 2;
    s.thresholds = {"p99<1s"};
    s.parsed_thresholds = {parse_threshold("p99<1s")};
    s.max_loop_lag_us = s.max_schedule_lag_us = 50000;
    r.scenario = record_of(s, "load-test");
    r.run.worker_index = worker;
    r.run.worker_count = 2;
    r.totals.sent = sent;
    r.totals.delivered = delivered;
    r.expected = expected;
    r.totals.errors[static_cast<std::size_t>(error_kind::closed_by_server)] =
        static_cast<std::uint64_t>(worker);
    for (std::uint64_t i = 0; i < delivered; ++i)
        r.histograms.latency.record(latency_base_us + static_cast<std::int64_t>(i % 1000));
    r.histograms.loop_lag.record(100);
    r.histograms.schedule_lag.record(100);
    r.run.measure_start_unix_ms = 1'000'000;
    r.run.measure_end_unix_ms = 1'010'000;
    r.run.timeline_start_unix_ms = 999'000 + worker * 1000; // worker 1 starts one second later
    for (long t = 0; t < 3; ++t) {
        timeline_point p;
        p.second = t;
        p.c.delivered = 10;
        histogram h;
        h.record(latency_base_us);
        p.latency = h.sparse();
        r.timeline.push_back(p);
    }
    r.plan.clients = r.memory.idle_clients = 100;
    r.memory.rss_before_clients = 1000;
    r.memory.rss_idle = 1000 + 100 * 500;
    r.memory.idle_growth = 100 * 500;
    r.cpu.seconds = 1;
    r.cpu.wall_seconds = 10;
    r.cpu.threads = 1;
    r.cpu.utilization_max = 0.1;
    r.limits.push_back({});
    r.endpoints.push_back({s.url, 100, 0, delivered, delivered, 0, r.histograms.latency});
    finalize(r, s.parsed_thresholds);
    return r;
}

} // namespace chat::load::test
