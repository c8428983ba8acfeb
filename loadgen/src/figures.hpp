// Figures for people: latencies with a unit, counts with thousands separators, plain numbers.
#pragma once

#include <cstdint> // int64_t, uint64_t
#include <string>  // string

namespace chat::load {

// 1234567 -> "1,234,567".
std::string with_commas(std::uint64_t v);

// Microseconds as "812 us", "4.65 ms" or "1.250 s".
std::string ms(double us);
inline std::string ms(std::int64_t us) {
    return ms(static_cast<double>(us));
}

// Up to 10 significant digits, no trailing zeros: "0.95", "50000".
std::string num(double v);

// `decimals` digits after the point: fixed(12.345, 1) == "12.3".
std::string fixed(double v, int decimals);

} // namespace chat::load
