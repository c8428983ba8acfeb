// The per-thread driver: the 10 ms self-watch tick, per-second slots, the connection ramp,
// churn and REST pollers.
#include "event_loop.hpp"

#include "chat/client.hpp"
#include "churner.hpp"
#include "load_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm> // max, upper_bound
#include <cmath>     // ceil, fmod
#include <memory>    // make_shared

namespace chat::load {

namespace {
constexpr std::int64_t tick_us = 10'000;
constexpr long max_rest_in_flight = 32;
} // namespace

event_loop::event_loop(unsigned index, run_context& ctx)
    : index_(index), ctx_(ctx), read_buffer_(new char[read_buffer_size]),
      rng_(ctx.options->seed * 31 + index + 7), endpoints_(ctx.endpoints.size()) {
    for (std::size_t e = 0; e < endpoints_.size(); ++e)
        endpoints_[e].url = ctx.endpoints[e].url;
}

event_loop::~event_loop() = default;

void event_loop::record_delivery(std::int64_t from_intended_us, std::int64_t from_sent_us,
                                 std::size_t receiver, std::size_t sender, bool in_time) noexcept {
    hist_.latency.record(from_intended_us);
    hist_.latency_actual.record(from_sent_us);
    slot_.latency.record(from_intended_us);
    auto& e = endpoints_[receiver];
    e.latency.record(from_intended_us);
    const auto counted = in_time ? 1u : 0u;
    e.delivered += counted;
    if (receiver == sender) {
        e.delivered_same_endpoint += counted;
        hist_.latency_same_endpoint.record(from_intended_us);
    } else {
        e.delivered_cross_endpoint += counted;
        hist_.latency_cross_endpoint.record(from_intended_us);
    }
}

std::int64_t event_loop::planned_leave_after(std::uint32_t client, std::int64_t t) const {
    const auto it = churn_times_.find(client);
    if (it == churn_times_.end())
        return never;
    const auto next = std::upper_bound(it->second.begin(), it->second.end(), t);
    return next == it->second.end() ? never : *next;
}

void event_loop::start_ticking() {
    next_tick_us_ = now_us() + tick_us;
    tick_timer_.expires_at(ctx_.clock.to_steady(next_tick_us_));
    tick_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec)
            tick();
    });
}

void event_loop::tick() {
    // How late this tick fired is how long the loop was busy elsewhere.
    const auto now = now_us();
    const auto lag = std::max<std::int64_t>(0, now - next_tick_us_);
    if (now >= ctx_.measure_start_us && now < ctx_.send_end_us) {
        // A stall of L swallows L / tick ticks: record the lag each of them would have seen,
        // as HdrHistogram's coordinated-omission correction does, so one long stall weighs
        // as much as the time it took.
        hist_.loop_lag.record(lag);
        for (auto l = lag - tick_us; l > 0; l -= tick_us)
            hist_.loop_lag.record(l);
    }
    slot_.loop_lag_max_us = std::max(slot_.loop_lag_max_us, lag);
    const long second = static_cast<long>((now - ctx_.timeline_start_us) / 1'000'000);
    if (second != slot_.second)
        publish(second);
    if (++tick_count_ % 10 == 0)
        for (auto* c : clients_)
            c->sweep(now);
    next_tick_us_ += tick_us;
    if (next_tick_us_ <= now) // missed ticks are not made up: they would read as no lag
        next_tick_us_ = now + tick_us;
    tick_timer_.expires_at(ctx_.clock.to_steady(next_tick_us_));
    tick_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec)
            tick();
    });
}

void event_loop::publish(long next_second) {
    published_second p;
    p.second = slot_.second;
    p.c = slot_.c;
    p.latency = slot_.latency.sparse();
    p.connected = connected();
    p.loop_lag_max_us = slot_.loop_lag_max_us;
    {
        std::lock_guard lock(published_mutex_);
        published_.push_back(std::move(p));
    }
    slot_.c = counters{};
    slot_.latency.reset();
    slot_.loop_lag_max_us = 0;
    slot_.second = next_second;
}

void event_loop::publish_final() {
    tick_timer_.cancel();
    publish(slot_.second + 1);
}

std::vector<published_second> event_loop::published_from(std::size_t from) {
    std::lock_guard lock(published_mutex_);
    if (from >= published_.size())
        return {};
    return {published_.begin() + static_cast<std::ptrdiff_t>(from), published_.end()};
}

std::vector<published_second> event_loop::published_copy() {
    std::lock_guard lock(published_mutex_);
    return published_;
}

void event_loop::start_connecting() {
    ramp_start_us_ = now_us();
    slot_.second = static_cast<long>((ramp_start_us_ - ctx_.timeline_start_us) / 1'000'000);
    pump_connects();
}

void event_loop::connect_attempt_done() {
    attempts_done_.fetch_add(1, std::memory_order_relaxed);
    if (in_flight_ > 0) {
        --in_flight_;
        pump_connects();
    }
}

