// Writes two chat-load reports made from hand-made results into the directory given: a staged
// run (per-stage table, client ramp, stage markers on the timelines) and a capacity search (the
// knee charts), so the headless-browser check renders what users read (reports/tools/).
#include "fake_run.hpp"
#include "report.hpp"
#include "search_report.hpp"

#include "chat/reports/render.hpp"

#include <cstdio>    // fprintf, printf
#include <exception> // exception

namespace {

using namespace chat::load;

// A stage of the staged sample: its span, targets and measured clients.
stage_record sample_stage(const char* text, double from_s, double to_s, long clients_from,
                          long clients_to, long connected_min, long connected_max) {
    stage_record s;
    s.text = text;
    s.from_s = from_s, s.to_s = to_s;
    s.rate_from = s.rate_to = 20;
    s.clients_from = clients_from, s.clients_to = clients_to;
    s.connected_min = connected_min, s.connected_max = connected_max;
    s.connected_readings = static_cast<long>(to_s - from_s);
    s.seconds = to_s - from_s;
    s.sent = static_cast<std::uint64_t>(40 * s.seconds);
    s.delivered = s.sent * static_cast<std::uint64_t>(connected_max / 2);
    s.p50_us = 300, s.p99_us = 2000;
    return s;
}

// Clients 0 -> 20 -> 8 over 7 s with two senders, every message delivered.
run_result staged_run() {
    auto r = test::fake_run(0, 280, 1707, 1707, 300);
    r.scenario.worker_index.reset();
    r.run.worker_count = 1;
    r.plan.senders = 2;
    r.plan.clients = 20;
    r.run.timeline_start_unix_ms = r.run.measure_start_unix_ms - 1000;
    r.stages = {sample_stage("2s,clients=20", 0, 2, 0, 20, 11, 20),
                sample_stage("2s", 2, 4, 20, 20, 20, 20),
                sample_stage("1s,clients=8", 4, 5, 20, 8, 8, 8),
                sample_stage("2s", 5, 7, 8, 8, 8, 8)};
    const long connected[] = {2, 11, 20, 20, 20, 8, 8, 8, 0};
    r.timeline.clear();
    for (long t = 0; t < 9; ++t) {
        timeline_point p;
        p.second = t;
        p.connected = connected[t];
        p.c.sent = t >= 1 && t <= 7 ? 40 : 0;
        p.c.delivered = p.c.sent * static_cast<std::uint64_t>(connected[t] / 2);
        histogram h;
        h.record(300 + t * 50);
        h.record(2000);
        p.latency = h.sparse();
        r.timeline.push_back(p);
    }
    finalize(r, {});
    return r;
}

// A search that doubles 25k -> 50k -> 100k, fails there, and bisects to 75k.
search_run knee_search() {
    search_run r;
    r.slo = {"p99<50ms", "delivery>=0.9999"};
    r.step_ms = 5000;
    r.deliveries_per_unit_rate = 200;
    const struct {
        double offered, p50_ms, p99_ms, delivery;
    } steps[] = {
        {25000, 0.4, 2, 1}, {50000, 0.6, 5, 1}, {100000, 30, 400, 0.93}, {75000, 2, 20, 1}};
    for (const auto& s : steps) {
        step_outcome o;
        o.offered_per_s = s.offered;
        o.p50_us = s.p50_ms * 1000, o.p99_us = s.p99_ms * 1000;
        o.delivery = s.delivery;
        o.delivered_per_s = s.offered * s.delivery;
        o.verdict = s.p99_ms < 50 && s.delivery >= 0.9999 ? step_verdict::pass : step_verdict::fail;
        if (o.verdict == step_verdict::fail)
            o.why = "p99<50ms (actual " + std::to_string(static_cast<int>(s.p99_ms)) + " ms)";
        r.result.steps.push_back(o);
        r.details.push_back({o.offered_per_s / 200, "load-sample-s", "PASS", 0, 0, 0, 5, 0, 0});
    }
    r.result.last_pass = r.result.steps[3];
    r.result.first_fail = r.result.steps[2];
    r.result.ended = "bracketed within the resolution";
    r.result.bracketed = true;
    finalize(r);
    return r;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    try {
        const auto html = std::vector<chat::reports::format>{chat::reports::format::html};
        for (const auto& path :
             chat::reports::write_all(to_document(staged_run()), argv[1], "staged", html))
            std::printf("%s\n", path.string().c_str());
        for (const auto& path :
             chat::reports::write_all(to_document(knee_search()), argv[1], "search", html))
            std::printf("%s\n", path.string().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loadgen_report_samples: %s\n", e.what());
        return 1;
    }
    return 0;
}
