// Scenario flags, config files and validation: every bad value names its flag and value.
#include "scenario.hpp"

#include "plan.hpp"

#include <catch2/catch.hpp>

#include <cstdio>  // remove
#include <fstream> // ofstream
#include <set>     // set, multiset

using namespace chat::load;

namespace {

// Parses `args` as the `run` subcommand would and validates; returns the error or "".
std::string parse(std::vector<std::string> args, scenario* out = nullptr) {
    CLI::App app;
    scenario s;
    auto* run = app.add_subcommand("run");
    add_options(*run, s);
    args.insert(args.begin(), "run");
    args.insert(args.begin(), "chat-load");
    std::vector<const char*> argv;
    for (auto& a : args)
        argv.push_back(a.c_str());
    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
        if (!s.config.empty())
            apply_config_file(*run, s.config);
        validate(s);
    } catch (const CLI::ParseError& e) {
        return std::string("parse: ") + e.what();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    if (out)
        *out = s;
    return "";
}

} // namespace

TEST_CASE("Scenario: defaults and flags parse", "[scenario]") {
    scenario s;
    REQUIRE(
        parse({"http://127.0.0.1:8082", "--clients", "200", "--rooms", "4", "--rate", "2.5",
               "--duration", "3s", "--ramp-up", "100/s", "--threshold", "p99<20ms", "--threshold",
               "delivery>=0.9999", "--worker", "1/2", "--start-at", "2024-05-01T12:00:00Z"},
              &s) == "");
    CHECK(s.clients == 200);
    CHECK(s.rate == 2.5);
    CHECK(s.duration_ms == 3000);
    CHECK(s.ramp_per_second == 100);
    CHECK(s.parsed_thresholds.size() == 2);
    CHECK(s.parsed_thresholds[0].limit == 20000);
    CHECK(s.worker_index == 1);
    CHECK(s.worker_count == 2);
    CHECK(s.start_at_unix_ms == 1714564800000);
}

TEST_CASE("Scenario: bad values are refused naming the flag and the value", "[scenario]") {
    const std::string url = "http://127.0.0.1:8082";
    CHECK(parse({url, "--rate=-5"}) == "parse: --rate: must be > 0 (got '-5')");
    CHECK(parse({url, "--rate", "0"}) == "parse: --rate: must be > 0 (got '0')");
    CHECK(parse({url, "--clients", "0"}) ==
          "--clients must be > 0 (0 only as the start of a --stage ...,clients=N ramp) (got 0)");
    CHECK(parse({url, "--clients", "5", "--rooms", "10"}) ==
          "--rooms must be <= --clients (every room has a client) (got 10)");
    CHECK(parse({url, "--distribution", "gauss"}) ==
          "--distribution must be even, zipf or skewed (got 'gauss')");
    CHECK(parse({url, "--arrival", "bursty"}) ==
          "parse: --arrival: must be one of constant, poisson (got 'bursty')");
    CHECK(parse({url, "--duration", "ten"}) ==
          "parse: --duration: 'ten' is not a duration (use e.g. 30s, 500ms, 2m)");
    CHECK(parse({url, "--duration", "0s"}) == "parse: --duration: '0s' is not between 1ms and 24h");
    CHECK(parse({url, "--slow-readers", "1.5"}) ==
          "parse: --slow-readers: must be in [0, 1) (got '1.5')");
    CHECK(parse({url, "--message-size", "10"}) ==
          "parse: --message-size: must be between 64 and 60000 (got '10')");
    CHECK(parse({url, "--worker", "2/2"}) ==
          "--worker must be I/N with 0 <= I < N, e.g. 0/4 (got '2/2')");
    CHECK(parse({url, "--worker", "abc"}) ==
          "--worker must be I/N with 0 <= I < N, e.g. 0/4 (got 'abc')");
    CHECK(parse({url, "--ramp-up", "fast"}) ==
          "--ramp-up: 'fast' is not a duration (use e.g. 30s, 500ms, 2m)");
    CHECK(parse({url, "--churn=-1"}) == "parse: --churn: must be >= 0 (got '-1')");
    CHECK(parse({url, "--churn-pool=-1"}) == "parse: --churn-pool: must be >= 0 (got '-1')");
    CHECK(parse({url, "--churn-rooms", "0"}) == "parse: --churn-rooms: must be > 0 (got '0')");
    CHECK(parse({url, "--churn-cycles=-5"}) == "parse: --churn-cycles: must be >= 0 (got '-5')");
    CHECK(parse({url, "--churn-send", "1.5"}) ==
          "parse: --churn-send: must be between 0 and 1 (got '1.5')");
    CHECK(parse({url, "--threads", "0"}) == "parse: --threads: must be between 1 and 64 (got '0')");
    CHECK(parse({url, "--format", "pdf"}) ==
          "parse: --format: must be one of json, junit, html, md, markdown, all (got 'pdf')");
    CHECK(parse({url, "--start-at", "tomorrow"}).find("--start-at: 'tomorrow'") == 0);
    CHECK(parse({url, "--threshold", "p99<20"}) ==
          "--threshold 'p99<20': latency '20' needs a unit: us, ms or s (e.g. 20ms)");
    CHECK(parse({url, "--threshold", "p42<20ms"})
              .find("--threshold 'p42<20ms': unknown metric 'p42'") == 0);
    CHECK(parse({url, "--threshold", "p99~20ms"}).find("--threshold 'p99~20ms'") == 0);
    CHECK(parse({url, "--clients", "many"}).find("--clients") != std::string::npos);
    CHECK(parse({}).find("url") != std::string::npos);
}

