// Tests of chat/platform.hpp: on Linux every call answers; elsewhere each says it is unsupported.
#include "chat/platform.hpp"

#include <catch2/catch.hpp>

#include <fstream> // ifstream, to hold a descriptor open
#include <vector>  // vector

using namespace chat::platform;

#if defined(__linux__)
TEST_CASE("platform: resident memory grows when memory is touched", "[platform]") {
    auto before = resident_memory_bytes();
    REQUIRE(before);
    CHECK(*before.value > 1024 * 1024);
    std::vector<char> block(64 * 1024 * 1024, 1);
    auto after = resident_memory_bytes();
    REQUIRE(after);
    CHECK(*after.value >= *before.value + 32 * 1024 * 1024);
    CHECK(block[12345] == 1);
}

TEST_CASE("platform: open files are counted and limits read", "[platform]") {
    auto n0 = open_file_count();
    REQUIRE(n0);
    std::ifstream extra("/proc/self/status");
    auto n1 = open_file_count();
    REQUIRE(n1);
    CHECK(*n1.value == *n0.value + 1);

    auto lim = raise_open_file_limit();
    REQUIRE(lim);
    CHECK(lim.value->soft == lim.value->hard);
    auto range = ephemeral_port_range();
    REQUIRE(range);
    CHECK(range.value->size() > 1000);
}
#else
TEST_CASE("platform: unsupported calls say so", "[platform]") {
    auto r = resident_memory_bytes();
    CHECK_FALSE(r);
    CHECK(r.error == "not supported on this platform");
}
#endif
