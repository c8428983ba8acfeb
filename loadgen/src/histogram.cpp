// Log-linear bucket geometry as in HdrHistogram (sub-bucket count 2048 for 3 digits).
#include "histogram.hpp"

#include <nlohmann/json.hpp>

#include <algorithm> // min, max
#include <bit>       // countl_zero
#include <cmath>     // ceil
#include <stdexcept> // invalid_argument
#include <string>    // to_string

namespace chat::load {
namespace {

constexpr int sub_bucket_half_magnitude = 10; // 2^10 = 1024
constexpr std::int64_t sub_bucket_half = 1 << sub_bucket_half_magnitude;
constexpr std::int64_t sub_bucket_count = 2 * sub_bucket_half; // 2048: 3 significant digits
constexpr std::uint64_t sub_bucket_mask = sub_bucket_count - 1;

constexpr std::size_t compute_length() {
    std::int64_t smallest_untrackable = sub_bucket_count;
    std::size_t buckets = 1;
    while (smallest_untrackable <= histogram::highest) {
        smallest_untrackable <<= 1;
        ++buckets;
    }
    return (buckets + 1) << sub_bucket_half_magnitude;
}
constexpr std::size_t length = compute_length();

} // namespace

histogram::histogram() : counts_(length, 0) {}

histogram::histogram(const sparse_histogram& s) : histogram() {
    for (const auto& [index, n] : s.buckets)
        counts_[std::min(index, length - 1)] += n;
    total_ = s.count;
    clamped_ = s.clamped;
    sum_ = s.sum;
    if (total_ != 0) {
        min_ = s.min;
        max_ = s.max;
    }
}

sparse_histogram histogram::sparse() const {
    sparse_histogram s;
    s.count = total_;
    s.clamped = clamped_;
    s.sum = sum_;
    s.min = min();
    s.max = max();
    for (std::size_t i = 0; i < length; ++i)
        if (counts_[i] != 0)
            s.buckets.emplace_back(i, counts_[i]);
    return s;
}

void sparse_histogram::merge(const sparse_histogram& other) {
    if (other.count == 0)
        return;
    // Both bucket lists are ascending: one merge pass.
    std::vector<std::pair<std::size_t, std::uint64_t>> out;
    out.reserve(buckets.size() + other.buckets.size());
    auto a = buckets.begin();
    auto b = other.buckets.begin();
    while (a != buckets.end() || b != other.buckets.end()) {
        if (b == other.buckets.end() || (a != buckets.end() && a->first < b->first))
            out.push_back(*a++);
        else if (a == buckets.end() || b->first < a->first)
            out.push_back(*b++);
        else {
            out.emplace_back(a->first, a->second + b->second);
            ++a;
            ++b;
        }
    }
    buckets = std::move(out);
    min = count ? std::min(min, other.min) : other.min;
    max = count ? std::max(max, other.max) : other.max;
    count += other.count;
    clamped += other.clamped;
    sum += other.sum;
}

std::size_t histogram::bucket_count() noexcept {
    return length;
}

std::size_t histogram::index_of(std::int64_t value) noexcept {
    const auto v = static_cast<std::uint64_t>(value);
    const int bucket = 63 - std::countl_zero(v | sub_bucket_mask) - sub_bucket_half_magnitude;
    const auto sub = static_cast<std::int64_t>(v >> bucket);
    return (static_cast<std::size_t>(bucket + 1) << sub_bucket_half_magnitude) +
           static_cast<std::size_t>(sub - sub_bucket_half);
}

std::int64_t histogram::lowest_equivalent(std::size_t index) noexcept {
    int bucket = static_cast<int>(index >> sub_bucket_half_magnitude) - 1;
    auto sub = static_cast<std::int64_t>(index & (sub_bucket_half - 1)) + sub_bucket_half;
    if (bucket < 0) {
        sub -= sub_bucket_half;
        bucket = 0;
    }
    return sub << bucket;
}

std::int64_t histogram::highest_equivalent(std::size_t index) noexcept {
    int bucket = static_cast<int>(index >> sub_bucket_half_magnitude) - 1;
    if (bucket < 0)
        bucket = 0;
    return lowest_equivalent(index) + (std::int64_t{1} << bucket) - 1;
}

void histogram::record(std::int64_t value, std::uint64_t count) noexcept {
    if (count == 0)
        return;
    if (value < lowest)
        value = lowest;
    if (value > highest) {
        value = highest;
        clamped_ += count;
    }
    counts_[index_of(value)] += count;
    total_ += count;
    sum_ += static_cast<std::uint64_t>(value) * count;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
}

void histogram::merge(const histogram& other) noexcept {
    if (other.total_ == 0)
        return;
    for (std::size_t i = 0; i < length; ++i)
        counts_[i] += other.counts_[i];
    total_ += other.total_;
    clamped_ += other.clamped_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
}

void histogram::reset() noexcept {
    std::fill(counts_.begin(), counts_.end(), 0);
    total_ = clamped_ = sum_ = 0;
    min_ = highest;
    max_ = 0;
}

double histogram::mean() const noexcept {
    return total_ ? static_cast<double>(sum_) / static_cast<double>(total_) : 0.0;
}

std::int64_t histogram::percentile(double p) const noexcept {
    if (total_ == 0)
        return 0;
    p = std::clamp(p, 0.0, 100.0);
    // Nearest rank; the small epsilon keeps 99.9% of 1000 at rank 999, not 1000.
    auto rank =
        static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_) - 1e-9));
    rank = std::clamp<std::uint64_t>(rank, 1, total_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < length; ++i) {
        seen += counts_[i];
        if (seen >= rank)
            return std::clamp(highest_equivalent(i), min_, max_);
    }
    return max_;
}

