// The coordinator: checks the targets and the limits, lays out the clients, moves the event
// loops through the phases (connect, settle, warm-up and measure, drain, close) and collects
// what they measured into the typed result.
#include "engine.hpp"

#include "chat/platform.hpp"
#include "chat/url.hpp"
#include "event_loop.hpp"
#include "load_client.hpp"
#include "plan.hpp"
#include "server_watch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#ifdef __linux__
#include <sys/syscall.h> // SYS_gettid
#endif
#include <unistd.h> // getpid, syscall

#include <algorithm>  // sort, upper_bound, max
#include <cinttypes>  // PRIu64
#include <cstdio>     // snprintf
#include <fstream>    // ifstream
#include <functional> // invoke
#include <map>        // map
#include <memory>     // unique_ptr
#include <random>     // random_device
#include <set>        // set
#include <thread>     // thread, sleep_for

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
    limits_record record;
    std::string statement;
};

// The descriptors and ephemeral ports this process may use; throws harness_error, saying what
// to do, when the clients cannot fit. `addresses`: distinct server addresses of the targets.
limits_report check_limits(const scenario& s, const plan& p, std::size_t addresses) {
    limits_report out;
    auto& rec = out.record;
    const auto clients = static_cast<std::uint64_t>(p.clients.size() + p.churners);
    const auto pollers = static_cast<std::uint64_t>(p.pollers.size());
    // Descriptors besides the clients: REST requests in flight, epoll, timers, stdio, reports.
    const std::uint64_t reserve = 64 + pollers * 32;
    auto limit = platform::raise_open_file_limit(0);
    if (!limit)
        limit = platform::get_open_file_limit();
    const auto ports = platform::ephemeral_port_range();
    const auto sources = std::max<std::size_t>(1, s.source_addresses.size());
    std::string text;
    if (limit) {
        rec.max_clients_by_open_files =
            limit.value->soft > reserve ? limit.value->soft - reserve : 0;
        text = "open-file limit " + with_commas(limit.value->soft) + " (hard " +
               with_commas(limit.value->hard) + ") -> at most ~" +
               with_commas(rec.max_clients_by_open_files) + " clients in this process";
        rec.open_file_limit = {limit.value->soft, limit.value->hard};
    } else {
        text = "open-file limit unknown (" + limit.error + ")";
    }
    // Clients share a server address's port range; several addresses each have their own.
    const auto per_address = (clients + addresses - 1) / std::max<std::size_t>(1, addresses);
    if (ports) {
        rec.max_clients_by_ports = static_cast<std::uint64_t>(ports.value->size()) * sources;
        text += "; ephemeral ports " + std::to_string(ports.value->first) + "-" +
                std::to_string(ports.value->last) + " (" + with_commas(ports.value->size()) +
                ") x " + std::to_string(sources) + " source address" + (sources > 1 ? "es" : "") +
                " -> at most " + with_commas(rec.max_clients_by_ports) +
                " connections to one server address";
        rec.ephemeral_ports = {ports.value->first, ports.value->last};
    }
    rec.source_addresses = sources;
    rec.clients_in_this_process = clients;
    text += "; this process runs " + with_commas(clients) + " clients";
    out.statement = text;
    if (limit && clients > rec.max_clients_by_open_files) {
        const auto needed = clients + reserve;
        throw harness_error(
            text + ": too many. " +
            (needed <= limit.value->hard
                 ? "Raise the limit (ulimit -n " + std::to_string(needed) + ")"
                 : "The hard limit allows no more: ask for a higher hard limit (ulimit -Hn, "
                   "limits.conf)") +
            ", or split the run over processes with --worker I/N (loadgen/tools/local-workers.sh)");
    }
    if (ports && per_address > rec.max_clients_by_ports)
        throw harness_error(text + ": too many for the ports. Add --source-address 127.0.0.2 "
                                   "(and more) or split the run with --worker I/N");
    return out;
}

