// Room sizes, sender and slow-reader choice, the churn schedule and the --stage client ramp.
#include "plan.hpp"

#include <algorithm> // sort, stable_sort, min, max
#include <cmath>     // pow, log, llround
#include <cstdio>    // snprintf
#include <numeric>   // iota

namespace chat::load {

std::vector<long> room_sizes(const scenario& s) {
    std::vector<long> sizes(static_cast<std::size_t>(s.rooms), 0);
    if (!s.zipf) {
        for (long k = 0; k < s.rooms; ++k)
            sizes[static_cast<std::size_t>(k)] =
                s.plan_clients / s.rooms + (k < s.plan_clients % s.rooms);
        return sizes;
    }
    // Every room gets one client; the rest are shared out by largest remainder on 1/(k+1)^s.
    std::vector<double> w(sizes.size());
    double total = 0;
    for (std::size_t k = 0; k < w.size(); ++k)
        total += w[k] = 1.0 / std::pow(static_cast<double>(k + 1), s.zipf_exponent);
    const long rest = s.plan_clients - s.rooms;
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

namespace {

// The receivers a --stage client ramp moves (neither senders nor slow readers), as global
// indices in ramp order: round-robin over the rooms, so every room grows and shrinks evenly.
std::vector<long> ramp_receivers(const std::vector<long>& sizes, const std::vector<long>& first,
                                 long senders_per_room, const std::vector<bool>& slow) {
    std::vector<std::vector<long>> by_room(sizes.size());
    std::size_t longest = 0;
    for (std::size_t k = 0; k < sizes.size(); ++k) {
        for (long c = std::min(senders_per_room, sizes[k]); c < sizes[k]; ++c)
            if (!slow[static_cast<std::size_t>(first[k] + c)])
                by_room[k].push_back(first[k] + c);
        longest = std::max(longest, by_room[k].size());
    }
    std::vector<long> order;
    for (std::size_t j = 0; j < longest; ++j)
        for (const auto& room : by_room)
            if (j < room.size())
                order.push_back(room[j]);
    return order;
}

// The client ramp of --stage clients=N on this worker's clients: who starts away, and the
// joins and planned leaves as churn events (after warm-up). `local`: global index -> index
// into p.clients, -1 for another worker's client.
void plan_client_ramp(const scenario& s, const std::vector<long>& order,
                      const std::vector<long>& local, plan& p) {
    const long always = s.plan_clients - static_cast<long>(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        const auto at = local[static_cast<std::size_t>(order[i])];
        if (at >= 0 && s.clients <= always + static_cast<long>(i))
            p.clients[static_cast<std::size_t>(at)].starts_away = true;
    }
    const auto crossings =
        ramp_crossings(s.stages, s.clients, always, static_cast<long>(order.size()));
    for (const auto& x : crossings) {
        const auto at =
            local[static_cast<std::size_t>(order[static_cast<std::size_t>(x.receiver)])];
        if (at >= 0)
            p.churn.push_back({s.warm_up_ms * 1000 + x.at.count(), static_cast<std::uint32_t>(at),
                               x.join ? membership_change::join : membership_change::leave});
    }
}

} // namespace

plan make_plan(const scenario& s, const std::string& run_tag) {
    plan p;
    p.room_prefix = s.room_prefix.empty() ? "load-" + run_tag : s.room_prefix;
    p.total_clients = s.plan_clients;
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
        static_cast<long>(std::llround(s.slow_readers * static_cast<double>(s.plan_clients))),
        static_cast<long>(non_senders.size()));
    std::vector<bool> slow(static_cast<std::size_t>(s.plan_clients), false);
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

    if (ramps_clients(s.stages)) {
        std::vector<long> local(static_cast<std::size_t>(s.plan_clients), -1);
        for (std::size_t i = 0; i < p.clients.size(); ++i)
            local[static_cast<std::size_t>(p.clients[i].global_index)] = static_cast<long>(i);
        plan_client_ramp(s, ramp_receivers(sizes, first, s.senders_per_room, slow), local, p);
    }
    for (const auto& c : p.clients)
        p.starting += c.starts_away ? 0 : 1;
    // Churn: this worker's share of the rate, among its clients that neither send nor read
    // slowly (a churning sender would make its own expected deliveries ill-defined).
    std::vector<std::uint32_t> eligible;
    for (std::uint32_t i = 0; i < p.clients.size(); ++i)
        if (!p.clients[i].sender && !p.clients[i].slow)
            eligible.push_back(i);
    if (s.churn > 0 && !eligible.empty()) {
        const double rate =
            s.churn * static_cast<double>(p.clients.size()) / static_cast<double>(s.plan_clients);
        const auto span_us = (s.warm_up_ms + s.duration_ms) * 1000;
        rng r(s.seed ^ (0xC4u + static_cast<std::uint64_t>(s.worker_index) * 7919));
        if (rate > 0)
            for (double t = 1e6 / rate / 2; t < static_cast<double>(span_us); t += 1e6 / rate)
                p.churn.push_back(
                    {static_cast<std::int64_t>(t), eligible[r.below(eligible.size())]});
    }
    std::stable_sort(p.churn.begin(), p.churn.end(),
                     [](const churn_event& a, const churn_event& b) { return a.at_us < b.at_us; });
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
