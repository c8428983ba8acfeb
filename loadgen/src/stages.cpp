// Stage parsing and the linear ramp between stage targets.
#include "stages.hpp"

#include "chat/cli.hpp"

#include <algorithm> // max, min, stable_sort
#include <cmath>     // ceil, floor, llround
#include <cstddef>   // ptrdiff_t
#include <cstdint>   // int64_t
#include <stdexcept> // invalid_argument

namespace chat::load {
namespace {

// The crossings of one linear segment of the client target, from `c0` to `c1` over
// [begin, begin + length): receiver i crosses where the target passes always + i.
void segment_crossings(double c0, double c1, std::chrono::microseconds begin,
                       std::chrono::microseconds length, long always, long receivers,
                       std::vector<ramp_crossing>& out) {
    if (c0 == c1)
        return;
    const bool up = c1 > c0;
    const double low = std::min(c0, c1) - static_cast<double>(always);
    const double high = std::max(c0, c1) - static_cast<double>(always);
    const auto first = static_cast<long>(std::max(0.0, std::ceil(low)));
    const auto last = std::min(receivers, static_cast<long>(std::ceil(high))); // exclusive
    for (long i = first; i < last; ++i) {
        const double y = static_cast<double>(always + i);
        const double f = up ? (y - c0) / (c1 - c0) : (c0 - y) / (c0 - c1);
        const auto at = begin + std::chrono::microseconds(static_cast<std::int64_t>(
                                    f * static_cast<double>(length.count())));
        out.push_back({at, i, up});
    }
}

} // namespace

stage parse_stage(std::string_view text) {
    const auto fail = [&](const std::string& why) {
        return std::invalid_argument("--stage '" + std::string(text) + "': " + why +
                                     " (expected DURATION[,rate=R][,clients=N], e.g. "
                                     "'30s,rate=50,clients=2000')");
    };
    std::vector<std::string> parts;
    std::string current;
    for (char c : text) {
        if (c == ',') {
            parts.push_back(current);
            current.clear();
        } else if (c != ' ') {
            current += c;
        }
    }
    parts.push_back(current);
    stage s;
    try {
        s.duration = chat::cli::parse_duration(parts[0]);
    } catch (const std::invalid_argument& e) {
        throw fail(e.what());
    }
    if (s.duration.count() <= 0)
        throw fail("the duration must be > 0");
    for (std::size_t i = 1; i < parts.size(); ++i) {
        const auto eq = parts[i].find('=');
        const auto key = parts[i].substr(0, eq);
        const auto value = eq == std::string::npos ? std::string() : parts[i].substr(eq + 1);
        const auto number = chat::cli::parse_number(value);
        if (eq == std::string::npos || !number)
            throw fail("'" + parts[i] + "' is not rate=NUMBER or clients=NUMBER");
        const double v = *number;
        if (key == "rate" && !s.rate) {
            if (!(v > 0 && v <= 100000))
                throw fail("rate must be > 0 and <= 100000 per sender (got " + value + ")");
            s.rate = v;
        } else if (key == "clients" && !s.clients) {
            if (!(v >= 0 && v == std::floor(v) && v <= 1e7))
                throw fail("clients must be a whole number from 0 to 10000000 (got " + value + ")");
            s.clients = static_cast<long>(v);
        } else {
            throw fail("'" + key + "' is not rate or clients, or is given twice");
        }
    }
    return s;
}

stage_point stage_at(const std::vector<stage>& stages, double rate, long clients,
                     std::chrono::microseconds t) {
    stage_point p{rate, clients, 0};
    std::chrono::microseconds begin{0};
    for (; p.index < stages.size(); ++p.index) {
        const auto& s = stages[p.index];
        const double to_rate = s.rate.value_or(p.rate);
        const long to_clients = s.clients.value_or(p.clients);
        if (t < begin + s.duration) {
            const double f =
                static_cast<double>((t - begin).count()) / static_cast<double>(s.duration.count());
            p.rate += (to_rate - p.rate) * std::max(0.0, f);
            p.clients +=
                std::llround(static_cast<double>(to_clients - p.clients) * std::max(0.0, f));
            return p;
        }
        p.rate = to_rate;
        p.clients = to_clients;
        begin += s.duration;
    }
    return p;
}

std::chrono::microseconds total_duration(const std::vector<stage>& stages) {
    std::chrono::microseconds sum{0};
    for (const auto& s : stages)
        sum += s.duration;
    return sum;
}

stage_point peak(const std::vector<stage>& stages, double rate, long clients) {
    stage_point top{rate, clients, 0};
    for (const auto& s : stages) {
        rate = s.rate.value_or(rate);
        clients = s.clients.value_or(clients);
        top.rate = std::max(top.rate, rate);
        top.clients = std::max(top.clients, clients);
    }
    top.index = stages.size();
    return top;
}

bool ramps_clients(const std::vector<stage>& stages) {
    return std::any_of(stages.begin(), stages.end(), [](const stage& s) { return s.clients; });
}

std::vector<ramp_crossing> ramp_crossings(const std::vector<stage>& stages, long clients,
                                          long always, long receivers) {
    std::vector<ramp_crossing> out;
    std::chrono::microseconds begin{0};
    auto from = static_cast<double>(clients);
    for (const auto& s : stages) {
        const auto to = static_cast<double>(s.clients.value_or(static_cast<long>(from)));
        const auto before = out.size();
        segment_crossings(from, to, begin, s.duration, always, receivers, out);
        // Within a ramp down the highest receivers leave first: order each segment by time.
        std::stable_sort(
            out.begin() + static_cast<std::ptrdiff_t>(before), out.end(),
            [](const ramp_crossing& a, const ramp_crossing& b) { return a.at < b.at; });
        from = to;
        begin += s.duration;
    }
    return out;
}

} // namespace chat::load