// One run: owns the loops, the clients and the loops' threads, and moves them through the
// phases. Each phase is a member function; the loops do the work, the coordinator waits.
class coordinator {
public:
    coordinator(const scenario& s, std::ostream& progress)
        : scen_(s), progress_(progress), run_tag_(make_run_tag(s)), plan_(make_plan(s, run_tag_)) {
        ctx_.options = &scen_;
        ctx_.layout = &plan_;
        ctx_.run_tag = run_tag_;
    }
    coordinator(const coordinator&) = delete;
    coordinator& operator=(const coordinator&) = delete;
    ~coordinator() { stop_threads(); }

    run_result run() {
        prepare_targets();
        resolve_sources();
        limits_ = check_limits(scen_, plan_, distinct_addresses());
        if (!scen_.quiet)
            progress_ << "chat-load: " << limits_.statement << "\n";
        wait_for_start_at();
        start_server_watch();
        start_loops();
        connect_all();
        settle();
        send_and_measure();
        drain();
        drain_slow_readers();
        close_all();
        return collect();
    }

private:
    // Parse every URL, set up TLS, probe and resolve each endpoint.
    void prepare_targets() {
        ctx_.request.headers = scen_.parsed_headers;
        ctx_.request.origin = scen_.origin;
        ctx_.request.ca_file = scen_.ca_file;
        ctx_.request.insecure = scen_.insecure;
        if (!scen_.origin.empty())
            ctx_.upgrade_headers += "Origin: " + scen_.origin + "\r\n";
        for (const auto& [name, value] : scen_.parsed_headers)
            ctx_.upgrade_headers += name + ": " + value + "\r\n";
        for (const auto& url : scen_.urls) {
            std::string why;
            const auto base = chat::parse_base_url(url, &why);
            if (!base)
                throw harness_error("bad server URL '" + url + "': " + why);
            ctx_.endpoints.push_back({url, *base, base->host_header(), {}});
        }
        prepare_tls();
        for (auto& e : ctx_.endpoints) {
            probe(e);
            resolve(e);
        }
    }

    // A TLS context when any endpoint speaks TLS; warnings for flags that cannot apply.
    void prepare_tls() {
        const endpoint_target* tls = nullptr;
        for (const auto& e : ctx_.endpoints)
            if (e.base.tls())
                tls = &e;
        if (!tls) {
            if (scen_.insecure || !scen_.ca_file.empty())
                progress_ << "chat-load: warning: --insecure and --ca-file apply to https:// "
                             "and wss:// only; '"
                          << scen_.url << "' is plain\n";
            return;
        }
        std::string error;
        ctx_.tls = make_tls_context(scen_.ca_file, scen_.insecure, error);
        if (!ctx_.tls)
            throw harness_error(error);
        if (scen_.churn_pool > 0)
            throw harness_error("--churn-pool speaks plain ws:// only (its cycles are raw "
                                "sockets); use --churn for churn over '" +
                                tls->url + "'");
        if (scen_.insecure)
            progress_ << "chat-load: warning: --insecure: the server's TLS certificate is not "
                         "verified\n";
    }

