// Thresholds, finalisation, the exact merge of worker results and the JSON edge.
#include "result.hpp"

#include "report.hpp"
#include "result_json.hpp"
#include "scenario.hpp"

#include <catch2/catch.hpp>

using namespace chat::load;
using nlohmann::json;

namespace {

run_result fake_run(int worker, std::uint64_t sent, std::uint64_t delivered,
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

// The document as the file holds it.
json fake_result(int worker, std::uint64_t sent, std::uint64_t delivered, std::uint64_t expected,
                 std::int64_t latency_base_us) {
    return to_json(fake_run(worker, sent, delivered, expected, latency_base_us));
}

// A document read back and finalised again with `rules`, as the file would give it.
json refinalized(const json& doc, const std::vector<threshold>& rules) {
    auto r = result_from_json(doc, "doc.json");
    finalize(r, rules);
    return to_json(r);
}

std::vector<run_result> typed(const std::vector<json>& docs) {
    std::vector<run_result> out;
    for (const auto& d : docs)
        out.push_back(result_from_json(d, "x.json"));
    return out;
}

} // namespace

TEST_CASE("Result: thresholds judge the summary and the totals", "[result][threshold]") {
    auto doc = fake_result(0, 100, 990, 1000, 5000);
    CHECK(doc["totals"]["lost"] == 10);
    CHECK(doc["totals"]["delivery"].get<double>() == Approx(0.99));
    CHECK(doc["memory"]["idle_bytes_per_client"].get<double>() == Approx(500));
    doc = refinalized(doc, {parse_threshold("p99<20ms"), parse_threshold("delivery>=0.999")});
    CHECK(doc["thresholds"][0]["pass"] == true);
    CHECK(doc["thresholds"][1]["pass"] == false);
    CHECK(doc["verdict"] == "FAIL");
    CHECK(doc["exit_code"] == 1);
    doc = refinalized(doc, {parse_threshold("errors==0"), parse_threshold("connect_p99<1ms")});
    CHECK(doc["thresholds"][0]["pass"] == true);
    CHECK(doc["thresholds"][1]["pass"] == false); // no connects recorded: cannot pass
    doc = refinalized(doc, {});
    CHECK(doc["verdict"] == "PASS");
    CHECK(doc["exit_code"] == 0);
}

TEST_CASE("Result: a generator that fell behind makes the run INVALID", "[result][validity]") {
    auto doc = fake_result(0, 100, 1000, 1000, 5000);
    histogram lag;
    lag.record(200000); // 200 ms
    doc["histograms"]["loop_lag_us"] = lag.to_json();
    doc = refinalized(doc, {});
    CHECK(doc["validity"]["valid"] == false);
    CHECK(doc["verdict"] == "INVALID");
    CHECK(doc["exit_code"] == 2);
}

TEST_CASE("Result: merging two workers adds exactly", "[result][merge]") {
    const auto a = fake_result(0, 100, 1000, 1000, 5000);
    const auto b = fake_result(1, 50, 480, 500, 9000);
    const auto m =
        to_json(merge(typed({a, b}), {"a.json", "b.json"}, thresholds_of(typed({a}).front())));
    CHECK(m["totals"]["sent"] == 150);
    CHECK(m["totals"]["delivered"] == 1480);
    CHECK(m["totals"]["expected"] == 1500);
    CHECK(m["totals"]["lost"] == 20);
    CHECK(m["totals"]["errors_by_kind"]["closed_by_server"] == 1);
    histogram both = histogram::from_json(a["histograms"]["latency_us"]);
    both.merge(histogram::from_json(b["histograms"]["latency_us"]));
    CHECK(histogram::from_json(m["histograms"]["latency_us"]) == both);
    CHECK(m["summary"]["latency_us"]["p99"] == both.percentile(99));
    // Timelines align by absolute time: worker 1 started a second later.
    const auto& pts = m["timeline"]["points"];
    REQUIRE(pts.size() == 4);
    CHECK(pts[0]["delivered"] == 10);
    CHECK(pts[1]["delivered"] == 20);
    CHECK(pts[3]["delivered"] == 10);
    CHECK(m["run"]["merged_from"].size() == 2);
    CHECK(m["memory"]["idle_bytes_per_client"].get<double>() == Approx(500));
    CHECK(m["verdict"] == "PASS");
}

TEST_CASE("Result: merge refuses what is not a chat-load result", "[result][merge]") {
    CHECK_THROWS_WITH(typed({json{{"a", 1}}}), Catch::Contains("x.json"));
}

TEST_CASE("Result: the report document carries charts and the thresholds", "[result][report]") {
    const auto d = to_document(fake_run(0, 100, 1000, 1000, 5000));
    CHECK(d.tool == "chat-load");
    std::size_t charts = d.charts.size();
    for (const auto& sec : d.sections)
        charts += sec.charts.size();
    CHECK(charts == 3);
    CHECK(d.verdict.rfind("PASS", 0) == 0);
    bool has_threshold = false;
    for (const auto& c : d.cases)
        has_threshold = has_threshold || c.id == "threshold.p99<1s";
    CHECK(has_threshold);
}
