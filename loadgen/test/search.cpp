// The capacity search on simulated response curves, and stage parsing and ramps: the logic of
// `chat-load search` and `--stage` without a server (the end-to-end run is in e2e tests).
#include "search.hpp"
#include "result_json.hpp"
#include "scenario.hpp"
#include "search_report.hpp"
#include "stages.hpp"

#include <catch2/catch.hpp>

#include <algorithm> // count_if, find_if
#include <cmath>     // abs
#include <random>    // mt19937

using namespace chat::load;
using namespace std::chrono_literals;

namespace {

// A server whose p99 grows like a queue's, base / (1 - rate / saturation), and that loses
// messages past saturation: the SLO p99 < limit holds up to base/limit = 1 - rate/saturation.
struct simulated_server {
    double saturation = 80'000; // deliveries/s
    double base_us = 5'000;
    double noise = 0; // relative, uniform +-
    std::mt19937 rng{42};

    step_outcome operator()(double rate) {
        step_outcome s;
        std::uniform_real_distribution<double> jitter(1 - noise, 1 + noise);
        const double load = rate / saturation;
        s.delivered_per_s = std::min(rate, saturation);
        s.delivery = s.delivered_per_s / rate;
        s.p99_us = load < 1 ? base_us / (1 - load) * jitter(rng) : 10e6;
        s.p50_us = s.p99_us / 4;
        const bool ok = s.p99_us < 50'000 && s.delivery >= 0.9999;
        s.verdict = ok ? step_verdict::pass : step_verdict::fail;
        if (!ok)
            s.why = "p99<50ms";
        return s;
    }
    // The rate at which p99 crosses 50 ms without noise.
    double knee() const { return saturation * (1 - base_us / 50'000); }
};

} // namespace

TEST_CASE("Search: steps up, bisects, and brackets the knee of a response curve", "[search]") {
    simulated_server server;
    search_options o;
    o.from = 1000;
    o.confirm = 0; // the climb and the bisection alone (reruns: their own case)
    auto r = capacity_search(o, std::ref(server));
    REQUIRE(r.bracketed);
    REQUIRE(r.last_pass);
    REQUIRE(r.first_fail);
    CHECK(r.last_pass->offered_per_s <= server.knee());
    CHECK(r.first_fail->offered_per_s >= server.knee());
    CHECK((r.first_fail->offered_per_s - r.last_pass->offered_per_s) / r.last_pass->offered_per_s <=
          o.resolution);
    CHECK(r.last_pass->offered_per_s >= server.knee() * (1 - o.resolution));
    // Geometric climb 1k..128k (8 steps), then 5 halvings of 64k..128k down to 5%.
    CHECK(r.steps.size() <= 13);
    CHECK(r.steps.front().offered_per_s == 1000);
    CHECK(r.steps[1].offered_per_s == 2000);
    CHECK_THAT(r.ended, Catch::Contains("bracketed within"));
}

TEST_CASE("Search: a lower capacity is found lower; noise stays within the resolution",
          "[search]") {
    simulated_server fast, slow;
    slow.saturation = 20'000;
    fast.noise = slow.noise = 0.02;
    search_options o;
    auto a = capacity_search(o, std::ref(fast));
    auto b = capacity_search(o, std::ref(slow));
    REQUIRE(a.last_pass);
    REQUIRE(b.last_pass);
    CHECK(b.last_pass->offered_per_s < a.last_pass->offered_per_s);
    CHECK(std::abs(a.last_pass->offered_per_s / fast.knee() - 1) < 0.1);
    CHECK(std::abs(b.last_pass->offered_per_s / slow.knee() - 1) < 0.1);
}

TEST_CASE("Search: a failing step is rerun to confirm it; one passing run is the verdict",
          "[search]") {
    // A server that stalls once, at the first run of 32k, then behaves like the curve.
    simulated_server curve;
    bool stalled = false;
    auto stalls_once = [&](double rate) {
        auto s = curve(rate);
        if (rate == 32'000 && !stalled) {
            stalled = true;
            s.verdict = step_verdict::fail;
            s.why = "p99<50ms (a stall)";
        }
        return s;
    };
    search_options o;
    o.max_steps = 40; // reruns take steps too
    auto r = capacity_search(o, stalls_once);
    REQUIRE(r.last_pass);
    CHECK(std::abs(r.last_pass->offered_per_s / curve.knee() - 1) < 0.1);
    // The stalled run is in the steps, as the first attempt at 32k; its rerun passed.
    auto at = [&](double rate, int attempt) {
        return std::find_if(r.steps.begin(), r.steps.end(), [&](const step_outcome& s) {
            return s.offered_per_s == rate && s.attempt == attempt;
        });
    };
    REQUIRE(at(32'000, 1) != r.steps.end());
    CHECK(at(32'000, 1)->verdict == step_verdict::fail);
    REQUIRE(at(32'000, 2) != r.steps.end());
    CHECK(at(32'000, 2)->verdict == step_verdict::pass);

    // Without confirmation the stall decides: the capacity is found below 32k.
    stalled = false;
    o.confirm = 0;
    auto unconfirmed = capacity_search(o, stalls_once);
    REQUIRE(unconfirmed.last_pass);
    CHECK(unconfirmed.last_pass->offered_per_s < 32'000);

    // A real failure fails every run: each failing rate ran 1 + confirm times.
    o.confirm = 2;
    auto strict = capacity_search(o, std::ref(curve));
    REQUIRE(strict.first_fail);
    for (const auto& s : strict.steps)
        if (s.verdict == step_verdict::fail)
            CHECK(std::count_if(strict.steps.begin(), strict.steps.end(), [&](const auto& t) {
                      return t.offered_per_s == s.offered_per_s;
                  }) == 3);
    CHECK(static_cast<int>(strict.steps.size()) <= o.max_steps);
}

TEST_CASE("Search: a first step that fails makes it step down", "[search]") {
    simulated_server server;
    server.saturation = 3000;
    search_options o;
    o.from = 10'000;
    o.confirm = 0;
    auto r = capacity_search(o, std::ref(server));
    REQUIRE(r.bracketed);
    CHECK(r.steps[0].verdict == step_verdict::fail);
    CHECK(r.steps[1].offered_per_s == 5000);
    CHECK(r.last_pass->offered_per_s <= server.knee());
    CHECK(r.first_fail->offered_per_s > server.knee());
}

TEST_CASE("Search: --to caps the climb, --max-steps bounds the search", "[search]") {
    simulated_server server;
    search_options o;
    o.to = 10'000;
    auto r = capacity_search(o, std::ref(server));
    CHECK_FALSE(r.bracketed);
    CHECK_FALSE(r.first_fail);
    CHECK(r.steps.back().offered_per_s == 10'000);
    CHECK(r.steps.size() == 5); // 1k 2k 4k 8k 10k
    CHECK_THAT(r.ended, Catch::Contains("every step passed"));

    o.to = 0;
    o.max_steps = 3;
    r = capacity_search(o, std::ref(server));
    CHECK(r.steps.size() == 3);
    CHECK_FALSE(r.bracketed);
    CHECK_THAT(r.ended, Catch::Contains("--max-steps 3"));
}

TEST_CASE("Search: an invalid step says nothing of the server: the search looks below it",
          "[search]") {
    simulated_server server; // knee at 72,000/s
    const auto invalid = [](const char* why) {
        step_outcome s;
        s.verdict = step_verdict::invalid;
        s.why = why;
        return s;
    };
    search_options o;
    o.max_steps = 40;
    // A generator that saturates below the knee: the search narrows to its ceiling and says
    // only "at least".
    auto r = capacity_search(o, [&](double rate) {
        return rate > 20'000 ? invalid("generator saturated (loop lag p99 80 ms)") : server(rate);
    });
    CHECK_FALSE(r.bracketed);
    CHECK_FALSE(r.first_fail);
    REQUIRE(r.last_pass);
    REQUIRE(r.first_invalid);
    CHECK(r.last_pass->offered_per_s <= 20'000);
    CHECK(r.first_invalid->offered_per_s > 20'000);
    CHECK(r.first_invalid->offered_per_s <= r.last_pass->offered_per_s * (1 + o.resolution));
    CHECK_THAT(r.ended, Catch::StartsWith("the generator could not offer more") &&
                            Catch::Contains("could not be judged") &&
                            Catch::Contains("generator saturated"));
    // --confirm 1: every invalid rate was tried twice before it counted.
    const auto invalid_runs = std::count_if(r.steps.begin(), r.steps.end(), [](const auto& s) {
        return s.verdict == step_verdict::invalid;
    });
    const auto first_tries = std::count_if(r.steps.begin(), r.steps.end(), [](const auto& s) {
        return s.verdict == step_verdict::invalid && s.attempt == 1;
    });
    CHECK(invalid_runs == 2 * first_tries);

    // A generator that saturates above the knee (the climb jumps from 64k to 128k, which it
    // cannot offer): the search still brackets the server's knee below it.
    auto r3 = capacity_search(o, [&](double rate) {
        return rate > 100'000 ? invalid("generator saturated") : server(rate);
    });
    CHECK(r3.bracketed);
    REQUIRE(r3.first_fail);
    REQUIRE(r3.first_invalid);
    CHECK(r3.first_invalid->offered_per_s == 128'000);
    CHECK(r3.last_pass->offered_per_s <= server.knee());
    CHECK(r3.first_fail->offered_per_s >= server.knee());

    // A judged failure stands when its rerun cannot be judged: the rate fails.
    int runs_at_32k = 0;
    auto r5 = capacity_search(o, [&](double rate) {
        if (rate != 32'000)
            return server(rate);
        if (++runs_at_32k > 1)
            return invalid("generator saturated");
        auto s = server(rate);
        s.verdict = step_verdict::fail;
        s.why = "p99<50ms";
        return s;
    });
    CHECK(runs_at_32k == 2);
    REQUIRE(r5.first_fail);
    CHECK(r5.first_fail->offered_per_s == 32'000);
    CHECK(r5.first_fail->attempt == 1);
    CHECK_FALSE(r5.first_invalid);
    CHECK(r5.bracketed);

    // An invalid step between a pass and a judged fail: the fail shows the generator could
    // offer more, so the capacity stays between the pass and the fail, and the words say so.
    auto r6 = capacity_search(o, [&](double rate) {
        return rate > 64'000 && rate < 128'000 ? invalid("generator stalled") : server(rate);
    });
    REQUIRE(r6.last_pass);
    REQUIRE(r6.first_fail);
    REQUIRE(r6.first_invalid);
    CHECK(r6.last_pass->offered_per_s == 64'000);
    CHECK(r6.first_fail->offered_per_s == 128'000);
    CHECK_FALSE(r6.bracketed);
    CHECK_THAT(r6.ended, Catch::Contains("could not be judged") &&
                             Catch::Contains("between the last pass 64000/s and the first fail "
                                             "128000/s"));

    // An invalid first step ends the search: no rate is known to be measurable, and no step
    // bounds the capacity from above.
    auto r4 = capacity_search(o, [&](double) { return invalid("generator saturated"); });
    CHECK_FALSE(r4.last_pass);
    CHECK_FALSE(r4.first_invalid);
    CHECK(r4.steps.size() == 2); // the step and its confirmation
    CHECK_THAT(r4.ended, Catch::StartsWith("the step at 1000/s could not be judged"));

    // A generator starved once (a transient) does not end the search: the rerun is judged.
    bool starved = false;
    auto r2 = capacity_search(o, [&](double rate) {
        if (rate == 32'000 && !starved) {
            starved = true;
            return invalid("generator saturated");
        }
        return server(rate);
    });
    CHECK(r2.bracketed);
    REQUIRE(r2.last_pass);
    CHECK(r2.last_pass->offered_per_s > 32'000);
}

TEST_CASE("Search: options out of range are refused", "[search]") {
    auto never = [](double) { return step_outcome{}; };
    search_options o;
    o.from = 0;
    CHECK_THROWS_WITH(capacity_search(o, never), Catch::Contains("--from"));
    o.from = 100;
    o.to = 50;
    CHECK_THROWS_WITH(capacity_search(o, never), Catch::Contains("--to"));
}

TEST_CASE("Stages: parsing names the stage and what is wrong", "[stages]") {
    auto s = parse_stage("30s,rate=50,clients=2000");
    CHECK(s.duration == 30s);
    CHECK(s.rate == 50);
    CHECK(s.clients == 2000);
    s = parse_stage("1m");
    CHECK(s.duration == 1min);
    CHECK_FALSE(s.rate);
    CHECK_FALSE(s.clients);
    CHECK(parse_stage("500ms, rate=2.5").rate == 2.5);
    for (const char* bad : {"", "0s,rate=1", "ten,rate=1", "10s,rate=0", "10s,rate=x",
                            "10s,clients=1.5", "10s,clients=-1", "10s,clients=", "10s,speed=3",
                            "10s,rate=1,rate=2", "10s,rate", "10s,clients=1,clients=2"}) {
        INFO(bad);
        CHECK_THROWS_WITH(parse_stage(bad), Catch::StartsWith(std::string("--stage '") + bad));
    }
}

TEST_CASE("Stages: targets ramp linearly from the run's start values", "[stages]") {
    // From --rate 10 --clients 100: ramp to 50/s over 10 s, hold 10 s, ramp clients to 300
    // over 20 s at the same rate.
    std::vector<stage> stages{parse_stage("10s,rate=50"), parse_stage("10s"),
                              parse_stage("20s,clients=300")};
    CHECK(total_duration(stages) == 40s);
    auto p = stage_at(stages, 10, 100, 0s);
    CHECK(p.rate == 10);
    CHECK(p.index == 0);
    p = stage_at(stages, 10, 100, 5s);
    CHECK(p.rate == Approx(30));
    CHECK(p.clients == 100);
    p = stage_at(stages, 10, 100, 15s);
    CHECK(p.rate == Approx(50));
    CHECK(p.index == 1);
    p = stage_at(stages, 10, 100, 30s);
    CHECK(p.clients == 200);
    CHECK(p.index == 2);
    p = stage_at(stages, 10, 100, 45s);
    CHECK(p.clients == 300);
    CHECK(p.index == 3);
    auto top = peak(stages, 10, 100);
    CHECK(top.rate == 50);
    CHECK(top.clients == 300);
}

TEST_CASE("Stages: the client ramp's crossings join and leave receivers in order", "[stages]") {
    // From 0 clients, 2 always connected: up to 6 over 4 s, hold 1 s, down to 3 over 3 s.
    const std::vector<stage> stages{parse_stage("4s,clients=6"), parse_stage("1s"),
                                    parse_stage("3s,clients=3")};
    CHECK(ramps_clients(stages));
    CHECK_FALSE(ramps_clients({parse_stage("4s,rate=6")}));
    const auto x = ramp_crossings(stages, 0, 2, 10);
    REQUIRE(x.size() == 4 + 3);
    // Receiver i joins where the target passes 2 + i: 0 -> 6 over 4 s crosses 2 at 1.33 s.
    CHECK(x[0].join);
    CHECK(x[0].receiver == 0);
    CHECK(x[0].at.count() == Approx(4e6 * 2 / 6).margin(1));
    CHECK(x[3].receiver == 3);
    CHECK(x[3].at.count() == Approx(4e6 * 5 / 6).margin(1));
    // 6 -> 3 from 5 s: the last to join leaves first, where the target passes 2 + i.
    CHECK_FALSE(x[4].join);
    CHECK(x[4].receiver == 3);
    CHECK(x[4].at.count() == Approx(5e6 + 3e6 * 1 / 3).margin(1));
    CHECK(x[6].receiver == 1);
    CHECK(x[6].at.count() == Approx(8e6).margin(1));
    // Only the receivers there are: a plan of 3 receivers has 3 joins.
    CHECK(ramp_crossings(stages, 0, 2, 3).size() == 3 + 2);
}

TEST_CASE("Search: offered deliveries per second map to a rate per sender", "[search]") {
    scenario s;
    s.urls = {"http://127.0.0.1:1"};
    s.clients = 100;
    s.rooms = 10;
    s.senders_per_room = 2;
    validate(s);
    // 10 rooms x 2 senders x 10 members: 200 deliveries/s per message/s per sender.
    CHECK(deliveries_per_unit_rate(s) == 200);
    s.senders_per_room = 20; // capped at the room's size
    CHECK(deliveries_per_unit_rate(s) == 1000);
    s.senders_per_room = 0;
    CHECK(deliveries_per_unit_rate(s) == 0);
}

TEST_CASE("Search: the verdict and exit code say what the steps found", "[search]") {
    const auto with = [](std::vector<step_verdict> verdicts) {
        search_run r;
        double rate = 100;
        for (const auto v : verdicts) {
            step_outcome o;
            o.offered_per_s = rate;
            o.verdict = v;
            r.result.steps.push_back(o);
            if (v == step_verdict::pass)
                r.result.last_pass = o;
            if (v == step_verdict::fail && !r.result.first_fail)
                r.result.first_fail = o;
            if (v == step_verdict::invalid && r.result.last_pass && !r.result.first_invalid)
                r.result.first_invalid = o;
            rate *= 2;
        }
        finalize(r);
        return r;
    };
    const auto p = step_verdict::pass, f = step_verdict::fail, i = step_verdict::invalid;
    CHECK(with({p, p, f}).exit_code == search_exit_found);
    CHECK(with({p, p, f}).verdict == "FOUND");
    CHECK(with({f, f}).exit_code == search_exit_none_passed);
    CHECK(with({i}).exit_code == search_exit_invalid);
    CHECK(with({f, i}).exit_code == search_exit_invalid);
    CHECK(with({p, i}).exit_code == search_exit_lower_bound);
    CHECK(with({p, p}).verdict == "LOWER BOUND");
    const auto found = with({p, p, f});
    const auto doc = to_json(found);
    CHECK(doc["schema"] == "chat-load.search");
    CHECK(doc["steps"].size() == 3);
    CHECK(doc["capacity"]["last_pass"]["offered_per_s"] == 200);
    CHECK(doc["capacity"]["first_fail"]["offered_per_s"] == 400);
    CHECK(doc["exit_code"] == 0);
    const auto d = to_document(found);
    CHECK(d.verdict.rfind("FOUND", 0) == 0);
    REQUIRE(d.sections.size() == 2);
    CHECK(d.sections[1].tables[0].rows.size() == 3);
    CHECK(d.sections[1].charts.size() == 3);

    // A generator that could not offer the rate above the last pass: named in the sentence,
    // the bracket table and the JSON.
    const auto bound = with({p, p, i});
    CHECK(bound.verdict == "LOWER BOUND");
    CHECK(to_json(bound)["capacity"]["first_invalid"]["offered_per_s"] == 400);
    CHECK(to_json(found)["capacity"]["first_invalid"].is_null());
    const auto bd = to_document(bound);
    CHECK_THAT(bd.verdict, Catch::Contains("at least 200/s") &&
                               Catch::Contains("the generator could not offer 400/s"));
    REQUIRE(bd.sections[0].tables.size() == 1);
    const auto& rows = bd.sections[0].tables[0].rows;
    REQUIRE(rows.size() == 2);
    CHECK(rows[1][0] == "first step the generator could not offer");
    CHECK(rows[1][1] == "400/s");
}