TEST_CASE("Scenario: a config file sets the same options", "[scenario][config]") {
    const char* path = "loadgen_test_scenario.ini";
    {
        std::ofstream f(path);
        f << "clients = 300\nrooms = 3\nrate = 4\nduration = 2s\narrival = poisson\n"
             "threshold = [\"p99<50ms\", \"errors==0\"]\n";
    }
    scenario s;
    const auto err = parse({"http://127.0.0.1:1", "--config", path}, &s);
    std::remove(path);
    REQUIRE(err == "");
    CHECK(s.clients == 300);
    CHECK(s.rooms == 3);
    CHECK(s.rate == 4);
    CHECK(s.poisson);
    CHECK(s.parsed_thresholds.size() == 2);
}

TEST_CASE("Scenario: the command line wins over the config file, unknown keys are refused",
          "[scenario][config]") {
    const char* path = "loadgen_test_scenario2.ini";
    {
        std::ofstream f(path);
        f << "clients = 300\nrooms = 3\n";
    }
    scenario s;
    CHECK(parse({"http://127.0.0.1:1", "--config", path, "--clients", "30"}, &s) == "");
    CHECK(s.clients == 30);
    CHECK(s.rooms == 3);
    {
        std::ofstream f(path);
        f << "clients = 300\nspeed = 3\n";
    }
    CHECK(parse({"http://127.0.0.1:1", "--config", path}) ==
          std::string("--config ") + path + ": unknown option 'speed' (see chat-load run --help)");
    std::remove(path);
}

TEST_CASE("Scenario: the committed example scenarios parse", "[scenario][config]") {
    for (const char* name : {"smoke", "10k-clients-100-rooms", "fanout-10x100", "slow-readers",
                             "churn", "rest", "churn-soak", "ramp", "server-bound"}) {
        const std::string path = std::string(CHAT_LOADGEN_SCENARIOS) + "/" + name + ".ini";
        INFO(path);
        CHECK(parse({"http://127.0.0.1:1", "--config", path}) == "");
    }
}

TEST_CASE("Plan: clients, rooms, senders and slow readers add up", "[scenario][plan]") {
    scenario s;
    REQUIRE(parse({"http://x:1", "--clients", "1000", "--rooms", "10", "--senders-per-room", "2",
                   "--slow-readers", "0.1", "--distribution", "zipf"},
                  &s) == "");
    const auto sizes = room_sizes(s);
    long total = 0;
    for (auto n : sizes) {
        CHECK(n >= 1);
        total += n;
    }
    CHECK(total == 1000);
    CHECK(sizes.front() > sizes.back()); // skewed
    const auto p = make_plan(s, "tag");
    CHECK(p.clients.size() == 1000);
    CHECK(p.senders == 20);
    CHECK(p.slow == 100);
    for (const auto& c : p.clients)
        CHECK_FALSE((c.sender && c.slow));
}

