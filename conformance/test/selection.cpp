// Tests of src/selection.hpp: glob matching and which checks a run includes.
#include "selection.hpp"

#include "catalogue.hpp"

#include <catch2/catch.hpp>

using namespace chat::conformance;

TEST_CASE("Selection: glob matching", "[selection]") {
    CHECK(glob_match("hist.*", "hist.cap-rest"));
    CHECK(glob_match("*", ""));
    CHECK(glob_match("*", "anything"));
    CHECK(glob_match("HIST-?", "HIST-2"));
    CHECK_FALSE(glob_match("HIST-?", "HIST-12"));
    CHECK(glob_match("hist-*", "HIST-12")); // case-insensitive
    CHECK(glob_match("*.cap-*", "hist.cap-replay"));
    CHECK(glob_match("[hm]*", "msg.fields"));
    CHECK_FALSE(glob_match("[!hm]*", "msg.fields"));
    CHECK(glob_match("SLOW-[1-3]", "SLOW-2"));
    CHECK_FALSE(glob_match("SLOW-[1-3]", "SLOW-5"));
    CHECK(glob_match("a*b*c", "a-x-b-y-c"));
    CHECK_FALSE(glob_match("a*b*c", "a-x-b-y"));
    CHECK_FALSE(glob_match("hist", "hist.cap-rest")); // whole-string match
    CHECK(glob_match("[unterminated", "[unterminated"));
    CHECK(glob_match("**", "x"));
}

TEST_CASE("Selection: --only and --exclude over check and clause IDs", "[selection]") {
    const check* cap = nullptr;
    const check* ping = nullptr;
    for (const auto& c : catalogue()) {
        if (c.id == "hist.cap-rest")
            cap = &c;
        if (c.id == "ws.ping")
            ping = &c;
    }
    REQUIRE(cap);
    REQUIRE(ping);
    CHECK(selected(*cap, {}, {}));
    CHECK(selected(*cap, {"HIST-2"}, {}));     // by clause
    CHECK(selected(*cap, {"hist.cap-*"}, {})); // by check ID
    CHECK_FALSE(selected(*ping, {"HIST-*"}, {}));
    CHECK(selected(*ping, {"HIST-*", "WS-1"}, {})); // repeatable: any matches
    CHECK_FALSE(selected(*cap, {}, {"HIST-3"}));    // exclude by any of its clauses
    CHECK_FALSE(selected(*cap, {"hist.*"}, {"*rest"}));
}

TEST_CASE("Selection: patterns that match nothing are reported", "[selection]") {
    auto bad = unmatched_patterns({"hist.*", "HIST-4", "hist.cap-rst", "NOPE-*", "SHUT-1"});
    REQUIRE(bad.size() == 2);
    CHECK(bad[0] == "hist.cap-rst");
    CHECK(bad[1] == "NOPE-*");
}
