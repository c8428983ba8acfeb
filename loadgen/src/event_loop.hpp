// One generator thread: its io_context, its share of the clients, and what it measured.
// Nothing here is shared between threads except the published seconds (under a mutex) and a
// few atomics the coordinator reads.
#pragma once

#include "chat/client.hpp"
#include "chat/url.hpp"
#include "chat/ws_frame.hpp"
#include "clock.hpp"
#include "plan.hpp"
#include "result.hpp"
#include "stats.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>  // atomic
#include <cstdint> // int64_t, uint32_t
#include <limits>  // numeric_limits
#include <memory>  // unique_ptr
#include <mutex>   // mutex
#include <string>  // string
#include <unordered_map>
#include <vector> // vector

namespace boost::asio::ssl {
class context;
}

namespace chat::load {

namespace net = boost::asio;
class load_client;

constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();

// One target URL of the deployment, resolved.
struct endpoint_target {
    std::string url;
    chat::base_url base;
    std::string host_header;
    net::ip::tcp::endpoint address; // the first address the host resolved to
};

// Read-only after the run starts, except the phase times, which the coordinator sets before it
// posts the phase change to the loops (the post orders the writes before the reads).
struct run_context {
    const scenario* options = nullptr; // what was asked
    const plan* layout = nullptr;      // which client is where, who sends
    run_clock clock;
    std::string run_tag;
    // The deployment's URLs: client i (global index) uses endpoint i mod N.
    std::vector<endpoint_target> endpoints;
    std::vector<net::ip::address> sources;  // --source-address, round-robin
    chat::request_options request;          // --header, --origin, --ca-file, --insecure
    std::string upgrade_headers;            // the same as "Name: value\r\n" lines
    std::shared_ptr<net::ssl::context> tls; // when an endpoint is https:// or wss://, else null
    std::int64_t timeline_start_us = 0;
    std::int64_t send_start_us = never;
    std::int64_t measure_start_us = never;
    // Atomic: the coordinator ends sending early once the churn pool's cycles are done.
    std::atomic<std::int64_t> send_end_us{never};
    std::atomic<bool> ending{false};        // closing everything: disconnects are not drops
    bool churn_limited = false;             // --churn-cycles given
    std::atomic<long> churn_cycles_left{0}; // this process's cycles not yet started

    std::size_t endpoint_index(long global_index) const noexcept {
        return static_cast<std::size_t>(global_index) % endpoints.size();
    }
    const endpoint_target& endpoint_of(long global_index) const noexcept {
        return endpoints[endpoint_index(global_index)];
    }
};

// A session: one membership of one client in its room, for the expected-delivery count.
struct session_record {
    std::uint32_t room = 0;
    std::int64_t joined_us = 0;
    std::int64_t planned_leave_us = never;
};

// A measured message as its sender sent it.
struct sent_record {
    std::uint32_t room = 0;
    std::int64_t sent_us = 0;
};

// One second as a loop publishes it to the coordinator (a copy: nothing of it is shared).
using published_second = timeline_point;

class event_loop {
public:
    event_loop(unsigned index, run_context& ctx);
    ~event_loop();

    unsigned index() const noexcept { return index_; }
    net::io_context& io() noexcept { return ioc_; }
    run_context& ctx() noexcept { return ctx_; }
    std::int64_t now_us() const noexcept { return ctx_.clock.now_us(); }
    // A fresh masking key for each client frame (RFC 6455 5.3).
    chat::ws::mask_key mask() noexcept {
        return chat::ws::to_mask_key(static_cast<std::uint32_t>(rng_.next()));
    }
    rng& random() noexcept { return rng_; }
    char* read_buffer() noexcept { return read_buffer_.get(); }
    static constexpr std::size_t read_buffer_size = 64 * 1024;

    // Phase changes, posted by the coordinator.
    // `at_start`: connected in the connect phase (else the --stage client ramp joins it later).
    void add_client(load_client* c, bool at_start) {
        clients_.push_back(c);
        if (at_start)
            starting_.push_back(c);
    }
    void add_churn(const churn_event& e) { churn_.push_back(e); }
    void add_poller(long global_index) { pollers_.push_back(global_index); }
    void add_churner(long index) { // before the loop runs
        churners_.push_back(index);
        churners_running_.fetch_add(1, std::memory_order_relaxed);
    }
    void start_ticking(); // the 10 ms self-watch tick, second slots, deadline sweeps
    void start_connecting();
    void start_sending(); // senders, slow readers stop, churn, pollers
    void drain_slow_readers();
    void close_all();
    void publish_final(); // publishes the current (partial) second

