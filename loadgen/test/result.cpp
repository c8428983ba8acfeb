// Thresholds, finalisation, the exact merge of worker results and the JSON edge.
#include "result.hpp"

#include "fake_run.hpp"
#include "report.hpp"
#include "result_json.hpp"

#include <catch2/catch.hpp>

using namespace chat::load;
using chat::load::test::fake_run;
using nlohmann::json;

namespace {

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

// #17: late arrivals are neither delivered nor lost; merge adds them like every counter.
TEST_CASE("Result: late deliveries are apart from lost ones, and merge adds them",
          "[result][merge][late]") {
    auto a = fake_run(0, 100, 900, 1000, 5000);
    a.totals.late = 60;
    auto b = fake_run(1, 50, 480, 500, 9000);
    b.totals.late = 30;
    CHECK(a.lost() == 40); // 1000 - 900 - 60
    const auto m = to_json(merge({a, b}, {"a.json", "b.json"}, thresholds_of(a)));
    CHECK(m["totals"]["late"] == 90);
    CHECK(m["totals"]["lost"] == 1500 - 1380 - 90);
    CHECK(m["totals"]["unexpected"] == 0);
    CHECK(metric_value(a, "late") == 60);
    b.totals.late = 40; // 480 + 40 > 500: a harness bug, never a negative loss
    CHECK(b.lost() == 0);
    CHECK(b.unexpected() == 20);
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
    CHECK(charts == 5);
    CHECK(d.verdict.rfind("PASS", 0) == 0);
    bool has_threshold = false;
    for (const auto& c : d.cases)
        has_threshold = has_threshold || c.id == "threshold.p99<1s";
    CHECK(has_threshold);
}

TEST_CASE("Result: the JSON edge reads back what it writes", "[result][json]") {
    auto r = fake_run(1, 100, 990, 1000, 5000);
    r.histograms.latency_cross_endpoint.record(777);
    const auto doc = to_json(r);
    const auto back = result_from_json(doc, "r.json");
    CHECK(back.histograms.latency == r.histograms.latency);
    CHECK(back.histograms.latency_cross_endpoint == r.histograms.latency_cross_endpoint);
    CHECK(back.endpoints.size() == 1);
    CHECK(back.timeline.size() == 3);
    CHECK(to_json(back) == doc);
}

TEST_CASE("Result: merge adds per-endpoint results by URL", "[result][merge][endpoints]") {
    auto a = fake_run(0, 100, 1000, 1000, 5000);
    auto b = fake_run(1, 50, 480, 500, 9000);
    a.endpoints = {{"http://a", 10, 1, 600, 400, 200, {}}, {"http://b", 10, 0, 400, 100, 300, {}}};
    a.endpoints[0].latency.record(100);
    // The other worker lists the endpoints in another order: they still meet by URL.
    b.endpoints = {{"http://b", 5, 2, 300, 100, 200, {}}, {"http://a", 5, 0, 180, 80, 100, {}}};
    b.endpoints[1].latency.record(300);
    const auto m = merge({a, b}, {"a.json", "b.json"}, {});
    REQUIRE(m.endpoints.size() == 2);
    CHECK(m.endpoints[0].url == "http://a");
    CHECK(m.endpoints[0].connects == 15);
    CHECK(m.endpoints[0].connect_failures == 1);
    CHECK(m.endpoints[0].delivered == 780);
    CHECK(m.endpoints[0].delivered_cross_endpoint == 300);
    CHECK(m.endpoints[0].latency.count() == 2);
    CHECK(m.endpoints[1].connect_failures == 2);
    CHECK(m.endpoints[1].delivered_same_endpoint == 200);
    const auto doc = to_json(m);
    CHECK(doc["endpoints"][1]["url"] == "http://b");
    CHECK(doc["endpoints"][0]["latency"]["max"] == 300);
}
