// One clock for the whole run: Unix microseconds that never go backwards (a steady clock
// anchored once to the system clock), so latencies within a process are monotonic and
// timestamps still compare across processes whose clocks are synchronised.
#pragma once

#include <chrono>  // steady_clock, system_clock
#include <cstdint> // int64_t

namespace chat::load {

class run_clock {
public:
    run_clock()
        : steady0_(std::chrono::steady_clock::now()),
          unix0_us_(std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count()) {}

    std::int64_t now_us() const noexcept { return to_us(std::chrono::steady_clock::now()); }
    std::int64_t to_us(std::chrono::steady_clock::time_point t) const noexcept {
        return unix0_us_ +
               std::chrono::duration_cast<std::chrono::microseconds>(t - steady0_).count();
    }
    std::chrono::steady_clock::time_point to_steady(std::int64_t unix_us) const noexcept {
        return steady0_ + std::chrono::microseconds(unix_us - unix0_us_);
    }

private:
    std::chrono::steady_clock::time_point steady0_;
    std::int64_t unix0_us_;
};

} // namespace chat::load
