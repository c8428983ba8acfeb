// A fixed-memory log-linear latency histogram in the manner of HdrHistogram: values in
// microseconds from 1 us to about 1 hour, kept to 3 significant digits, merged exactly.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef> // size_t
#include <cstdint> // int64_t, uint64_t
#include <utility> // pair
#include <vector>  // vector

namespace chat::load {

// A histogram's non-zero buckets only: what one second of a timeline keeps (nearly all of a
// full histogram's buckets are zero there). Merges exactly, like the full form.
struct sparse_histogram {
    std::uint64_t count = 0, clamped = 0, sum = 0;
    std::int64_t min = 0, max = 0;                              // exact; 0 when empty
    std::vector<std::pair<std::size_t, std::uint64_t>> buckets; // (index, count), ascending
    void merge(const sparse_histogram& other);
};

class histogram {
public:
    static constexpr std::int64_t lowest = 1;              // 1 us
    static constexpr std::int64_t highest = 3'600'000'000; // 1 hour in us
    static constexpr int significant_digits = 3;

    histogram();
    explicit histogram(const sparse_histogram& s); // the same values, full form

    // Values below 1 are recorded as 1, values above `highest` as `highest` (and counted in
    // `clamped()`, so a report can say the range was exceeded).
    void record(std::int64_t value, std::uint64_t count = 1) noexcept;
    void merge(const histogram& other) noexcept; // exact: bucket counts add
    void reset() noexcept;
    sparse_histogram sparse() const;

    std::uint64_t count() const noexcept { return total_; }
    std::uint64_t clamped() const noexcept { return clamped_; }
    std::int64_t min() const noexcept { return total_ ? min_ : 0; } // exact; 0 when empty
    std::int64_t max() const noexcept { return total_ ? max_ : 0; } // exact; 0 when empty
    double mean() const noexcept; // exact: from the recorded values, not the buckets
    // The value at percentile p (0..100): the highest value equivalent to the bucket holding
    // the ceil(p/100 * count)-th smallest recorded value (nearest rank, as HdrHistogram
    // reports it), kept within the exact [min, max]. Within 0.1% of the exact percentile.
    std::int64_t percentile(double p) const noexcept;

    // Compact form: only non-zero buckets, {"v":1,"unit":"us","digits":3,"count":..,"min":..,
    // "max":..,"sum":..,"clamped":..,"buckets":[[index,count],...]}; from_json accepts what
    // to_json writes and throws std::invalid_argument otherwise.
    nlohmann::json to_json() const;
    static histogram from_json(const nlohmann::json& j);

    friend bool operator==(const histogram& a, const histogram& b) noexcept {
        return a.total_ == b.total_ && a.clamped_ == b.clamped_ && a.sum_ == b.sum_ &&
               a.min() == b.min() && a.max() == b.max() && a.counts_ == b.counts_;
    }

    // Bucket geometry, exposed for tests.
    static std::size_t index_of(std::int64_t value) noexcept;
    static std::int64_t lowest_equivalent(std::size_t index) noexcept;
    static std::int64_t highest_equivalent(std::size_t index) noexcept;
    static std::size_t bucket_count() noexcept;

private:
    std::vector<std::uint64_t> counts_;
    std::uint64_t total_ = 0;
    std::uint64_t clamped_ = 0;
    std::uint64_t sum_ = 0; // of recorded (clamped) values: exact mean, exact merge
    std::int64_t min_ = highest;
    std::int64_t max_ = 0;
};

} // namespace chat::load
