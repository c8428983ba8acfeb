// The shared command-line language: durations, report options and the one error path, parsed
// from real argv vectors as the programs receive them.
#include "chat/cli.hpp"

#include <catch2/catch.hpp>

#include <sstream> // ostringstream

using namespace std::chrono_literals;
using chat::cli::parse_duration;

namespace {

// Runs run_main over `args` (argv[0] added) and returns {exit code, stderr}.
std::pair<int, std::string> run(
    CLI::App& app, std::vector<std::string> args,
    const std::function<int()>& body = [] { return 0; }) {
    args.insert(args.begin(), "tool");
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    std::ostringstream err;
    auto* old = std::cerr.rdbuf(err.rdbuf());
    const int code =
        chat::cli::run_main(app, static_cast<int>(argv.size()), argv.data(), "tool", body, 3);
    std::cerr.rdbuf(old);
    return {code, err.str()};
}

} // namespace

TEST_CASE("Durations: units, bare seconds, rounding", "[cli]") {
    CHECK(parse_duration("30s") == 30s);
    CHECK(parse_duration("500ms") == 500ms);
    CHECK(parse_duration("1.5m") == 90s);
    CHECK(parse_duration("2min") == 2min);
    CHECK(parse_duration("1h") == 1h);
    CHECK(parse_duration("100us") == 100us);
    CHECK(parse_duration("2") == 2s);
    CHECK(parse_duration("0") == 0us);
    CHECK(parse_duration("0.0015ms") == 2us);
}

TEST_CASE("Durations: anything else is refused with the text", "[cli]") {
    for (const char* bad :
         {"", "s", "-1s", "1x", "1 s", "inf", "nan", "0x10s", "1e3s", "1ss", "99999999999h"}) {
        INFO(bad);
        CHECK_THROWS_WITH(parse_duration(bad), Catch::Contains(std::string("'") + bad + "'") &&
                                                   Catch::Contains("not a duration"));
    }
}

TEST_CASE("Durations: the shortest exact spelling", "[cli]") {
    CHECK(chat::cli::format_duration(0us) == "0");
    CHECK(chat::cli::format_duration(1s) == "1s");
    CHECK(chat::cli::format_duration(1500ms) == "1500ms");
    CHECK(chat::cli::format_duration(5min) == "5m");
    CHECK(chat::cli::format_duration(250us) == "250us");
}

TEST_CASE("A duration option stores milliseconds and names flag and value when refused", "[cli]") {
    CLI::App app;
    std::chrono::milliseconds settle = 1s;
    chat::cli::add_duration(app, "--settle", settle, "how soon", 0ms, 10min);
    SECTION("default shown in help") {
        CHECK_THAT(app.help(), Catch::Contains("--settle DURATION=1s"));
    }
    SECTION("accepted") {
        CHECK(run(app, {"--settle", "250ms"}).first == 0);
        CHECK(settle == 250ms);
    }
    SECTION("not a duration") {
        auto [code, err] = run(app, {"--settle", "1x"});
        CHECK(code == chat::cli::exit_usage);
        CHECK_THAT(err, Catch::Contains("--settle") && Catch::Contains("'1x'") &&
                            Catch::Contains("tool: error:"));
        CHECK(settle == 1s);
    }
    SECTION("out of range") {
        auto [code, err] = run(app, {"--settle", "11m"});
        CHECK(code == chat::cli::exit_usage);
        CHECK_THAT(err, Catch::Contains("--settle") && Catch::Contains("'11m'") &&
                            Catch::Contains("between 0 and 10m"));
    }
}

TEST_CASE("Report options: one convention for every tool", "[cli]") {
    CLI::App app;
    chat::cli::report_options r;
    chat::cli::add_report_options(app, r, "chat-load");
    SECTION("defaults: ./TOOL-report, every format") {
        REQUIRE(run(app, {}).first == 0);
        CHECK(r.dir == "chat-load-report");
        CHECK(r.name == "chat-load");
        CHECK(r.chosen() == chat::reports::all_formats());
    }
    SECTION("formats comma-separated or repeated, duplicates dropped") {
        REQUIRE(run(app, {"-o", "out", "--format", "md,json", "--format", "md"}).first == 0);
        CHECK(r.dir == "out");
        CHECK(r.chosen() ==
              std::vector{chat::reports::format::markdown, chat::reports::format::json});
    }
    SECTION("--no-report writes nothing") {
        REQUIRE(run(app, {"--no-report"}).first == 0);
        CHECK(r.chosen().empty());
    }
    SECTION("an unknown format names the flag and the value") {
        auto [code, err] = run(app, {"--format", "json,xml"});
        CHECK(code == chat::cli::exit_usage);
        CHECK_THAT(err, Catch::Contains("--format") && Catch::Contains("xml"));
    }
    SECTION("a report name with a slash is refused") {
        auto [code, err] = run(app, {"--report-name", "a/b"});
        CHECK(code == chat::cli::exit_usage);
        CHECK_THAT(err, Catch::Contains("--report-name") && Catch::Contains("'a/b'"));
    }
}

TEST_CASE("One error path: usage errors exit 2, other failures the tool's code", "[cli]") {
    CLI::App app;
    int jobs = 4;
    app.add_option("-j,--jobs", jobs)->check(CLI::Range(1, 64));
    SECTION("a range check names the flag and the value") {
        auto [code, err] = run(app, {"--jobs", "100"});
        CHECK(code == chat::cli::exit_usage);
        CHECK_THAT(err, Catch::Contains("--jobs") && Catch::Contains("100") &&
                            Catch::Contains("(see `tool --help`)"));
    }
    SECTION("a usage_error from the body") {
        auto [code, err] =
            run(app, {}, []() -> int { throw chat::cli::usage_error("--x must be y (got 'z')"); });
        CHECK(code == chat::cli::exit_usage);
        CHECK(err == "tool: error: --x must be y (got 'z')\n");
    }
    SECTION("any other failure") {
        auto [code, err] = run(app, {}, []() -> int { throw std::runtime_error("disk full"); });
        CHECK(code == 3);
        CHECK(err == "tool: error: disk full\n");
    }
    SECTION("the body's exit code") {
        CHECK(run(app, {"-j", "8"}, [&] { return jobs; }).first == 8);
    }
}
