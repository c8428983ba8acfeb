// Number formatting for summaries, reports and error messages.
#include "figures.hpp"

#include <cstdio> // snprintf

namespace chat::load {

std::string with_commas(std::uint64_t v) {
    const auto digits = std::to_string(v);
    std::string s;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            s.push_back(',');
        s.push_back(digits[i]);
    }
    return s;
}

std::string ms(double us) {
    char b[32];
    if (us >= 1e6)
        std::snprintf(b, sizeof b, "%.3f s", us / 1e6);
    else if (us >= 1e3)
        std::snprintf(b, sizeof b, "%.2f ms", us / 1e3);
    else
        std::snprintf(b, sizeof b, "%.0f us", us);
    return b;
}

std::string num(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.10g", v);
    return b;
}

std::string fixed(double v, int decimals) {
    char b[32];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    return b;
}

} // namespace chat::load