nlohmann::json histogram::to_json() const {
    auto buckets = nlohmann::json::array();
    for (const auto& [index, n] : sparse().buckets)
        buckets.push_back({index, n});
    return {{"v", 1},          {"unit", "us"},        {"digits", significant_digits},
            {"count", total_}, {"min", min()},        {"max", max()},
            {"sum", sum_},     {"clamped", clamped_}, {"buckets", std::move(buckets)}};
}

histogram histogram::from_json(const nlohmann::json& j) {
    auto bad = [](const std::string& why) {
        return std::invalid_argument("histogram JSON: " + why);
    };
    if (!j.is_object())
        throw bad("not an object");
    if (j.value("v", 0) != 1 || j.value("digits", 0) != significant_digits ||
        j.value("unit", std::string{}) != "us")
        throw bad("unsupported version, unit or digits (want v=1, unit=us, digits=3)");
    histogram h;
    const auto& buckets = j.at("buckets");
    if (!buckets.is_array())
        throw bad("\"buckets\" is not an array");
    for (const auto& b : buckets) {
        if (!b.is_array() || b.size() != 2 || !b[0].is_number_integer() ||
            !b[1].is_number_integer() || b[0].get<std::int64_t>() < 0 ||
            b[1].get<std::int64_t>() < 0)
            throw bad("bucket entry " + b.dump() + " is not [index, count]");
        const auto index = b[0].get<std::size_t>();
        if (index >= length)
            throw bad("bucket index " + std::to_string(index) + " out of range");
        h.counts_[index] += b[1].get<std::uint64_t>();
        h.total_ += b[1].get<std::uint64_t>();
    }
    if (h.total_ != j.at("count").get<std::uint64_t>())
        throw bad("bucket counts add to " + std::to_string(h.total_) + ", \"count\" says " +
                  j.at("count").dump());
    h.sum_ = j.at("sum").get<std::uint64_t>();
    h.clamped_ = j.value("clamped", std::uint64_t{0});
    if (h.total_ != 0) {
        h.min_ = j.at("min").get<std::int64_t>();
        h.max_ = j.at("max").get<std::int64_t>();
    }
    return h;
}

} // namespace chat::load
