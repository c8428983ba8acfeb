// The load report: curated sections (asked, delivered, went wrong, valid), sections only for
// the features a run used, and no conformance words; rendered to Markdown and HTML.
#include "report.hpp"

#include "fake_run.hpp"

#include "chat/reports/render.hpp"

#include <catch2/catch.hpp>

#include <sstream> // ostringstream
#include <string>  // string
#include <vector>  // vector

using namespace chat::load;
using chat::load::test::fake_run;

namespace {

std::vector<std::string> section_titles(const chat::reports::document& d) {
    std::vector<std::string> out;
    for (const auto& s : d.sections)
        out.push_back(s.title);
    return out;
}

const chat::reports::section* find_section(const chat::reports::document& d,
                                           const std::string& id) {
    for (const auto& s : d.sections)
        if (s.id == id)
            return &s;
    return nullptr;
}

// Every cell of every table of a section, one per line, for Contains checks.
std::string cells(const chat::reports::section& s) {
    std::string out;
    for (const auto& t : s.tables)
        for (const auto& row : t.rows)
            for (const auto& cell : row)
                out += cell + "\n";
    for (const auto& n : s.notes)
        out += n + "\n";
    return out;
}

} // namespace

TEST_CASE("Report: a plain run has the four load sections and nothing of unused features",
          "[report]") {
    auto r = fake_run(0, 100, 1000, 1000, 5000);
    r.totals.errors = {};
    finalize(r, thresholds_of(r));
    const auto d = to_document(r);
    CHECK(section_titles(d) == std::vector<std::string>{"What was asked",
                                                        "What was delivered and how fast",
                                                        "What went wrong", "Is the run valid?"});
    const auto md = chat::reports::to_markdown(d);
    const auto html = chat::reports::to_html(d);
    for (const auto* text : {&md, &html}) {
        CHECK_THAT(*text, Catch::Contains("What was asked"));
        CHECK_THAT(*text, Catch::Contains("Is the run valid?"));
        // No conformance words, and no counters of features the run did not use.
        CHECK_THAT(*text, !Catch::Contains("Clause", Catch::CaseSensitive::No));
        CHECK_THAT(*text, !Catch::Contains("self-check"));
        CHECK_THAT(*text, !Catch::Contains("churn", Catch::CaseSensitive::No));
        CHECK_THAT(*text, !Catch::Contains("REST"));
        CHECK_THAT(*text, !Catch::Contains("Slow readers"));
        CHECK_THAT(*text, !Catch::Contains("Endpoints"));
    }
    // Delivered and how fast: counts, rate and latency percentiles.
    const auto* delivered = find_section(d, "delivered");
    REQUIRE(delivered);
    CHECK_THAT(cells(*delivered), Catch::Contains("1,000 (100.0000%)"));
    CHECK_THAT(cells(*delivered), Catch::Contains("delivery, from intended send time"));
    REQUIRE(delivered->charts.size() == 5);
    // Each series on its own axis: deliveries, sends (a fan-out of 100 flattens them on the
    // deliveries' axis) and connected clients (a mass drop is invisible on a messages/s axis).
    CHECK(delivered->charts[1].title == "Deliveries per second");
    REQUIRE(delivered->charts[1].lines.size() == 1);
    CHECK(delivered->charts[1].lines[0].name == "delivered/s");
    CHECK(delivered->charts[2].title == "Messages sent per second");
    REQUIRE(delivered->charts[2].lines.size() == 1);
    CHECK(delivered->charts[2].lines[0].name == "sent/s");
    CHECK(delivered->charts[3].title == "Connected clients");
    REQUIRE(delivered->charts[3].lines.size() == 1);
    CHECK(delivered->charts[3].lines[0].name == "connected");
    CHECK(delivered->charts[0].log_y); // p50 of ms and max of seconds both show
    for (const auto& c : delivered->charts)
        CHECK(c.x_markers.empty()); // no stages, no boundaries
    CHECK_THAT(md, Catch::Contains("| p50 | p90 | p99 | p99.9 | max | mean |"));
    // Nothing went wrong, and it says so.
    CHECK_THAT(cells(*find_section(d, "wrong")), Catch::Contains("Nothing:"));
    // Valid, with the generator's self-watch figures.
    const auto valid = cells(*find_section(d, "valid"));
    CHECK_THAT(valid, Catch::Contains("Valid:"));
    CHECK_THAT(valid, Catch::Contains("event-loop lag p99"));
    CHECK_THAT(valid, Catch::Contains("send schedule lag p99"));
    CHECK_THAT(valid, Catch::Contains("busy share of the generator's threads"));
    CHECK_THAT(html, Catch::Contains("Validity checks and thresholds"));
    CHECK_THAT(html, Catch::Contains("Kind <b class=\"mono\">threshold</b>"));
}