void event_loop::pump_connects() {
    const auto threads = static_cast<double>(ctx_.options->threads);
    const long concurrency =
        std::max<long>(1, static_cast<long>(std::ceil(
                              static_cast<double>(ctx_.options->connect_concurrency) / threads)));
    const double rate = ctx_.options->ramp_per_second / threads; // per loop; 0 = unlimited
    while (next_connect_ < starting_.size() && in_flight_ < concurrency) {
        if (rate > 0) {
            // Token bucket: connection k may start at ramp_start + k / rate.
            const auto due = ramp_start_us_ + static_cast<std::int64_t>(
                                                  static_cast<double>(next_connect_) * 1e6 / rate);
            if (due > now_us()) {
                if (!ramp_waiting_) {
                    ramp_waiting_ = true;
                    ramp_timer_.expires_at(ctx_.clock.to_steady(due));
                    ramp_timer_.async_wait([this](const boost::system::error_code& ec) {
                        ramp_waiting_ = false;
                        if (!ec)
                            pump_connects();
                    });
                }
                return;
            }
        }
        ++in_flight_;
        starting_[next_connect_++]->connect();
    }
}

void event_loop::start_sending() {
    for (auto* c : clients_) {
        c->start_sending();
        c->stop_reading();
    }
    // Leave times (churn, ramp down) become absolute, and each such client learns its first
    // planned leave.
    for (const auto& e : churn_)
        if (e.what != membership_change::join)
            churn_times_[e.client].push_back(ctx_.send_start_us + e.at_us);
    for (auto& [client, times] : churn_times_) {
        std::sort(times.begin(), times.end());
        clients_[client]->plan_leave();
    }
    churn_next();
    for (auto q : pollers_)
        run_poller(q);
    for (auto c : churners_)
        spawn_churner(*this, c);
}

void event_loop::churn_next() {
    if (next_churn_ >= churn_.size())
        return;
    const auto at = ctx_.send_start_us + churn_[next_churn_].at_us;
    if (at >= ctx_.send_end_us)
        return;
    churn_timer_.expires_at(ctx_.clock.to_steady(at));
    churn_timer_.async_wait([this, at](const boost::system::error_code& ec) {
        if (ec)
            return;
        // Clients are indexed by their position in this loop's list (see engine.cpp).
        const auto& e = churn_[next_churn_++];
        auto& c = *clients_[e.client];
        switch (e.what) {
        case membership_change::churn:
            c.churn(at);
            break;
        case membership_change::leave:
            c.leave(at);
            break;
        case membership_change::join:
            c.rejoin();
            break;
        }
        churn_next();
    });
}

void event_loop::run_poller(long global_index) {
    // Open loop too: requests start on schedule, each in its own coroutine, and the latency
    // counts from the intended start.
    net::co_spawn(
        ioc_,
        [this, global_index]() -> net::awaitable<void> {
            auto ex = co_await net::this_coro::executor;
            const auto& rooms = ctx_.layout->rooms;
            const double gap_us = 1e6 / ctx_.options->rest_rate;
            auto intended =
                ctx_.send_start_us +
                static_cast<std::int64_t>(
                    std::fmod(static_cast<double>(global_index) * 0.381966, 1.0) * gap_us);
            auto in_flight = std::make_shared<long>(0);
            net::steady_timer timer(ex);
            for (long k = 0; intended < ctx_.send_end_us && !ctx_.ending; ++k) {
                timer.expires_at(ctx_.clock.to_steady(intended));
                boost::system::error_code ec;
                co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
                if (ec || ctx_.ending)
                    break;
                const bool measured = intended >= ctx_.measure_start_us;
                if (*in_flight >= max_rest_in_flight) {
                    if (measured)
                        error(error_kind::rest_skipped);
                } else {
                    // Request k of poller q goes to endpoint (q + k) mod N.
                    const auto& base = ctx_.endpoint_of(global_index + k).base;
                    const bool history = (k + global_index) % 2 == 1 && !rooms.empty();
                    auto target =
                        history
                            ? chat::history_target(
                                  base, rooms[static_cast<std::size_t>(k / 2) % rooms.size()].name)
                            : chat::rooms_target(base);
                    ++*in_flight;
                    net::co_spawn(
                        ex,
                        [this, &base, target = std::move(target), intended, measured,
                         in_flight]() -> net::awaitable<void> {
                            auto ex2 = co_await net::this_coro::executor;
                            // Named, not default arguments: GCC 12 mishandles temporaries
                            // bound to reference parameters of a co_awaited coroutine.
                            const chat::transcript_sink sink;
                            auto r = co_await chat::http_request(ex2, base, "GET", target,
                                                                 std::chrono::milliseconds(5000),
                                                                 ctx_.request, sink);
                            --*in_flight;
                            if (!measured)
                                co_return;
                            count(&counters::rest_requests);
                            if (!r.ok()) {
                                count(&counters::rest_errors);
                                error(error_kind::rest_failed);
                            } else if (r.status != 200) {
                                count(&counters::rest_errors);
                                error(error_kind::rest_status);
                            } else {
                                hist_.rest.record(now_us() - intended);
                            }
                        },
                        net::detached);
                }
                intended += static_cast<std::int64_t>(gap_us);
            }
        },
        net::detached);
}

void event_loop::drain_slow_readers() {
    for (auto* c : clients_)
        if (c->slow())
            c->drain_slow();
}

void event_loop::close_all() {
    churn_timer_.cancel();
    for (auto* c : clients_)
        c->close();
}

} // namespace chat::load
