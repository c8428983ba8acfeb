// Unit tests of send_queue.hpp: the bounded per-client queue behind SLOW-1.
#include "send_queue.hpp"

#include <catch2/catch.hpp>

using chat_server::send_queue;

TEST_CASE("Send queue: accepts up to its limit, then refuses", "[send_queue]") {
    send_queue<int> q(256);
    for (int i = 0; i < 256; ++i)
        REQUIRE(q.try_push(i));
    CHECK(q.full());
    CHECK_FALSE(q.try_push(256));
    CHECK(q.size() == 256);
}

TEST_CASE("Send queue: first in, first out across growth and wrap", "[send_queue]") {
    send_queue<int> q(10);
    int next_in = 0;
    int next_out = 0;
    for (int round = 0; round < 50; ++round) {
        while (q.try_push(next_in))
            ++next_in;
        for (int k = 0; k < 3; ++k) {
            REQUIRE(q.front() == next_out);
            q.pop();
            ++next_out;
        }
    }
    while (!q.empty()) {
        REQUIRE(q.front() == next_out++);
        q.pop();
    }
    CHECK(next_out == next_in);
}

TEST_CASE("Send queue: a pop makes room for exactly one more", "[send_queue]") {
    send_queue<int> q(2);
    REQUIRE(q.try_push(1));
    REQUIRE(q.try_push(2));
    REQUIRE_FALSE(q.try_push(3));
    q.pop();
    CHECK(q.try_push(3));
    CHECK_FALSE(q.try_push(4));
}

TEST_CASE("Send queue: push ignores the limit (history replay)", "[send_queue]") {
    send_queue<int> q(2);
    for (int i = 0; i < 5; ++i)
        q.push(i);
    CHECK(q.size() == 5);
    CHECK_FALSE(q.try_push(5));
    CHECK(q.front() == 0);
}

TEST_CASE("Send queue: unbounded never refuses", "[send_queue]") {
    send_queue<int> q(send_queue<int>::unbounded);
    for (int i = 0; i < 10000; ++i)
        REQUIRE(q.try_push(i));
}

TEST_CASE("Send queue: shrink_if_empty only when empty", "[send_queue]") {
    send_queue<int> q(8);
    q.try_push(1);
    q.shrink_if_empty();
    CHECK(q.size() == 1);
    q.pop();
    q.shrink_if_empty();
    CHECK(q.empty());
    CHECK(q.try_push(2));
    CHECK(q.front() == 2);
}

namespace {
// An entry that counts against the bound only when `counted` is set (a message, not a
// control frame).
struct entry {
    int value = 0;
    bool counted = true;
};
} // namespace

template <> struct chat_server::send_queue_traits<entry> {
    static bool counted(const entry& e) noexcept { return e.counted; }
};

TEST_CASE("Send queue: uncounted entries (control frames) do not use up the bound",
          "[send_queue]") {
    send_queue<entry> q(2);
    REQUIRE(q.try_push({1, true}));
    q.push({2, false});
    REQUIRE(q.try_push({3, true}));
    CHECK(q.full());
    CHECK(q.size() == 3);
    CHECK(q.counted() == 2);
    q.pop(2); // 1 and the uncounted 2
    CHECK(q.counted() == 1);
    CHECK(q.front().value == 3);
    CHECK(q.try_push({4, true}));
    CHECK_FALSE(q.try_push({5, true}));
}

TEST_CASE("Send queue: truncate keeps the oldest entries, in order, across wrap", "[send_queue]") {
    send_queue<entry> q(100);
    for (int i = 0; i < 6; ++i)
        q.push({i, i % 2 == 0});
    q.pop(3); // head moves: later pushes wrap around the 8 slots
    for (int i = 6; i < 10; ++i)
        q.push({i, true});
    q.truncate(2);
    CHECK(q.size() == 2);
    CHECK(q.counted() == 1); // 3 is uncounted, 4 counted
    CHECK(q[0].value == 3);
    CHECK(q[1].value == 4);
    q.truncate(0);
    CHECK(q.empty());
    CHECK(q.counted() == 0);
    q.shrink_if_empty();
    CHECK(q.try_push({42, true}));
    CHECK(q.front().value == 42);
}
