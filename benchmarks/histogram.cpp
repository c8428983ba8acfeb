// The load generator's latency histogram: recording one sample (every delivery) and merging
// (every per-second timeline slot and every worker).
#include "histogram.hpp"

#include <benchmark/benchmark.h>

#include <cstdint> // int64_t
#include <random>  // mt19937_64, lognormal_distribution
#include <vector>  // vector

namespace {

std::vector<std::int64_t> latencies() {
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> d(7.0, 1.0); // around 1 ms, long tail
    std::vector<std::int64_t> v(4096);
    for (auto& x : v)
        x = static_cast<std::int64_t>(d(rng));
    return v;
}

void histogram_record(benchmark::State& state) {
    chat::load::histogram h;
    const auto values = latencies();
    std::size_t i = 0;
    for (auto _ : state) {
        h.record(values[i++ & 4095]);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(histogram_record);

void histogram_merge(benchmark::State& state) {
    chat::load::histogram a;
    chat::load::histogram b;
    for (auto v : latencies())
        b.record(v);
    for (auto _ : state) {
        a.merge(b);
        benchmark::ClobberMemory();
    }
}
BENCHMARK(histogram_merge);

void histogram_percentile(benchmark::State& state) {
    chat::load::histogram h;
    for (auto v : latencies())
        h.record(v);
    for (auto _ : state)
        benchmark::DoNotOptimize(h.percentile(99.0));
}
BENCHMARK(histogram_percentile);

} // namespace
