// Histogram accuracy against exact percentiles, exact merge, and the JSON round trip.
#include "histogram.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm> // sort
#include <cmath>     // ceil, abs
#include <cstdint>   // int64_t
#include <random>    // mt19937_64
#include <vector>    // vector

using chat::load::histogram;

namespace {

std::int64_t exact_percentile(std::vector<std::int64_t> sorted, double p) {
    auto rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()) - 1e-9));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

} // namespace

TEST_CASE("Histogram: uniform 1..100000 gives the exact percentiles within 0.1%", "[histogram]") {
    histogram h;
    for (std::int64_t v = 1; v <= 100000; ++v)
        h.record(v);
    CHECK(h.count() == 100000);
    CHECK(h.min() == 1);
    CHECK(h.max() == 100000);
    CHECK(h.mean() == Approx(50000.5));
    for (double p : {50.0, 90.0, 99.0, 99.9}) {
        const auto exact = static_cast<double>(p * 1000); // rank p% of 100000 is p*1000
        const auto got = static_cast<double>(h.percentile(p));
        INFO("p" << p << " exact " << exact << " got " << got);
        CHECK(std::abs(got - exact) / exact <= 0.001);
        CHECK(got >= exact); // reported as the top of the bucket, never below
    }
    CHECK(h.percentile(100) == 100000);
    CHECK(h.percentile(0) == 1);
}

TEST_CASE("Histogram: values below 2048 are exact", "[histogram]") {
    histogram h;
    for (std::int64_t v = 1; v < 2048; ++v) {
        CHECK(histogram::lowest_equivalent(histogram::index_of(v)) == v);
        CHECK(histogram::highest_equivalent(histogram::index_of(v)) == v);
    }
    h.record(7);
    h.record(7);
    h.record(1000);
    CHECK(h.percentile(50) == 7);
    CHECK(h.percentile(66) == 7);
    CHECK(h.percentile(67) == 1000);
}

TEST_CASE("Histogram: random latencies match a sorted vector within 0.1%", "[histogram]") {
    std::mt19937_64 gen(42);
    std::lognormal_distribution<double> dist(8.0, 1.5); // a few ms with a long tail
    std::vector<std::int64_t> values;
    histogram h;
    for (int i = 0; i < 200000; ++i) {
        const auto v = std::max<std::int64_t>(1, static_cast<std::int64_t>(dist(gen)));
        values.push_back(v);
        h.record(v);
    }
    std::sort(values.begin(), values.end());
    for (double p : {1.0, 10.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
        const auto exact = static_cast<double>(exact_percentile(values, p));
        const auto got = static_cast<double>(h.percentile(p));
        INFO("p" << p << " exact " << exact << " got " << got);
        CHECK(std::abs(got - exact) / exact <= 0.001);
    }
    CHECK(h.min() == values.front());
    CHECK(h.max() == values.back());
}

TEST_CASE("Histogram: every value lands in a bucket within 0.1% of it", "[histogram]") {
    std::mt19937_64 gen(7);
    for (int i = 0; i < 100000; ++i) {
        const auto v =
            static_cast<std::int64_t>(gen() % static_cast<std::uint64_t>(histogram::highest)) + 1;
        const auto idx = histogram::index_of(v);
        REQUIRE(idx < histogram::bucket_count());
        CHECK(histogram::lowest_equivalent(idx) <= v);
        CHECK(histogram::highest_equivalent(idx) >= v);
        CHECK(static_cast<double>(histogram::highest_equivalent(idx) -
                                  histogram::lowest_equivalent(idx)) /
                  static_cast<double>(v) <
              0.001);
    }
}

TEST_CASE("Histogram: merge equals one histogram of all values", "[histogram][merge]") {
    std::mt19937_64 gen(1);
    histogram all, a, b, c;
    for (int i = 0; i < 30000; ++i) {
        const auto v = static_cast<std::int64_t>(gen() % 5'000'000) + 1;
        all.record(v);
        (i % 3 == 0 ? a : i % 3 == 1 ? b : c).record(v);
    }
    histogram merged;
    merged.merge(a);
    merged.merge(b);
    merged.merge(c);
    CHECK(merged == all);
    for (double p : {50.0, 99.0, 99.9})
        CHECK(merged.percentile(p) == all.percentile(p));
    CHECK(merged.mean() == all.mean());
}

TEST_CASE("Histogram: JSON round trip is exact and compact", "[histogram][json]") {
    histogram h;
    for (std::int64_t v : {1LL, 5LL, 5LL, 1234LL, 99999LL, 3'600'000'000LL, 7'200'000'000LL})
        h.record(v);
    const auto j = h.to_json();
    CHECK(j["buckets"].size() == 5); // only the non-zero buckets (the clamped value shares one)
    CHECK(j["clamped"] == 1);        // 2 hours is beyond the range
    const auto back = histogram::from_json(nlohmann::json::parse(j.dump()));
    CHECK(back == h);
    CHECK(back.percentile(50) == h.percentile(50));
    CHECK(histogram::from_json(histogram{}.to_json()).count() == 0);
}

TEST_CASE("Histogram: malformed JSON is refused with the reason", "[histogram][json]") {
    auto j = histogram{}.to_json();
    j["digits"] = 2;
    CHECK_THROWS_WITH(histogram::from_json(j), Catch::Contains("digits"));
    auto k = histogram{}.to_json();
    k["buckets"] = nlohmann::json::array({nlohmann::json::array({999999999, 1})});
    k["count"] = 1;
    CHECK_THROWS_WITH(histogram::from_json(k), Catch::Contains("out of range"));
}

TEST_CASE("Histogram: the memory is fixed", "[histogram]") {
    // 23 half-bucket rows of 1024 counters: about 188 KB whatever is recorded.
    CHECK(histogram::bucket_count() == 23 * 1024);
}

TEST_CASE("Histogram: the sparse form merges exactly as the full form", "[histogram][merge]") {
    // Overlapping and disjoint buckets on both sides, and an empty side.
    histogram a, b, both;
    for (std::int64_t v = 100; v < 5000; v += 7) {
        a.record(v);
        both.record(v);
    }
    for (std::int64_t v = 3000; v < 90000; v += 11) {
        b.record(v, 2);
        both.record(v, 2);
    }
    auto merged = a.sparse();
    merged.merge(b.sparse());
    merged.merge(histogram().sparse());
    CHECK(histogram(merged) == both);
    CHECK(merged.buckets == both.sparse().buckets);
    chat::load::sparse_histogram empty;
    empty.merge(b.sparse());
    CHECK(histogram(empty) == b);
}