TEST_CASE("Plan: workers split by rooms and together cover the scenario once", "[scenario][plan]") {
    scenario s;
    REQUIRE(parse({"http://x:1", "--clients", "1001", "--rooms", "7", "--slow-readers", "0.05",
                   "--churn", "10"},
                  &s) == "");
    std::set<long> seen;
    long slow = 0, rooms = 0;
    for (long w = 0; w < 3; ++w) {
        s.worker_index = w;
        s.worker_count = 3;
        const auto p = make_plan(s, "tag");
        rooms += static_cast<long>(p.rooms.size());
        slow += p.slow;
        for (const auto& c : p.clients)
            CHECK(seen.insert(c.global_index).second);
        for (const auto& r : p.rooms)
            CHECK(r.index % 3 == w);
    }
    CHECK(seen.size() == 1001);
    CHECK(rooms == 7);
    CHECK(slow == 50);
}

TEST_CASE("Plan: the churn pool and its cycles split over workers exactly", "[scenario][plan]") {
    long pool = 0, cycles = 0;
    for (int w = 0; w < 3; ++w) {
        scenario s;
        REQUIRE(parse({"http://127.0.0.1:1", "--clients", "30", "--rooms", "3", "--churn-pool",
                       "10", "--churn-cycles", "1000", "--worker", std::to_string(w) + "/3"},
                      &s) == "");
        const auto p = make_plan(s, "abcd0123");
        pool += p.churners;
        cycles += p.churn_cycles;
    }
    CHECK(pool == 10);
    CHECK(cycles == 1000);
}

TEST_CASE("Scenario: ':abort' on a threshold and --abort-on-fail with --abort-delay",
          "[scenario]") {
    const auto t = parse_threshold("p99<50ms:abort");
    CHECK(t.abort);
    CHECK(t.abort_delay_us == 0);
    CHECK(t.limit == 50000);
    const auto d = parse_threshold("errors == 0 :abort=10s");
    CHECK(d.abort);
    CHECK(d.abort_delay_us == 10'000'000);
    CHECK_FALSE(parse_threshold("p99<50ms").abort);
    CHECK_THROWS_WITH(parse_threshold("p99<50ms:stop"), Catch::Contains("unknown suffix ':stop'"));
    CHECK_THROWS_WITH(parse_threshold("p99<50ms:abort=soon"), Catch::Contains("not a duration"));
    scenario s;
    s.urls = {"http://127.0.0.1:1"};
    s.rooms = 1;
    s.thresholds = {"p99<50ms", "errors==0:abort"};
    s.abort_on_fail = true;
    s.abort_delay = "2s";
    validate(s);
    REQUIRE(s.parsed_thresholds.size() == 2);
    CHECK(s.parsed_thresholds[0].abort);
    CHECK(s.parsed_thresholds[0].abort_delay_us == 2'000'000);
    CHECK(s.parsed_thresholds[1].abort_delay_us == 0); // its own suffix wins
}

