// Room sizes, sender and slow-reader choice, and the churn schedule.
#include "plan.hpp"

#include <algorithm> // sort
#include <cmath>     // pow, log, llround
#include <cstdio>    // snprintf
#include <numeric>   // iota

namespace chat::load {

std::vector<long> room_sizes(const scenario& s) {
    std::vector<long> sizes(static_cast<std::size_t>(s.rooms), 0);
    if (!s.zipf) {
        for (long k = 0; k < s.rooms; ++k)
            sizes[static_cast<std::size_t>(k)] = s.clients / s.rooms + (k < s.clients % s.rooms);
        return sizes;
    }
    // Every room gets one client; the rest are shared out by largest remainder on 1/(k+1)^s.
    std::vector<double> w(sizes.size());
    double total = 0;
    for (std::size_t k = 0; k < w.size(); ++k)
        total += w[k] = 1.0 / std::pow(static_cast<double>(k + 1), s.zipf_exponent);
    const long rest = s.clients - s.rooms;
    long given = 0;
    std::vector<std::pair<double, std::size_t>> remainders;
    for (std::size_t k = 0; k < w.size(); ++k) {
        const double share = static_cast<double>(rest) * w[k] / total;
        const auto whole = static_cast<long>(share);
        sizes[k] = 1 + whole;
        given += whole;
        remainders.push_back({share - static_cast<double>(whole), k});
    }
    std::sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) {
        return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    for (std::size_t i = 0; given < rest; ++i, ++given)
        ++sizes[remainders[i % remainders.size()].second];
    return sizes;
}

plan make_plan(const scenario& s, const std::string& run_tag) {
    plan p;
    p.room_prefix = s.room_prefix.empty() ? "load-" + run_tag : s.room_prefix;
    p.total_clients = s.clients;
    p.total_rooms = s.rooms;
    const auto sizes = room_sizes(s);

    // Global layout first, so every worker agrees on who is slow.
    std::vector<long> first(sizes.size());
    std::vector<long> non_senders;
    long offset = 0;
    for (std::size_t k = 0; k < sizes.size(); ++k) {
        first[k] = offset;
        const long senders = std::min(s.senders_per_room, sizes[k]);
        for (long c = senders; c < sizes[k]; ++c)
            non_senders.push_back(offset + c);
        offset += sizes[k];
    }
    const auto slow_total = std::min<long>(
        static_cast<long>(std::llround(s.slow_readers * static_cast<double>(s.clients))),
        static_cast<long>(non_senders.size()));
    std::vector<bool> slow(static_cast<std::size_t>(s.clients), false);
    {
        rng r(s.seed ^ 0x51075EEDULL);
        for (long i = 0; i < slow_total; ++i) { // partial Fisher-Yates
            const auto j = static_cast<std::size_t>(i) +
                           r.below(non_senders.size() - static_cast<std::size_t>(i));
            std::swap(non_senders[static_cast<std::size_t>(i)], non_senders[j]);
            slow[static_cast<std::size_t>(non_senders[static_cast<std::size_t>(i)])] = true;
        }
    }

    for (std::size_t k = 0; k < sizes.size(); ++k) {
        if (static_cast<long>(k) % s.worker_count != s.worker_index)
            continue;
        room_plan rp;
        rp.index = static_cast<long>(k);
        char name[32];
        std::snprintf(name, sizeof name, "-%04ld", rp.index);
        rp.name = p.room_prefix + name;
        rp.first_client = first[k];
        rp.clients = sizes[k];
        rp.senders = std::min(s.senders_per_room, sizes[k]);
        const auto room = static_cast<std::uint32_t>(p.rooms.size());
        for (long c = 0; c < rp.clients; ++c) {
            client_plan cp;
            cp.global_index = rp.first_client + c;
            cp.room = room;
            cp.sender = c < rp.senders;
            cp.sender_slot = cp.sender ? static_cast<std::uint32_t>(c) : 0;
            cp.slow = slow[static_cast<std::size_t>(cp.global_index)];
            cp.user = "u" + std::to_string(cp.global_index);
            p.senders += cp.sender;
            p.slow += cp.slow;
            p.clients.push_back(std::move(cp));
        }
        p.rooms.push_back(std::move(rp));
    }

    // Churn: this worker's share of the rate, among its clients that neither send nor read
    // slowly (a churning sender would make its own expected deliveries ill-defined).
    std::vector<std::uint32_t> eligible;
    for (std::uint32_t i = 0; i < p.clients.size(); ++i)
        if (!p.clients[i].sender && !p.clients[i].slow)
            eligible.push_back(i);
    if (s.churn > 0 && !eligible.empty()) {
        const double rate =
            s.churn * static_cast<double>(p.clients.size()) / static_cast<double>(s.clients);
        const auto span_us = (s.warm_up_ms + s.duration_ms) * 1000;
        rng r(s.seed ^ (0xC4u + static_cast<std::uint64_t>(s.worker_index) * 7919));
        if (rate > 0)
            for (double t = 1e6 / rate / 2; t < static_cast<double>(span_us); t += 1e6 / rate)
                p.churn.push_back(
                    {static_cast<std::int64_t>(t), eligible[r.below(eligible.size())]});
    }
    // The churn pool and its cycles are split evenly over the workers.
    auto share = [&](long total) {
        return total / s.worker_count + (s.worker_index < total % s.worker_count ? 1 : 0);
    };
    p.churners = share(s.churn_pool);
    p.churn_cycles = s.churn_cycles > 0 ? std::max(1L, share(s.churn_cycles)) : 0;
    for (long q = 0; q < s.rest_pollers; ++q)
        if (q % s.worker_count == s.worker_index)
            p.pollers.push_back(q);
    return p;
}

} // namespace chat::load
