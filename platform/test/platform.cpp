// Tests of chat/platform.hpp: on Linux and Windows every call answers with a plausible value;
// elsewhere each says it is unsupported.
#include "chat/platform.hpp"

#include <catch2/catch.hpp>

#if defined(_WIN32)
#include <windows.h> // GetCurrentProcessId
#else
#include <unistd.h> // getpid
#endif

#include <chrono>  // steady_clock
#include <fstream> // ofstream, to hold a descriptor or handle open
#include <vector>  // vector

using namespace chat::platform;

#if defined(__linux__) || defined(_WIN32)
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

TEST_CASE("platform: a process that does not exist has no resident memory", "[platform]") {
    auto r = resident_memory_bytes(0x7ffffff0);
    CHECK_FALSE(r);
    CHECK_FALSE(r.error.empty());
}

TEST_CASE("platform: open files are counted and limits read", "[platform]") {
    auto n0 = open_file_count();
#if defined(_WIN32)
    // Wine 8 counts no handles (GetProcessHandleCount answers 0): then the call must say so.
    if (!n0)
        CHECK(n0.error.find("GetProcessHandleCount") != std::string::npos);
#else
    REQUIRE(n0);
#endif
    std::ofstream extra("platform-test-open-file.txt");
    REQUIRE(extra);
    auto n1 = open_file_count();
    REQUIRE(bool(n1) == bool(n0));
    if (n0) {
        CHECK(*n0.value > 0);
        CHECK(*n1.value == *n0.value + 1);
    }

    auto lim = raise_open_file_limit();
    REQUIRE(lim);
    CHECK(lim.value->soft == lim.value->hard);
    CHECK(lim.value->soft > 1000);
    auto range = ephemeral_port_range();
    REQUIRE(range);
    CHECK(range.value->size() > 1000);
    CHECK(range.value->last <= 65535);
}

TEST_CASE("platform: CPU time grows while this process computes", "[platform]") {
    auto before = cpu_seconds();
    REQUIRE(before);
    volatile unsigned long sink = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto after = cpu_seconds();
    while (after && *after.value < *before.value + 0.1 &&
           std::chrono::steady_clock::now() < deadline) {
        for (int i = 0; i < 100000; ++i)
            sink = sink + static_cast<unsigned long>(i);
        after = cpu_seconds();
    }
    REQUIRE(after);
    CHECK(*after.value >= *before.value + 0.1);
}

TEST_CASE("platform: another process's CPU time, read by its id", "[platform]") {
#if defined(_WIN32)
    const int self = static_cast<int>(::GetCurrentProcessId());
#else
    const int self = static_cast<int>(::getpid());
#endif
    auto own = cpu_seconds();
    auto by_id = cpu_seconds(self);
    REQUIRE(own);
    REQUIRE(by_id);
    // Two clocks of one process: /proc counts in clock ticks (10 ms), getrusage finer.
    CHECK(*by_id.value >= *own.value - 0.05);
    CHECK(*by_id.value <= *own.value + 1.0);
    auto none = cpu_seconds(0x7ffffff0);
    CHECK_FALSE(none);
    CHECK_THAT(none.error, Catch::Contains(std::to_string(0x7ffffff0)));
}

TEST_CASE("platform: the host has a name", "[platform]") {
    auto name = host_name();
    REQUIRE(name);
    CHECK_FALSE(name.value->empty());
}
#else
TEST_CASE("platform: unsupported calls say so", "[platform]") {
    auto r = resident_memory_bytes();
    CHECK_FALSE(r);
    CHECK(r.error == "not supported on this platform");
}
#endif
