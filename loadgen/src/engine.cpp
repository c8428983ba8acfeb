// The coordinator: checks limits, lays out the clients, runs the phases (connect, settle,
// warm-up, measure, drain, close) on the event loops, and assembles the raw result.
#include "engine.hpp"

#include "chat/platform.hpp"
#include "chat/url.hpp"
#include "event_loop.hpp"
#include "load_client.hpp"
#include "plan.hpp"
#include "result.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#ifdef __linux__
#include <sys/syscall.h> // SYS_gettid
#include <unistd.h>      // syscall
#endif

#include <algorithm> // sort, lower_bound
#include <cinttypes> // PRIu64
#include <cstdio>    // snprintf
#include <fstream>   // ifstream
#include <map>       // map
#include <memory>    // unique_ptr
#include <random>    // random_device
#include <thread>    // thread, sleep_for

namespace chat::load {
namespace {

using std::chrono::milliseconds;

// Time the event-loop threads spent runnable but waiting for a CPU (Linux schedstat), in
// seconds; -1 where unknown. A large value means the machine, not the generator, was short.
double runqueue_wait_seconds(const std::vector<long>& tids) {
#ifdef __linux__
    double total = 0;
    for (const auto tid : tids) {
        std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/schedstat");
        unsigned long long run_ns = 0, wait_ns = 0;
        if (!(in >> run_ns >> wait_ns))
            return -1;
        total += static_cast<double>(wait_ns) / 1e9;
    }
    return total;
#else
    (void)tids;
    return -1;
#endif
}

double cpu_seconds() {
    const auto cpu = platform::cpu_seconds();
    return cpu ? *cpu.value : 0.0;
}

std::string fmt_latency(std::int64_t us) {
    char b[32];
    if (us >= 1'000'000)
        std::snprintf(b, sizeof b, "%.2fs", static_cast<double>(us) / 1e6);
    else
        std::snprintf(b, sizeof b, "%.2fms", static_cast<double>(us) / 1e3);
    return b;
}

std::string make_run_tag(const scenario& s) {
    std::uint64_t v = 0;
    if (s.start_at_unix_ms != 0) { // workers of one run agree on the tag
        rng r(static_cast<std::uint64_t>(s.start_at_unix_ms) ^ s.seed);
        v = r.next();
    } else {
        std::random_device rd;
        v = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    }
    char b[16];
    std::snprintf(b, sizeof b, "%08x", static_cast<unsigned>(v & 0xFFFFFFFFu));
    return b;
}

struct limits_report {
    nlohmann::json json;
    std::string statement;
};

limits_report check_limits(const scenario& s, const plan& p) {
    limits_report out;
    const auto clients = static_cast<std::uint64_t>(p.clients.size() + p.churners);
    const auto pollers = static_cast<std::uint64_t>(p.pollers.size());
    // Descriptors besides the clients: REST requests in flight, epoll, timers, stdio, reports.
    const std::uint64_t reserve = 64 + pollers * 32;
    auto limit = platform::raise_open_file_limit(0);
    if (!limit)
        limit = platform::get_open_file_limit();
    const auto ports = platform::ephemeral_port_range();
    const auto addresses = std::max<std::size_t>(1, s.source_addresses.size());
    std::string text;
    std::uint64_t fd_max = 0;
    if (limit) {
        fd_max = limit.value->soft > reserve ? limit.value->soft - reserve : 0;
        text = "open-file limit " + with_commas(limit.value->soft) + " (hard " +
               with_commas(limit.value->hard) + ") -> at most ~" + with_commas(fd_max) +
               " clients in this process";
        out.json["open_files"] = {{"soft", limit.value->soft}, {"hard", limit.value->hard}};
    } else {
        text = "open-file limit unknown (" + limit.error + ")";
        out.json["open_files"] = nullptr;
    }
    std::uint64_t port_max = 0;
    if (ports) {
        port_max = static_cast<std::uint64_t>(ports.value->size()) * addresses;
        text += "; ephemeral ports " + std::to_string(ports.value->first) + "-" +
                std::to_string(ports.value->last) + " (" + with_commas(ports.value->size()) +
                ") x " + std::to_string(addresses) + " source address" +
                (addresses > 1 ? "es" : "") + " -> at most " + with_commas(port_max) +
                " connections to one server address";
        out.json["ephemeral_ports"] = {{"first", ports.value->first}, {"last", ports.value->last}};
    } else {
        out.json["ephemeral_ports"] = nullptr;
    }
    out.json["source_addresses"] = addresses;
    out.json["max_clients_by_open_files"] = fd_max;
    out.json["max_clients_by_ports"] = port_max;
    out.json["clients_in_this_process"] = clients;
    text += "; this process runs " + with_commas(clients) + " clients";
    out.statement = text;
    if (limit && clients > fd_max) {
        const auto needed = clients + reserve;
        throw harness_error(
            text + ": too many. " +
            (needed <= limit.value->hard
                 ? "Raise the limit (ulimit -n " + std::to_string(needed) + ")"
                 : "The hard limit allows no more: ask for a higher hard limit (ulimit -Hn, "
                   "limits.conf)") +
            ", or split the run over processes with --worker I/N (loadgen/tools/local-workers.sh)");
    }
    if (ports && clients > port_max)
        throw harness_error(text + ": too many for the ports. Add --source-address 127.0.0.2 "
                                   "(and more) or split the run with --worker I/N");
    return out;
}

} // namespace

nlohmann::json run(const scenario& s, std::ostream& progress) {
    run_context ctx;
    ctx.s = &s;
    ctx.run_tag = make_run_tag(s);
    const plan p = make_plan(s, ctx.run_tag);
    ctx.p = &p;

    std::string why;
    const auto base = chat::parse_base_url(s.url, &why);
    if (!base)
        throw harness_error("bad server URL '" + s.url + "': " + why);
    ctx.base = *base;
    ctx.host_header = base->host_header();
    ctx.request.headers = s.parsed_headers;
    ctx.request.origin = s.origin;
    ctx.request.ca_file = s.ca_file;
    ctx.request.insecure = s.insecure;
    if (!s.origin.empty())
        ctx.upgrade_headers += "Origin: " + s.origin + "\r\n";
    for (const auto& [name, value] : s.parsed_headers)
        ctx.upgrade_headers += name + ": " + value + "\r\n";
    if (base->tls()) {
        std::string error;
        ctx.tls = make_tls_context(s.ca_file, s.insecure, error);
        if (!ctx.tls)
            throw harness_error(error);
        if (s.churn_pool > 0)
            throw harness_error("--churn-pool speaks plain ws:// only (its cycles are raw "
                                "sockets); use --churn for churn over '" +
                                s.url + "'");
        if (s.insecure)
            progress << "chat-load: warning: --insecure: the server's TLS certificate is not "
                        "verified\n";
    } else if (s.insecure || !s.ca_file.empty()) {
        progress << "chat-load: warning: --insecure and --ca-file apply to https:// and wss:// "
                    "only; '"
                 << s.url << "' is plain\n";
    }
    // One request before any client: a server that cannot be reached, resolved or trusted is
    // one clear error (host, port, cause, what to try) instead of thousands of failed clients.
    {
        net::io_context io;
        chat::http_result probe;
        const auto target = chat::health_target(ctx.base);
        const chat::transcript_sink sink;
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                probe = co_await chat::http_request(io.get_executor(), ctx.base, "GET", target,
                                                    milliseconds(s.connect_timeout_ms), ctx.request,
                                                    sink);
            },
            net::detached);
        io.run();
        if (!probe.ok())
            throw harness_error(probe.error);
        if (probe.status != 200 && !s.quiet)
            progress << "chat-load: warning: GET " << target << " answered " << probe.status << " "
                     << probe.body.substr(0, 200) << "\n";
    }
    {
        net::io_context io;
        net::ip::tcp::resolver resolver(io);
        boost::system::error_code ec;
        const auto results = resolver.resolve(base->host, base->port, ec);
        if (ec || results.empty())
            throw harness_error("cannot resolve " + base->host + " (port " + base->port +
                                "): " + ec.message() + "; check the host name");
        ctx.servers.push_back(results.begin()->endpoint());
    }
    for (const auto& a : s.source_addresses) {
        boost::system::error_code ec;
        auto addr = net::ip::make_address(a, ec);
        if (ec)
            throw harness_error("--source-address must be an IP address (got " + a + ")");
        ctx.sources.push_back(addr);
    }

    const auto limits = check_limits(s, p);
    if (!s.quiet)
        progress << "chat-load: " << limits.statement << "\n";

    // Start aligned with the other workers.
    if (s.start_at_unix_ms != 0) {
        const auto wait_ms = s.start_at_unix_ms - ctx.clock.now_us() / 1000;
        if (wait_ms > 0) {
            if (!s.quiet)
                progress << "chat-load: waiting " << wait_ms << " ms for --start-at\n";
            std::this_thread::sleep_for(milliseconds(wait_ms));
        }
    }

    std::vector<std::unique_ptr<event_loop>> loops;
    for (long t = 0; t < s.threads; ++t)
        loops.push_back(std::make_unique<event_loop>(static_cast<unsigned>(t), ctx));
    const auto threads = static_cast<std::size_t>(s.threads);

    // The baseline for memory per client: after the loops and histograms, before any client.
    const auto rss_before = platform::resident_memory_bytes();
    std::vector<std::unique_ptr<load_client>> clients;
    clients.reserve(p.clients.size());
    for (std::size_t i = 0; i < p.clients.size(); ++i) {
        auto& loop = *loops[i % threads];
        clients.push_back(std::make_unique<load_client>(
            loop, static_cast<std::uint32_t>(i / threads), p.clients[i]));
        loop.add_client(clients.back().get());
    }
    for (const auto& e : p.churn)
        loops[e.client % threads]->add_churn(
            {e.at_us, static_cast<std::uint32_t>(e.client / threads)});
    for (std::size_t q = 0; q < p.pollers.size(); ++q)
        loops[q % threads]->add_poller(p.pollers[q]);
    for (long c = 0; c < p.churners; ++c)
        loops[static_cast<std::size_t>(c) % threads]->add_churner(c);
    ctx.churn_limited = p.churners > 0 && p.churn_cycles > 0;
    ctx.churn_cycles_left = p.churn_cycles;
    auto churners_running = [&] {
        long n = 0;
        for (auto& l : loops)
            n += l->churners_running();
        return n;
    };

    ctx.timeline_start_us = ctx.clock.now_us();
    std::vector<std::thread> workers;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
    std::vector<std::atomic<long>> tids(loops.size());
    for (std::size_t i = 0; i < loops.size(); ++i) {
        guards.push_back(net::make_work_guard(loops[i]->io()));
        workers.emplace_back([&io = loops[i]->io(), &tid = tids[i]] {
#ifdef __linux__
            tid = static_cast<long>(::syscall(SYS_gettid));
#endif
            io.run();
        });
    }
    auto loop_tids = [&] {
        std::vector<long> v;
        for (auto& t : tids)
            v.push_back(t.load());
        return v;
    };
    auto each = [&](auto fn) {
        for (auto& l : loops)
            net::post(l->io(), [&l, fn] { fn(*l); });
    };

    // Progress: one line per second from the loops' published seconds.
    long next_progress = 1;
    std::vector<std::size_t> progress_cursor(loops.size(), 0);
    long planned = 0;
    for (auto& l : loops)
        planned += l->attempts_planned();
    auto print_progress = [&] {
        const long now_s =
            static_cast<long>((ctx.clock.now_us() - ctx.timeline_start_us - 200'000) / 1'000'000);
        while (next_progress <= now_s) {
            const long sec = next_progress - 1;
            counters c;
            histogram h;
            long connected = 0;
            for (std::size_t i = 0; i < loops.size(); ++i) {
                // Only the seconds not seen yet; a loop publishes them in order.
                auto fresh = loops[i]->published_from(progress_cursor[i]);
                std::size_t used = 0;
                for (const auto& ps : fresh) {
                    if (ps.second > sec)
                        break;
                    ++used;
                    if (ps.second == sec) {
                        c.add(ps.c);
                        h.merge(histogram::from_json(ps.latency));
                    }
                }
                progress_cursor[i] += used;
                connected += loops[i]->connected();
            }
            if (!s.quiet) {
                const auto at = ctx.timeline_start_us + (sec + 1) * 1'000'000;
                const char* phase = at <= ctx.send_start_us      ? "connect"
                                    : at <= ctx.measure_start_us ? "warm-up"
                                    : at <= ctx.send_end_us      ? "measure"
                                                                 : "drain";
                char line[256];
                std::snprintf(line, sizeof line,
                              "[%4lds %-7s] connected %ld/%ld  sent/s %" PRIu64
                              "  delivered/s %" PRIu64 "  p99 %s  errors %" PRIu64
                              "  dropped %" PRIu64 "\n",
                              next_progress, phase, connected, planned, c.sent + c.sent_warmup,
                              c.delivered, h.count() ? fmt_latency(h.percentile(99)).c_str() : "-",
                              c.error_total(), c.dropped + c.dropped_slow);
                progress << line << std::flush;
            }
            ++next_progress;
        }
    };
    auto sleep_until = [&](std::int64_t until_us, auto done) {
        while (ctx.clock.now_us() < until_us && !done()) {
            print_progress();
            std::this_thread::sleep_for(milliseconds(20));
        }
        print_progress();
    };

    // Phase 1: connect everyone (bounded by the ramp and the connect timeout).
    each([](event_loop& l) {
        l.start_ticking();
        l.start_connecting();
    });
    const double ramp =
        s.ramp_per_second > 0 ? static_cast<double>(p.clients.size()) / s.ramp_per_second : 0;
    const auto connect_deadline = ctx.clock.now_us() + static_cast<std::int64_t>(ramp * 1e6) +
                                  s.connect_timeout_ms * 1000 * 2 + 5'000'000 +
                                  static_cast<std::int64_t>(p.clients.size()) * 1000;
    auto attempts = [&] {
        long n = 0;
        for (auto& l : loops)
            n += l->attempts_done();
        return n;
    };
    auto connected = [&] {
        long n = 0;
        for (auto& l : loops)
            n += l->connected();
        return n;
    };
    sleep_until(connect_deadline, [&] { return attempts() >= planned; });
    const auto connect_done_us = ctx.clock.now_us();
    if (connected() == 0) {
        ctx.ending = true;
        each([](event_loop& l) { l.close_all(); });
        for (auto& g : guards)
            g.reset();
        for (auto& l : loops)
            l->io().stop();
        for (auto& w : workers)
            w.join();
        counters c;
        for (auto& l : loops)
            c.add(l->totals());
        std::string kinds;
        for (std::size_t k = 0; k < error_kinds; ++k)
            if (c.errors[k])
                kinds += std::string(kinds.empty() ? "" : ", ") +
                         to_string(static_cast<error_kind>(k)) + " x" + std::to_string(c.errors[k]);
        clients.clear();
        throw harness_error("no client could connect to " + s.url + " (" + kinds +
                            "); is the server running?");
    }

    // Phase 2: idle memory per client, once the joins and history replays have settled.
    std::this_thread::sleep_for(milliseconds(500));
    const auto rss_idle = platform::resident_memory_bytes();
    const long idle_clients = connected();

    // Phase 3: warm-up, measure, drain.
    ctx.send_start_us = ctx.clock.now_us() + 100'000;
    ctx.measure_start_us = ctx.send_start_us + s.warm_up_ms * 1000;
    ctx.send_end_us = ctx.measure_start_us + s.duration_ms * 1000;
    each([](event_loop& l) { l.start_sending(); });
    // With --churn-cycles, sending ends once the churn pool has done them all.
    auto churn_done = [&] { return ctx.churn_limited && churners_running() == 0; };
    sleep_until(ctx.measure_start_us, churn_done);
    const double cpu0 = cpu_seconds();
    const double wait0 = runqueue_wait_seconds(loop_tids());
    const auto wall0 = ctx.clock.now_us();
    sleep_until(ctx.send_end_us, churn_done);
    if (churn_done() && ctx.clock.now_us() < ctx.send_end_us) {
        ctx.send_end_us = std::max<std::int64_t>(ctx.clock.now_us(), ctx.measure_start_us + 1000);
        if (!s.quiet)
            progress << "chat-load: the churn pool finished its cycles; sending ends\n";
    }
    const double cpu1 = cpu_seconds();
    const double wait1 = runqueue_wait_seconds(loop_tids());
    const auto wall1 = ctx.clock.now_us();
    const auto rss_end = platform::resident_memory_bytes();
    // Drain: up to --lifetime, or until nothing has arrived for 500 ms.
    {
        auto activity = [&] {
            std::uint64_t n = 0;
            for (auto& l : loops)
                n += l->activity();
            return n;
        };
        auto last = activity();
        auto last_change = ctx.clock.now_us();
        sleep_until(ctx.send_end_us + s.lifetime_ms * 1000, [&] {
            const auto a = activity();
            const auto now = ctx.clock.now_us();
            if (a != last) {
                last = a;
                last_change = now;
            }
            return now - last_change >= 500'000;
        });
    }
    const auto drain_end_us = ctx.clock.now_us();
    // Slow readers read again to learn whether the server dropped them (bounded).
    if (p.slow > 0) {
        each([](event_loop& l) { l.drain_slow_readers(); });
        std::this_thread::sleep_for(milliseconds(100));
        auto draining = [&] {
            long n = 0;
            for (auto& l : loops)
                n += l->slow_draining();
            return n;
        };
        sleep_until(ctx.clock.now_us() + 10'000'000, [&] { return draining() == 0; });
    }

    // Phase 4: close everyone (bounded), stop.
    ctx.ending = true;
    each([](event_loop& l) { l.close_all(); });
    auto open_sockets = [&] {
        long n = 0;
        for (auto& l : loops)
            n += l->closing_or_open();
        return n;
    };
    sleep_until(ctx.clock.now_us() + 3'000'000,
                [&] { return open_sockets() == 0 && churners_running() == 0; });
    each([](event_loop& l) { l.publish_final(); });
    std::this_thread::sleep_for(milliseconds(50));
    for (auto& g : guards)
        g.reset();
    for (auto& l : loops)
        l->io().stop();
    for (auto& w : workers)
        w.join();

    // Assemble: totals, histograms, expected deliveries, timeline.
    raw_result r;
    r.scenario = s.to_json();
    r.scenario["room_prefix"] = p.room_prefix;
    r.run_tag = ctx.run_tag;
    r.limits = limits.json;
    for (auto& l : loops) {
        r.totals.add(l->totals());
        r.latency.merge(l->latency());
        r.latency_actual.merge(l->latency_actual());
        r.connect.merge(l->connect());
        r.rest.merge(l->rest());
        r.loop_lag.merge(l->loop_lag());
        r.schedule_lag.merge(l->schedule_lag());
    }
    // Expected deliveries: for each membership, the measured messages of its room sent after it
    // joined and at least --lifetime before its planned leave (README: delivery rule).
    {
        std::vector<std::vector<std::int64_t>> sent(p.rooms.size());
        for (auto& l : loops)
            for (const auto& m : l->sent())
                sent[m.room].push_back(m.sent_us);
        for (auto& v : sent)
            std::sort(v.begin(), v.end());
        std::uint64_t expected = 0;
        for (auto& l : loops)
            for (const auto& ses : l->sessions()) {
                const auto& v = sent[ses.room];
                const auto from = std::upper_bound(v.begin(), v.end(), ses.joined_us);
                auto to = v.end();
                if (ses.planned_leave_us != never)
                    to = std::upper_bound(v.begin(), v.end(),
                                          ses.planned_leave_us - s.lifetime_ms * 1000);
                if (to > from)
                    expected += static_cast<std::uint64_t>(to - from);
            }
        r.expected = expected;
    }
    {
        std::map<long, published_second> merged;
        std::map<long, histogram> hist;
        for (auto& l : loops)
            for (auto& ps : l->published_copy()) {
                auto [it, fresh] = merged.try_emplace(ps.second);
                if (fresh)
                    it->second.second = ps.second;
                it->second.c.add(ps.c);
                it->second.connected += ps.connected;
                it->second.loop_lag_max_us =
                    std::max(it->second.loop_lag_max_us, ps.loop_lag_max_us);
                hist[ps.second].merge(histogram::from_json(ps.latency));
            }
        for (auto& [sec, ps] : merged) {
            timeline_point tp;
            tp.second = sec;
            tp.c = ps.c;
            tp.connected = ps.connected;
            tp.loop_lag_max_us = ps.loop_lag_max_us;
            tp.latency = std::move(hist[sec]);
            r.timeline.push_back(std::move(tp));
        }
    }
    r.timeline_start_unix_ms = ctx.timeline_start_us / 1000;
    r.connect_done_unix_ms = connect_done_us / 1000;
    r.send_start_unix_ms = ctx.send_start_us / 1000;
    r.measure_start_unix_ms = ctx.measure_start_us / 1000;
    r.measure_end_unix_ms = ctx.send_end_us / 1000;
    r.drain_end_unix_ms = drain_end_us / 1000;
    r.clients_planned = static_cast<long>(p.clients.size());
    r.clients_connected_idle = idle_clients;
    r.slow_clients = p.slow;
    r.senders = p.senders;
    r.rooms = static_cast<long>(p.rooms.size());
    r.cpu_seconds = cpu1 - cpu0;
    r.runqueue_wait_seconds = wait0 >= 0 && wait1 >= 0 ? wait1 - wait0 : -1;
    r.cpu_wall_seconds = static_cast<double>(wall1 - wall0) / 1e6;
    if (rss_before)
        r.rss_before = *rss_before.value;
    if (rss_idle)
        r.rss_idle = *rss_idle.value;
    if (rss_end)
        r.rss_end = *rss_end.value;
    r.hostname = platform::host_name().value.value_or("");
    r.hardware_threads = std::thread::hardware_concurrency();
    clients.clear();
    loops.clear();
    auto doc = build_result(r, s);
    if (doc.value("exit_code", 2) == 2) {
        // Exit 2 always says why, on one line, --quiet or not.
        std::string why;
        for (const auto& reason : doc["validity"]["reasons"])
            why += (why.empty() ? "" : "; ") + reason.get<std::string>();
        progress << "chat-load: error: run INVALID: " << why << "\n";
    }
    return doc;
}

} // namespace chat::load
