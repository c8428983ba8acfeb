// Unit tests of history.hpp: the fixed-capacity ring buffer behind HIST-1 and HIST-2.
#include "history.hpp"

#include <catch2/catch.hpp>

#include <string> // string
#include <vector> // vector

using chat_server::history;

namespace {
std::vector<int> range(int first, int last) {
    std::vector<int> v;
    for (int i = first; i <= last; ++i)
        v.push_back(i);
    return v;
}
} // namespace

TEST_CASE("History: starts empty with its capacity", "[history]") {
    history<int> h(3);
    CHECK(h.capacity() == 3);
    CHECK(h.size() == 0);
    CHECK(h.empty());
    CHECK_FALSE(h.full());
    CHECK(h.snapshot().empty());
}

TEST_CASE("History: keeps everything, oldest first, until full", "[history]") {
    history<int> h(5);
    for (int i = 1; i <= 5; ++i)
        h.push(i);
    CHECK(h.full());
    CHECK(h.snapshot() == range(1, 5));
}

TEST_CASE("History: past capacity drops the oldest first (HIST-2)", "[history]") {
    history<int> h(100);
    for (int i = 0; i < 150; ++i)
        h.push(i);
    CHECK(h.size() == 100);
    CHECK(h.snapshot() == range(50, 149));
}

TEST_CASE("History: wraps around many times and stays ordered", "[history]") {
    history<int> h(7);
    for (int n = 1; n <= 40; ++n) {
        h.push(n);
        const int first = n > 7 ? n - 6 : 1;
        REQUIRE(h.snapshot() == range(first, n));
    }
}

TEST_CASE("History: for_each visits oldest first", "[history]") {
    history<std::string> h(2);
    h.push("a");
    h.push("b");
    h.push("c");
    std::string seen;
    h.for_each([&](const std::string& s) { seen += s; });
    CHECK(seen == "bc");
}

TEST_CASE("History: a snapshot is a copy unaffected by later pushes", "[history]") {
    history<int> h(2);
    h.push(1);
    auto before = h.snapshot();
    h.push(2);
    h.push(3);
    CHECK(before == std::vector<int>{1});
    CHECK(h.snapshot() == std::vector<int>{2, 3});
}

TEST_CASE("History: capacity 0 keeps nothing", "[history]") {
    history<int> h(0);
    h.push(1);
    CHECK(h.size() == 0);
    CHECK(h.snapshot().empty());
}

TEST_CASE("History: capacity 1 keeps the newest", "[history]") {
    history<int> h(1);
    h.push(1);
    h.push(2);
    CHECK(h.snapshot() == std::vector<int>{2});
}