TEST_CASE("Report: a staged run has a per-stage table and marked timelines", "[report][stage]") {
    auto r = fake_run(0, 100, 1000, 1000, 5000);
    r.plan.senders = 2;
    r.run.timeline_start_unix_ms = r.run.measure_start_unix_ms - 1500;
    stage_record up;
    up.text = "2s,clients=20";
    up.from_s = 0, up.to_s = 2, up.rate_from = up.rate_to = 5;
    up.clients_from = 0, up.clients_to = 20;
    up.connected_min = 11, up.connected_max = 20, up.connected_readings = 2;
    stage_record hold = up;
    hold.text = "2s";
    hold.from_s = 2, hold.to_s = 4, hold.clients_from = 20;
    hold.connected_min = 20, hold.connected_readings = 2;
    r.stages = {up, hold};
    const auto d = to_document(r);
    const auto* stages = find_section(d, "stages");
    REQUIRE(stages);
    CHECK_THAT(cells(*stages), Catch::Contains("0 -> 20\n11 - 20\n"));
    CHECK_THAT(cells(*stages), Catch::Contains("20 -> 20\n20\n"));
    const auto* delivered = find_section(d, "delivered");
    REQUIRE(delivered);
    for (std::size_t i = 0; i < 4; ++i) { // the timelines, not the distribution
        INFO(delivered->charts[i].title);
        REQUIRE(delivered->charts[i].x_markers.size() == 3);
        CHECK(delivered->charts[i].x_markers[0].x == Approx(1.5));
        CHECK(delivered->charts[i].x_markers[1].x == Approx(3.5));
        CHECK(delivered->charts[i].x_markers[2].label == "end");
    }
    CHECK(delivered->charts[4].x_markers.empty());
    REQUIRE(delivered->charts[2].lines.size() == 2);
    CHECK(delivered->charts[2].lines[1].points.front().second == 10); // 5/s x 2 senders
    REQUIRE(delivered->charts[3].lines.size() == 2);
    CHECK(delivered->charts[3].lines[1].name == "client target");
    CHECK(delivered->charts[3].lines[1].points[1].second == 20);
    CHECK_THAT(chat::reports::to_html(d), Catch::Contains("stroke-dasharray"));
}

TEST_CASE("Report: what went wrong lists losses and errors by cause", "[report]") {
    auto r = fake_run(3, 100, 990, 1000, 5000); // 3 x closed_by_server, 10 lost
    r.totals.duplicates = 2;
    r.totals.late = 4; // of the 10 not delivered in time, 4 came late: 6 lost
    finalize(r, {});
    const auto wrong = cells(*find_section(to_document(r), "wrong"));
    CHECK_THAT(wrong, Catch::Contains("lost (expected, never arrived)\n6\n"));
    CHECK_THAT(wrong, Catch::Contains("late (arrived after --lifetime, not counted)\n4\n"));
    CHECK_THAT(wrong, Catch::Contains("duplicates\n2\n"));
    CHECK_THAT(wrong, Catch::Contains("closed_by_server\n3\n"));
    CHECK_THAT(wrong, !Catch::Contains("Nothing:"));
}

TEST_CASE("Report: sections for slow readers, churn, REST and endpoints when used", "[report]") {
    auto r = fake_run(0, 100, 1000, 1000, 5000);
    r.scenario.slow_readers = 0.1;
    r.plan.slow_clients = 4;
    r.totals.dropped_slow = 4;
    r.scenario.churn_pool = 8;
    r.totals.churn_cycles = 1234;
    r.scenario.rest_pollers = 2;
    r.totals.rest_requests = 40;
    r.histograms.rest.record(1500);
    r.scenario.urls = {"http://127.0.0.1:1", "http://[::1]:1"};
    r.endpoints = {{"http://127.0.0.1:1", 50, 0, 500, 250, 250, {}},
                   {"http://[::1]:1", 50, 1, 500, 250, 250, {}}};
    r.histograms.latency_same_endpoint.record(100);
    r.histograms.latency_cross_endpoint.record(900);
    finalize(r, {});
    const auto d = to_document(r);
    CHECK(section_titles(d) ==
          std::vector<std::string>{"What was asked", "What was delivered and how fast", "Endpoints",
                                   "What went wrong", "Slow readers", "Churn", "REST",
                                   "Is the run valid?"});
    CHECK_THAT(cells(*find_section(d, "slow")), Catch::Contains("4 of 4"));
    CHECK_THAT(cells(*find_section(d, "churn")), Catch::Contains("1,234"));
    CHECK_THAT(cells(*find_section(d, "churn")), !Catch::Contains("rejoins")); // no --churn
    CHECK_THAT(cells(*find_section(d, "rest")), Catch::Contains("1.50 ms"));
    const auto endpoints = cells(*find_section(d, "endpoints"));
    CHECK_THAT(endpoints, Catch::Contains("http://[::1]:1"));
    CHECK_THAT(endpoints, Catch::Contains("sender on another endpoint"));
    CHECK_THAT(endpoints, Catch::Contains("900 us"));
    CHECK_THAT(cells(*find_section(d, "asked")), Catch::Contains("2 endpoints"));
    const auto html = chat::reports::to_html(d);
    CHECK_THAT(html, Catch::Contains("<section id=\"endpoints\"><h2>Endpoints</h2>"));
    CHECK_THAT(html, Catch::Contains("<a href=\"#rest\">REST</a>"));
}