TEST_CASE("Scenario: --stage from flags and from a config file", "[scenario][stage]") {
    scenario s;
    REQUIRE(parse({"http://127.0.0.1:1", "--rooms", "1", "--stage", "30s,rate=50", "--stage", "1m",
                   "--stage", "500ms,rate=5"},
                  &s) == "");
    REQUIRE(s.stages.size() == 3);
    CHECK(s.stages[0].rate == 50);
    CHECK_FALSE(s.stages[1].rate);
    CHECK(s.duration_ms == 90'500); // the stages' total replaces --duration
    CHECK_THAT(parse({"http://127.0.0.1:1", "--rooms", "1", "--stage", "10s,clients=-5"}),
               Catch::Contains("--stage '10s,clients=-5': clients must be a whole number from 0"));
    CHECK_THAT(parse({"http://127.0.0.1:1", "--rooms", "1", "--stage", "10s,clients=2.5"}),
               Catch::Contains("(got 2.5)"));
    CHECK_THAT(parse({"http://127.0.0.1:1", "--rooms", "1", "--stage", "10s,clients=many"}),
               Catch::Contains("'clients=many' is not rate=NUMBER or clients=NUMBER"));
    CHECK_THAT(parse({"http://127.0.0.1:1", "--rooms", "1", "--stage", "1s,clients=5,clients=6"}),
               Catch::Contains("is given twice"));
    CHECK_THAT(parse({"http://127.0.0.1:1", "--rooms", "1", "--clients", "0"}),
               Catch::Contains("--clients must be > 0 (0 only as the start of a --stage"));
    CHECK_THAT(
        parse({"http://127.0.0.1:1", "--rooms", "4", "--clients", "0", "--stage", "1s,clients=3"}),
        Catch::Contains("--rooms must be <= the peak of the --stage client ramp"));
    CHECK_THAT(parse({"http://127.0.0.1:1", "--rooms", "1", "--stage", "fast"}),
               Catch::Contains("--stage 'fast'"));

    const char* path = "loadgen_test_stages.ini";
    {
        std::ofstream f(path);
        f << "rooms = 1\nrate = 2\nclients = 0\n"
             "stage = [\"2s,rate=20,clients=30\", \"3s,clients=10\"]\n";
    }
    scenario c;
    const auto err = parse({"http://127.0.0.1:1", "--config", path}, &c);
    std::remove(path);
    REQUIRE(err == "");
    REQUIRE(c.stages.size() == 2);
    CHECK(c.stages[0].rate == 20);
    CHECK(c.stages[0].clients == 30);
    CHECK(c.stages[1].clients == 10);
    CHECK(c.duration_ms == 5000);
    CHECK(c.clients == 0);       // where the ramp starts
    CHECK(c.plan_clients == 30); // the plan holds the peak
}

// The client ramp: receivers join as the target rises past them and leave as it falls;
// senders stay connected throughout.
TEST_CASE("Plan: a --stage client ramp joins and leaves receivers in order", "[scenario][stage]") {
    scenario s;
    REQUIRE(parse({"http://127.0.0.1:1", "--rooms", "2", "--senders-per-room", "1", "--clients",
                   "0", "--warm-up", "1s", "--stage", "2s,clients=10", "--stage", "1s", "--stage",
                   "2s,clients=6"},
                  &s) == "");
    const auto p = make_plan(s, "tag");
    REQUIRE(p.clients.size() == 10);
    CHECK(p.starting == 2); // the two senders
    for (const auto& c : p.clients)
        CHECK(c.starts_away == !c.sender);
    long joins = 0, leaves = 0;
    std::int64_t last = 0;
    for (const auto& e : p.churn) {
        CHECK(e.at_us >= last); // in order of time
        last = e.at_us;
        CHECK_FALSE(p.clients[e.client].sender);
        joins += e.what == membership_change::join;
        leaves += e.what == membership_change::leave;
    }
    CHECK(joins == 8);  // 2 -> 10 over the first stage, after the 1 s warm-up
    CHECK(leaves == 4); // 10 -> 6 over the third
    CHECK(p.churn.front().at_us > 1'000'000);
    CHECK(p.churn.front().at_us < 1'000'000 + 2'000'000 * 3 / 10 + 1);
    CHECK(p.churn.back().at_us <= 1'000'000 + 5'000'000);
    // Both rooms grow: receivers are taken round-robin over the rooms.
    CHECK(p.clients[p.churn[0].client].room != p.clients[p.churn[1].client].room);
    // Two workers (one room each) split the same ramp between them, at the same times.
    std::multiset<std::int64_t> whole, split;
    for (const auto& e : p.churn)
        whole.insert(e.at_us);
    for (long w = 0; w < 2; ++w) {
        s.worker_index = w;
        s.worker_count = 2;
        for (const auto& e : make_plan(s, "tag").churn)
            split.insert(e.at_us);
    }
    CHECK(split == whole);
}
