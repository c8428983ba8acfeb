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