    // One request before any client: a server that cannot be reached, resolved or trusted is
    // one clear error (host, port, cause, what to try) instead of thousands of failed clients.
    void probe(const endpoint_target& e) {
        net::io_context io;
        chat::http_result answer;
        const auto target = chat::health_target(e.base);
        const chat::transcript_sink sink;
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                answer = co_await chat::http_request(io.get_executor(), e.base, "GET", target,
                                                     milliseconds(scen_.connect_timeout_ms),
                                                     ctx_.request, sink);
            },
            net::detached);
        io.run();
        if (!answer.ok())
            throw harness_error(answer.error);
        if (answer.status != 200 && !scen_.quiet)
            progress_ << "chat-load: warning: GET " << target << " on " << e.url << " answered "
                      << answer.status << " " << answer.body.substr(0, 200) << "\n";
    }

    void resolve(endpoint_target& e) {
        net::io_context io;
        net::ip::tcp::resolver resolver(io);
        boost::system::error_code ec;
        const auto results = resolver.resolve(e.base.host, e.base.port, ec);
        if (ec || results.empty())
            throw harness_error("cannot resolve " + e.base.host + " (port " + e.base.port +
                                "): " + ec.message() + "; check the host name");
        e.address = results.begin()->endpoint();
    }

    std::size_t distinct_addresses() const {
        std::set<net::ip::tcp::endpoint> seen;
        for (const auto& e : ctx_.endpoints)
            seen.insert(e.address);
        return seen.size();
    }

    void resolve_sources() {
        for (const auto& a : scen_.source_addresses) {
            boost::system::error_code ec;
            auto addr = net::ip::make_address(a, ec);
            if (ec)
                throw harness_error("--source-address must be an IP address (got " + a + ")");
            ctx_.sources.push_back(addr);
        }
    }

    // Start aligned with the other workers.
    void wait_for_start_at() {
        if (scen_.start_at_unix_ms == 0)
            return;
        const auto wait_ms = scen_.start_at_unix_ms - ctx_.clock.now_us() / 1000;
        if (wait_ms <= 0)
            return;
        if (!scen_.quiet)
            progress_ << "chat-load: waiting " << wait_ms << " ms for --start-at\n";
        std::this_thread::sleep_for(milliseconds(wait_ms));
    }

    // --server-pid: the first reading before any client; a process that is not there is a
    // harness error, a platform without /proc a note in the result.
    void start_server_watch() {
        if (scen_.server_pid <= 0)
            return;
        std::string why;
        const auto first = read_process(static_cast<int>(scen_.server_pid), why);
        if (!first) {
            if (why == "not supported on this platform") {
                server_error_ = why;
                if (!scen_.quiet)
                    progress_ << "chat-load: warning: --server-pid: " << why << "\n";
                return;
            }
            throw harness_error("--server-pid " + std::to_string(scen_.server_pid) + ": " + why);
        }
        server_watch_ =
            std::make_unique<process_watch>(static_cast<int>(scen_.server_pid), ctx_.clock);
        server_before_ = server_watch_->sample_now();
    }

    std::optional<process_sample> server_sample() {
        return server_watch_ ? server_watch_->sample_now() : std::nullopt;
    }

    // The server's figures: CPU over the measured window, memory before clients, idle and at
    // the end, CPU share and memory about once a second.
    server_record server_figures(std::uint64_t deliveries) {
        server_record out;
        out.pid = scen_.server_pid;
        out.error = server_error_;
        if (!server_watch_)
            return out;
        server_watch_->stop();
        if (out.error.empty())
            out.error = server_watch_->error();
        out.deliveries = deliveries;
        if (server_m0_ && server_m1_) {
            out.cpu_seconds = server_m1_->cpu_seconds - server_m0_->cpu_seconds;
            out.wall_seconds = static_cast<double>(server_m1_->at_us - server_m0_->at_us) / 1e6;
            out.rss_end_of_measure = server_m1_->rss_bytes;
        }
        if (server_before_)
            out.rss_before_clients = server_before_->rss_bytes;
        if (server_idle_)
            out.rss_idle = server_idle_->rss_bytes;
        out.connections = idle_clients_;
        const auto samples = server_watch_->samples();
        for (std::size_t i = 0; i < samples.size(); ++i) {
            const auto& x = samples[i];
            out.rss_max = std::max(out.rss_max, x.rss_bytes);
            if (i == 0)
                continue;
            const auto dt = static_cast<double>(x.at_us - samples[i - 1].at_us) / 1e6;
            if (dt < 0.5) // the extra readings at phase boundaries; keep about one a second
                continue;
            out.samples.push_back({static_cast<double>(x.at_us - ctx_.timeline_start_us) / 1e6,
                                   (x.cpu_seconds - samples[i - 1].cpu_seconds) / dt, x.rss_bytes});
        }
        return out;
    }

    // Create the loops, spread clients, churn, pollers and churners over them, start threads.
    void start_loops() {
        const auto n = static_cast<std::size_t>(scen_.threads);
        for (std::size_t t = 0; t < n; ++t)
            loops_.push_back(std::make_unique<event_loop>(static_cast<unsigned>(t), ctx_));
        // The baseline for memory per client: after the loops and histograms, before any client.
        rss_before_ = platform::resident_memory_bytes();
        clients_.reserve(plan_.clients.size());
        for (std::size_t i = 0; i < plan_.clients.size(); ++i) {
            auto& loop = *loops_[i % n];
            clients_.push_back(std::make_unique<load_client>(
                loop, static_cast<std::uint32_t>(i / n), plan_.clients[i]));
            loop.add_client(clients_.back().get(), !plan_.clients[i].starts_away);
        }
        for (const auto& e : plan_.churn)
            loops_[e.client % n]->add_churn(
                {e.at_us, static_cast<std::uint32_t>(e.client / n), e.what});
        for (std::size_t q = 0; q < plan_.pollers.size(); ++q)
            loops_[q % n]->add_poller(plan_.pollers[q]);
        for (long c = 0; c < plan_.churners; ++c)
            loops_[static_cast<std::size_t>(c) % n]->add_churner(c);
        ctx_.churn_limited = plan_.churners > 0 && plan_.churn_cycles > 0;
        ctx_.churn_cycles_left = plan_.churn_cycles;
        planned_ = sum([](const event_loop& l) { return l.attempts_planned(); });
        progress_cursor_.assign(n, 0);

        ctx_.timeline_start_us = ctx_.clock.now_us();
        tids_ = std::vector<std::atomic<long>>(n);
        for (std::size_t i = 0; i < n; ++i) {
            guards_.push_back(net::make_work_guard(loops_[i]->io()));
            threads_.emplace_back([&io = loops_[i]->io(), &tid = tids_[i]] {
#ifdef __linux__
                tid = static_cast<long>(::syscall(SYS_gettid));
#endif
                io.run();
            });
        }
    }

    // Phase 1: connect everyone, bounded by the ramp and the connect timeout.
    void connect_all() {
        each([](event_loop& l) {
            l.start_ticking();
            l.start_connecting();
        });
        const auto clients = static_cast<std::int64_t>(plan_.clients.size());
        const double ramp =
            scen_.ramp_per_second > 0 ? static_cast<double>(clients) / scen_.ramp_per_second : 0;
        const auto deadline = ctx_.clock.now_us() + static_cast<std::int64_t>(ramp * 1e6) +
                              scen_.connect_timeout_ms * 1000 * 2 + 5'000'000 + clients * 1000;
        sleep_until(deadline, [&] { return sum(&event_loop::attempts_done) >= planned_; });
        connect_done_us_ = ctx_.clock.now_us();
        if (planned_ > 0 && sum(&event_loop::connected) == 0)
            nobody_connected();
    }

    // Nobody could connect: stop, and say why in one error.
    [[noreturn]] void nobody_connected() {
        ctx_.ending = true;
        each([](event_loop& l) { l.close_all(); });
        stop_threads();
        counters c;
        for (auto& l : loops_)
            c.add(l->totals());
        std::string kinds;
        for (std::size_t k = 0; k < error_kinds; ++k)
            if (c.errors[k])
                kinds += std::string(kinds.empty() ? "" : ", ") +
                         to_string(static_cast<error_kind>(k)) + " x" + std::to_string(c.errors[k]);
        clients_.clear();
        std::string targets;
        for (const auto& u : scen_.urls)
            targets += (targets.empty() ? "" : ", ") + u;
        throw harness_error("no client could connect to " + targets + " (" + kinds +
                            "); is the server running?");
    }

    // Phase 2: idle memory per client, once the joins and history replays have settled.
    void settle() {
        std::this_thread::sleep_for(milliseconds(500));
        rss_idle_ = platform::resident_memory_bytes();
        idle_clients_ = sum(&event_loop::connected);
        server_idle_ = server_sample();
    }

    // Phase 3: warm-up, then the measured window (which the churn pool may end early).
    void send_and_measure() {
        ctx_.send_start_us = ctx_.clock.now_us() + 100'000;
        ctx_.measure_start_us = ctx_.send_start_us + scen_.warm_up_ms * 1000;
        ctx_.send_end_us = ctx_.measure_start_us + scen_.duration_ms * 1000;
        each([](event_loop& l) { l.start_sending(); });
        // With --churn-cycles, sending ends once the churn pool has done them all.
        auto pool_done = [&] {
            return ctx_.churn_limited && sum(&event_loop::churners_running) == 0;
        };
        // Sending also ends once the target has dropped everyone or an abort rule failed.
        auto churn_done = [&] { return pool_done() || everyone_dropped(); };
        sleep_until(ctx_.measure_start_us, churn_done);
        cpu0_ = cpu_seconds();
        server_m0_ = server_sample();
        wait0_ = runqueue_wait_seconds(loop_tids());
        wall0_ = ctx_.clock.now_us();
        sleep_until(ctx_.send_end_us, churn_done);
        if (ended_early_.empty() && pool_done() && ctx_.clock.now_us() < ctx_.send_end_us) {
            ctx_.send_end_us =
                std::max<std::int64_t>(ctx_.clock.now_us(), ctx_.measure_start_us + 1000);
            if (!scen_.quiet)
                progress_ << "chat-load: the churn pool finished its cycles; sending ends\n";
        }
        if (!ended_early_.empty()) {
            ctx_.send_end_us =
                std::max<std::int64_t>(ctx_.clock.now_us(), ctx_.measure_start_us + 1000);
            progress_ << "chat-load: " << ended_early_ << "; the run ends now\n";
        }
        cpu1_ = cpu_seconds();
        server_m1_ = server_sample();
        wait1_ = runqueue_wait_seconds(loop_tids());
        wall1_ = ctx_.clock.now_us();
        rss_end_ = platform::resident_memory_bytes();
    }

    // The target dropped every measured client: nothing more can be measured. Sets the reason.
    bool everyone_dropped() {
        if (!ended_early_.empty())
            return true;
        // A client ramp may want nobody connected, unless senders or slow readers (always).
        const bool may_be_empty = ramps_clients(scen_.stages) && plan_.senders + plan_.slow == 0;
        if (plan_.clients.empty() || may_be_empty || sum(&event_loop::connected) > 0)
            return false;
        ended_early_ = "the target dropped every client (0 of " +
                       with_commas(plan_.clients.size()) + " connected)";
        return true;
    }

    // --threshold 'RULE:abort[=DELAY]' / --abort-on-fail: judges the abort rules on the
    // measured seconds so far (k6 semantics: a rule that fails now ends the run); a rule whose
    // value is not known yet does not. Sets the reason.
    void check_abort() {
        const auto now = ctx_.clock.now_us();
        if (!ended_early_.empty() || now < ctx_.measure_start_us)
            return;
        run_result so_far;
        so_far.totals = live_;
        so_far.histograms.latency = histogram(live_latency_);
        so_far.run.measure_start_unix_ms = ctx_.measure_start_us / 1000;
        so_far.run.measure_end_unix_ms = now / 1000;
        for (const auto& rule : scen_.parsed_thresholds) {
            if (!rule.abort || now - ctx_.measure_start_us < rule.abort_delay_us)
                continue;
            const auto value = metric_value(so_far, rule.metric);
            if (!value || evaluate(rule, value).pass)
                continue;
            ended_early_ = "threshold '" + rule.text + "' failed after " +
                           fixed(static_cast<double>(now - ctx_.measure_start_us) / 1e6, 1) +
                           " s of the measured window (actual " + format_value(rule, *value) + ")";
            return;
        }
    }

    // Phase 4: drain until nothing has arrived for 500 ms, bounded. Messages in time arrive
    // within --lifetime of the end of sending; the reading goes on for up to one more lifetime
    // while messages still arrive, so a slow one is seen as late rather than counted lost.
    void drain() {
        auto last = sum(&event_loop::activity);
        auto last_change = ctx_.clock.now_us();
        sleep_until(ctx_.send_end_us + 2 * scen_.lifetime_ms * 1000, [&] {
            const auto a = sum(&event_loop::activity);
            const auto now = ctx_.clock.now_us();
            if (a != last) {
                last = a;
                last_change = now;
            }
            return now - last_change >= 500'000;
        });
        drain_end_us_ = ctx_.clock.now_us();
    }

    // Slow readers read again to learn whether the server dropped them (bounded).
    void drain_slow_readers() {
        if (plan_.slow == 0)
            return;
        each([](event_loop& l) { l.drain_slow_readers(); });
        std::this_thread::sleep_for(milliseconds(100));
        sleep_until(ctx_.clock.now_us() + 10'000'000,
                    [&] { return sum(&event_loop::slow_draining) == 0; });
    }

    // Phase 5: close everyone (bounded), publish the last second, stop the threads.
    void close_all() {
        ctx_.ending = true;
        each([](event_loop& l) { l.close_all(); });
        sleep_until(ctx_.clock.now_us() + 3'000'000, [&] {
            return sum(&event_loop::closing_or_open) == 0 &&
                   sum(&event_loop::churners_running) == 0;
        });
        each([](event_loop& l) { l.publish_final(); });
        std::this_thread::sleep_for(milliseconds(50));
        stop_threads();
    }

    void stop_threads() {
        for (auto& g : guards_)
            g.reset();
        for (auto& l : loops_)
            l->io().stop();
        for (auto& t : threads_)
            if (t.joinable())
                t.join();
    }

    // Phase 6: what the loops measured, as one result (the threads have stopped).
    run_result collect() {
        run_result r;
        r.scenario = record_of(scen_, plan_.room_prefix);
        r.run = run_window();
        r.plan = {static_cast<long>(plan_.clients.size()), static_cast<long>(plan_.rooms.size()),
                  plan_.senders, plan_.slow};
        r.environment.push_back(environment());
        r.limits.push_back(limits_.record);
        r.memory = memory();
        r.cpu = cpu();
        for (const auto& url : scen_.urls)
            r.endpoints.push_back({url, 0, 0, 0, 0, 0, {}});
        for (auto& l : loops_) {
            r.totals.add(l->totals());
            r.histograms.merge(l->histograms());
            for (std::size_t e = 0; e < r.endpoints.size(); ++e)
                r.endpoints[e].merge(l->endpoints()[e]);
        }
        r.expected = expected_deliveries();
        if (scen_.server_pid > 0)
            r.server = server_figures(r.totals.delivered);
        r.timeline = timeline();
        if (!scen_.stages.empty())
            r.stages =
                stage_results(r, scen_.stage_texts, scen_.stages, {scen_.rate, scen_.clients, 0});
        clients_.clear();
        loops_.clear();
        finalize(r, scen_.parsed_thresholds);
        return r;
    }

    run_record run_window() const {
        run_record run;
        run.tag = ctx_.run_tag;
        run.target = scen_.url;
        run.worker_index = scen_.worker_index;
        run.worker_count = scen_.worker_count;
        run.timeline_start_unix_ms = ctx_.timeline_start_us / 1000;
        run.connect_done_unix_ms = connect_done_us_ / 1000;
        run.send_start_unix_ms = ctx_.send_start_us / 1000;
        run.measure_start_unix_ms = ctx_.measure_start_us / 1000;
        run.measure_end_unix_ms = ctx_.send_end_us / 1000;
        run.drain_end_unix_ms = drain_end_us_ / 1000;
        run.ended_early = ended_early_;
        return run;
    }

    worker_environment environment() const {
        return {platform::host_name().value.value_or(""), static_cast<long>(::getpid()),
                std::thread::hardware_concurrency(), scen_.threads, scen_.worker_index};
    }

    memory_record memory() const {
        memory_record m;
        m.rss_before_clients = rss_before_ ? *rss_before_.value : 0;
        m.rss_idle = rss_idle_ ? *rss_idle_.value : 0;
        m.rss_end_of_measure = rss_end_ ? *rss_end_.value : 0;
        m.idle_clients = idle_clients_;
        m.idle_growth = m.rss_idle > m.rss_before_clients ? m.rss_idle - m.rss_before_clients : 0;
        return m;
    }

    cpu_record cpu() const {
        cpu_record c;
        c.seconds = cpu1_ - cpu0_;
        c.runqueue_wait_seconds = wait0_ >= 0 && wait1_ >= 0 ? wait1_ - wait0_ : -1;
        c.wall_seconds = static_cast<double>(wall1_ - wall0_) / 1e6;
        c.threads = scen_.threads;
        // getrusage() moves in clock ticks: over a window shorter than a quarter of a second
        // (a churn pool that finished during warm-up) the ratio is noise, once seen as 1257%,
        // so it is not judged.
        c.utilization_max = c.wall_seconds >= 0.25
                                ? c.seconds / (c.wall_seconds * static_cast<double>(c.threads))
                                : 0.0;
        return c;
    }

    // For each membership, the measured messages of its room sent after it joined and at least
    // --lifetime before its planned leave (README: delivery rule).
    std::uint64_t expected_deliveries() const {
        std::vector<std::vector<std::int64_t>> sent(plan_.rooms.size());
        for (auto& l : loops_)
            for (const auto& m : l->sent())
                sent[m.room].push_back(m.sent_us);
        for (auto& v : sent)
            std::sort(v.begin(), v.end());
        std::uint64_t expected = 0;
        for (auto& l : loops_)
            for (const auto& ses : l->sessions()) {
                const auto& v = sent[ses.room];
                const auto from = std::upper_bound(v.begin(), v.end(), ses.joined_us);
                auto to = v.end();
                if (ses.planned_leave_us != never)
                    to = std::upper_bound(v.begin(), v.end(),
                                          ses.planned_leave_us - scen_.lifetime_ms * 1000);
                if (to > from)
                    expected += static_cast<std::uint64_t>(to - from);
            }
        return expected;
    }

    // The loops' published seconds, added second by second.
    std::vector<timeline_point> timeline() const {
        timeline_sum sum;
        for (auto& l : loops_)
            sum.add(l->published_copy());
        return sum.points();
    }

    // Sum of a loop figure over the loops (atomics, safe while they run).
    template <class F> long long sum(F f) const {
        long long n = 0;
        for (const auto& l : loops_)
            n += static_cast<long long>(std::invoke(f, *l));
        return n;
    }

    // Runs fn on every loop's thread.
    template <class F> void each(F fn) {
        for (auto& l : loops_)
            net::post(l->io(), [&l, fn] { fn(*l); });
    }

    std::vector<long> loop_tids() const {
        std::vector<long> v;
        for (const auto& t : tids_)
            v.push_back(t.load());
        return v;
    }

    // Waits until `until_us` or done(), printing progress meanwhile.
    template <class Done> void sleep_until(std::int64_t until_us, Done done) {
        while (ctx_.clock.now_us() < until_us && !done()) {
            print_progress();
            std::this_thread::sleep_for(milliseconds(20));
        }
        print_progress();
    }

    // One line per second from the loops' published seconds.
    void print_progress() {
        const long now_s =
            static_cast<long>((ctx_.clock.now_us() - ctx_.timeline_start_us - 200'000) / 1'000'000);
        for (; next_progress_ <= now_s; ++next_progress_) {
            const long sec = next_progress_ - 1;
            counters c;
            sparse_histogram latency;
            for (std::size_t i = 0; i < loops_.size(); ++i) {
                // Only the seconds not seen yet; a loop publishes them in order.
                const auto fresh = loops_[i]->published_from(progress_cursor_[i]);
                std::size_t used = 0;
                for (const auto& ps : fresh) {
                    if (ps.second > sec)
                        break;
                    ++used;
                    if (ps.second == sec) {
                        c.add(ps.c);
                        latency.merge(ps.latency);
                    }
                }
                progress_cursor_[i] += used;
            }
            // The measured seconds so far, for the abort rules.
            if (ctx_.timeline_start_us + sec * 1'000'000 >= ctx_.measure_start_us) {
                live_.add(c);
                live_latency_.merge(latency);
            }
            if (!scen_.quiet)
                progress_line(sec, c, histogram(latency));
        }
        if (abort_rules_)
            check_abort();
    }

    void progress_line(long sec, const counters& c, const histogram& h) {
        const auto at = ctx_.timeline_start_us + (sec + 1) * 1'000'000;
        const char* phase = at <= ctx_.send_start_us      ? "connect"
                            : at <= ctx_.measure_start_us ? "warm-up"
                            : at <= ctx_.send_end_us      ? "measure"
                                                          : "drain";
        char line[256];
        std::snprintf(line, sizeof line,
                      "[%4lds %-7s] connected %lld/%lld  sent/s %" PRIu64 "  delivered/s %" PRIu64
                      "  p99 %s  errors %" PRIu64 "  dropped %" PRIu64 "\n",
                      sec + 1, phase, sum(&event_loop::connected),
                      static_cast<long long>(plan_.clients.size()), c.sent + c.sent_warmup,
                      c.delivered, h.count() ? fmt_latency(h.percentile(99)).c_str() : "-",
                      c.error_total(), c.dropped + c.dropped_slow);
        progress_ << line << std::flush;
    }

    const scenario& scen_;
    std::ostream& progress_;
    const std::string run_tag_;
    const plan plan_;
    run_context ctx_;
    limits_report limits_;
    std::vector<std::unique_ptr<event_loop>> loops_;
    std::vector<std::unique_ptr<load_client>> clients_;
    std::vector<std::thread> threads_;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> guards_;
    std::vector<std::atomic<long>> tids_;

    // Progress.
    long long planned_ = 0;
    long next_progress_ = 1;
    std::vector<std::size_t> progress_cursor_;

    // What the coordinator itself measures.
    std::int64_t connect_done_us_ = 0, drain_end_us_ = 0;
    platform::result<std::uint64_t> rss_before_, rss_idle_, rss_end_;
    long idle_clients_ = 0;
    double cpu0_ = 0, cpu1_ = 0, wait0_ = -1, wait1_ = -1;
    std::int64_t wall0_ = 0, wall1_ = 0;

    // Ending early: a target that dropped everyone, an abort rule that failed.
    std::string ended_early_;
    const bool abort_rules_ =
        std::any_of(scen_.parsed_thresholds.begin(), scen_.parsed_thresholds.end(),
                    [](const threshold& t) { return t.abort; });
    counters live_;
    sparse_histogram live_latency_;

    // --server-pid.
    std::unique_ptr<process_watch> server_watch_;
    std::string server_error_;
    std::optional<process_sample> server_before_, server_idle_, server_m0_, server_m1_;
};

} // namespace

run_result run(const scenario& s, std::ostream& progress) {
    coordinator c(s, progress);
    auto r = c.run();
    // Exit 2 always says why, on one line, --quiet or not.
    if (r.exit_code == 2) {
        std::string why;
        for (const auto& reason : r.validity.reasons)
            why += (why.empty() ? "" : "; ") + reason;
        progress << "chat-load: error: run INVALID: " << why << "\n";
    }
    return r;
}

} // namespace chat::load