TEST_CASE("Report: an INVALID run says why where validity is judged", "[report]") {
    auto r = fake_run(0, 100, 1000, 1000, 5000);
    r.histograms.loop_lag.record(200000);
    finalize(r, {});
    REQUIRE(r.verdict == "INVALID");
    const auto d = to_document(r);
    CHECK_THAT(cells(*find_section(d, "valid")),
               Catch::Contains("INVALID: generator event-loop lag"));
    CHECK_THAT(cells(*find_section(d, "valid")), Catch::Contains("NO"));
    CHECK_THAT(chat::reports::to_markdown(d), Catch::Contains("INVALID"));
}

TEST_CASE("Report: the console summary shows each endpoint with several URLs", "[report]") {
    auto r = fake_run(0, 100, 1000, 1000, 5000);
    std::ostringstream one;
    print_summary(r, one);
    CHECK_THAT(one.str(), !Catch::Contains("endpoint"));
    r.endpoints = {{"http://a:1", 50, 0, 500, 250, 250, {}},
                   {"http://b:1", 50, 2, 500, 250, 250, {}}};
    std::ostringstream two;
    print_summary(r, two);
    CHECK_THAT(two.str(), Catch::Contains("endpoint http://b:1"));
    CHECK_THAT(two.str(),
               Catch::Contains("50 connects, 2 failed, 500 delivered (250 cross-endpoint)"));
    CHECK_THAT(two.str(), Catch::Contains("sender on another endpoint"));
}

TEST_CASE("Report: a message not sent after a drop is a consequence, not one more error",
          "[report]") {
    auto r = fake_run(0, 100, 1000, 1000, 5000);
    r.totals.errors[static_cast<std::size_t>(error_kind::closed_by_server)] = 3;
    r.totals.errors[static_cast<std::size_t>(error_kind::sender_disconnected)] = 40;
    CHECK(r.totals.error_total() == 3);
    CHECK(r.totals.not_sent() == 40);
    CHECK(metric_value(r, "errors") == 3.0);
    const auto d = to_document(r);
    const auto* wrong = find_section(d, "wrong");
    REQUIRE(wrong);
    for (const auto& t : wrong->tables)
        for (const auto& row : t.rows)
            CHECK(row.front() != "sender_disconnected");
    std::string notes;
    for (const auto& n : wrong->notes)
        notes += n + "\n";
    CHECK_THAT(notes, Catch::Contains("3 errors in all"));
    CHECK_THAT(notes, Catch::Contains("Consequences, not counted as errors: 40"));
}

TEST_CASE("Report: a connect tail at about 1 s is explained as SYN retransmits", "[report]") {
    auto r = fake_run(0, 100, 1000, 1000, 5000);
    r.histograms.connect = histogram{};
    for (int i = 0; i < 85; ++i)
        r.histograms.connect.record(2000);
    for (int i = 0; i < 15; ++i)
        r.histograms.connect.record(1'012'000); // one SYN retransmit after a full backlog
    auto notes = [](const run_result& x) {
        const auto d = to_document(x);
        std::string out;
        for (const auto& n : find_section(d, "wrong")->notes)
            out += n + "\n";
        return out;
    };
    CHECK_THAT(notes(r), Catch::Contains("retransmits a SYN"));
    CHECK_THAT(notes(r), Catch::Contains("listen backlog"));
    r.histograms.connect = histogram{};
    for (int i = 0; i < 100; ++i)
        r.histograms.connect.record(2000 + i * 10);
    CHECK_THAT(notes(r), !Catch::Contains("SYN"));
}