    // Called by clients.
    void count(std::uint64_t counters::*field, std::uint64_t n = 1) noexcept {
        total_.*field += n;
        slot_.c.*field += n;
    }
    void error(error_kind k) noexcept {
        ++total_.errors[static_cast<std::size_t>(k)];
        ++slot_.c.errors[static_cast<std::size_t>(k)];
    }
    // A live delivery to a client on endpoint `receiver` of a message from a sender on
    // endpoint `sender`: its latencies go into the histograms whether it came in time or late
    // (so the tail shows the truth); only one `in_time` counts as the endpoint's delivery.
    void record_delivery(std::int64_t from_intended_us, std::int64_t from_sent_us,
                         std::size_t receiver, std::size_t sender, bool in_time) noexcept;
    void record_connect(std::int64_t us) noexcept { hist_.connect.record(us); }
    void endpoint_connected(std::size_t e) noexcept { ++endpoints_[e].connects; }
    void endpoint_connect_failed(std::size_t e) noexcept { ++endpoints_[e].connect_failures; }
    void record_schedule_lag(std::int64_t us) noexcept { hist_.schedule_lag.record(us); }
    void connect_attempt_done();
    void client_opened() noexcept { connected_.fetch_add(1, std::memory_order_relaxed); }
    void client_closed() noexcept { connected_.fetch_sub(1, std::memory_order_relaxed); }
    void slow_drain_started() noexcept { slow_draining_.fetch_add(1, std::memory_order_relaxed); }
    void slow_drain_done() noexcept { slow_draining_.fetch_sub(1, std::memory_order_relaxed); }
    long slow_draining() const noexcept { return slow_draining_.load(std::memory_order_relaxed); }
    void churner_done() noexcept { churners_running_.fetch_sub(1, std::memory_order_relaxed); }
    long churners_running() const noexcept {
        return churners_running_.load(std::memory_order_relaxed);
    }
    void message_seen() noexcept { activity_.fetch_add(1, std::memory_order_relaxed); }
    std::uint32_t add_session(const session_record& r) {
        sessions_.push_back(r);
        return static_cast<std::uint32_t>(sessions_.size() - 1);
    }
    void set_planned_leave(std::uint32_t session, std::int64_t at) {
        sessions_[session].planned_leave_us = at;
    }
    void add_sent(const sent_record& r) { sent_.push_back(r); }
    std::int64_t planned_leave_after(std::uint32_t client, std::int64_t t) const;

    // Read by the coordinator (atomics) or after the threads stopped (the rest).
    long connected() const noexcept { return connected_.load(std::memory_order_relaxed); }
    long attempts_done() const noexcept { return attempts_done_.load(std::memory_order_relaxed); }
    long attempts_planned() const noexcept { return static_cast<long>(starting_.size()); }
    std::uint64_t activity() const noexcept { return activity_.load(std::memory_order_relaxed); }
    long closing_or_open() const noexcept {
        return open_or_closing_.load(std::memory_order_relaxed);
    }
    std::vector<published_second> published_copy();
    // The published seconds from position `from` on (for the live progress).
    std::vector<published_second> published_from(std::size_t from);

    const counters& totals() const noexcept { return total_; }
    const histogram_set& histograms() const noexcept { return hist_; }
    const std::vector<endpoint_record>& endpoints() const noexcept { return endpoints_; }
    const std::vector<session_record>& sessions() const noexcept { return sessions_; }
    const std::vector<sent_record>& sent() const noexcept { return sent_; }

    std::atomic<long> open_or_closing_{0}; // sockets not yet closed

private:
    void tick();
    void publish(long second);
    void pump_connects();
    void churn_next();
    void run_poller(long global_index);

    unsigned index_;
    run_context& ctx_;
    net::io_context ioc_{1};
    std::unique_ptr<char[]> read_buffer_;
    rng rng_;
    std::vector<load_client*> clients_;
    std::vector<load_client*> starting_; // those the connect phase connects

    counters total_;
    second_slot slot_;
    histogram_set hist_;
    std::vector<endpoint_record> endpoints_; // one per target URL
    std::vector<session_record> sessions_;
    std::vector<sent_record> sent_;

    std::mutex published_mutex_;
    std::vector<published_second> published_;

    net::steady_timer tick_timer_{ioc_};
    std::int64_t next_tick_us_ = 0;
    long tick_count_ = 0;

    // Connecting.
    std::size_t next_connect_ = 0;
    long in_flight_ = 0;
    std::int64_t ramp_start_us_ = 0;
    net::steady_timer ramp_timer_{ioc_};
    bool ramp_waiting_ = false;

    // Churn.
    std::vector<churn_event> churn_;
    std::size_t next_churn_ = 0;
    net::steady_timer churn_timer_{ioc_};
    std::unordered_map<std::uint32_t, std::vector<std::int64_t>> churn_times_; // absolute us

    std::vector<long> pollers_;
    std::vector<long> churners_;
    std::atomic<long> churners_running_{0};

    std::atomic<long> connected_{0};
    std::atomic<long> slow_draining_{0};
    std::atomic<long> attempts_done_{0};
    std::atomic<std::uint64_t> activity_{0};
};

} // namespace chat::load
