// Thresholds, finalisation and the exact merge of worker results.
#include "result.hpp"

#include <catch2/catch.hpp>

using namespace chat::load;
using nlohmann::json;

namespace {

json fake_result(int worker, std::uint64_t sent, std::uint64_t delivered, std::uint64_t expected,
                 std::int64_t latency_base_us) {
    raw_result r;
    scenario s;
    s.url = "http://127.0.0.1:1";
    s.worker_index = worker;
    s.worker_count = 2;
    s.thresholds = {"p99<1s"};
    s.parsed_thresholds = {parse_threshold("p99<1s")};
    s.max_loop_lag_us = s.max_schedule_lag_us = 50000;
    r.scenario = s.to_json();
    r.totals.sent = sent;
    r.totals.delivered = delivered;
    r.expected = expected;
    r.totals.errors[static_cast<std::size_t>(error_kind::closed_by_server)] =
        static_cast<std::uint64_t>(worker);
    for (std::uint64_t i = 0; i < delivered; ++i)
        r.latency.record(latency_base_us + static_cast<std::int64_t>(i % 1000));
    r.loop_lag.record(100);
    r.schedule_lag.record(100);
    r.measure_start_unix_ms = 1'000'000;
    r.measure_end_unix_ms = 1'010'000;
    r.timeline_start_unix_ms = 999'000 + worker * 1000; // worker 1 starts one second later
    for (long t = 0; t < 3; ++t) {
        timeline_point p;
        p.second = t;
        p.c.delivered = 10;
        p.latency.record(latency_base_us);
        r.timeline.push_back(p);
    }
    r.clients_planned = r.clients_connected_idle = 100;
    r.rss_before = 1000;
    r.rss_idle = 1000 + 100 * 500;
    r.cpu_seconds = 1;
    r.cpu_wall_seconds = 10;
    return build_result(r, s);
}

} // namespace

TEST_CASE("Result: thresholds judge the summary and the totals", "[result][threshold]") {
    auto doc = fake_result(0, 100, 990, 1000, 5000);
    CHECK(doc["totals"]["lost"] == 10);
    CHECK(doc["totals"]["delivery"].get<double>() == Approx(0.99));
    CHECK(doc["memory"]["idle_bytes_per_client"].get<double>() == Approx(500));
    finalize(doc, {parse_threshold("p99<20ms"), parse_threshold("delivery>=0.999")});
    CHECK(doc["thresholds"][0]["pass"] == true);
    CHECK(doc["thresholds"][1]["pass"] == false);
    CHECK(doc["verdict"] == "FAIL");
    CHECK(doc["exit_code"] == 1);
    finalize(doc, {parse_threshold("errors==0"), parse_threshold("connect_p99<1ms")});
    CHECK(doc["thresholds"][0]["pass"] == true);
    CHECK(doc["thresholds"][1]["pass"] == false); // no connects recorded: cannot pass
    finalize(doc, {});
    CHECK(doc["verdict"] == "PASS");
    CHECK(doc["exit_code"] == 0);
}

TEST_CASE("Result: a generator that fell behind makes the run INVALID", "[result][validity]") {
    auto doc = fake_result(0, 100, 1000, 1000, 5000);
    histogram lag;
    lag.record(200000); // 200 ms
    doc["histograms"]["loop_lag_us"] = lag.to_json();
    finalize(doc, {});
    CHECK(doc["validity"]["valid"] == false);
    CHECK(doc["verdict"] == "INVALID");
    CHECK(doc["exit_code"] == 2);
}

TEST_CASE("Result: merging two workers adds exactly", "[result][merge]") {
    const auto a = fake_result(0, 100, 1000, 1000, 5000);
    const auto b = fake_result(1, 50, 480, 500, 9000);
    const auto m = merge({a, b}, {"a.json", "b.json"}, thresholds_of(a));
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
    CHECK_THROWS_WITH(merge({json{{"a", 1}}}, {"x.json"}, {}), Catch::Contains("x.json"));
}

TEST_CASE("Result: the report document carries charts and the thresholds", "[result][report]") {
    const auto doc = fake_result(0, 100, 1000, 1000, 5000);
    const auto d = to_document(doc);
    CHECK(d.tool == "chat-load");
    CHECK(d.charts.size() == 3);
    CHECK(d.verdict.rfind("PASS", 0) == 0);
    bool has_threshold = false;
    for (const auto& c : d.cases)
        has_threshold = has_threshold || c.id == "threshold.p99<1s";
    CHECK(has_threshold);
}
