// Tests of src/sequence.hpp: numbered contents and sequences in words.
#include "sequence.hpp"

#include <catch2/catch.hpp>

using namespace chat::conformance;

TEST_CASE("Sequence: numbered contents", "[sequence]") {
    CHECK(numbered("h", 17) == "h 17");
    CHECK(number_of("h 17", "h") == 17);
    CHECK(number_of("slow 3 xxxx", "slow") == 3);
    CHECK_FALSE(number_of("h17", "h"));
    CHECK_FALSE(number_of("x 17", "h"));
    CHECK_FALSE(number_of("h 1a", "h"));
    CHECK_FALSE(number_of("h ", "h"));
}

TEST_CASE("Sequence: described as ranges", "[sequence]") {
    CHECK(describe({}) == "no messages");
    CHECK(describe({5}) == "1 message: 5");
    std::vector<long> last100;
    for (long i = 50; i < 150; ++i)
        last100.push_back(i);
    CHECK(describe(last100) == "100 messages: 50..149");
    std::vector<long> reversed(last100.rbegin(), last100.rend());
    CHECK(ranges(reversed) == "149..50");
    CHECK(ranges({0, 1, 2, 4, 5, 9}) == "0..2, 4, 5, 9");
    CHECK(ranges({41, 0, 1, 2, 3, 42}) == "41, 0..3, 42");
}
