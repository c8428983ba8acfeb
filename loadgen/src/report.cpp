// The report document and the console summary of a run, from the typed result.
#include "report.hpp"

#include "result_json.hpp"

#include <algorithm> // max, min

namespace chat::load {
namespace {

namespace rep = chat::reports;

std::string count(std::uint64_t v) {
    return with_commas(v);
}

std::string count(long v) {
    return with_commas(static_cast<std::uint64_t>(std::max(0L, v)));
}

// "p50 / p90 / p99 / p99.9 / max" of a histogram.
std::string percentiles(const histogram& h) {
    return ms(h.percentile(50)) + " / " + ms(h.percentile(90)) + " / " + ms(h.percentile(99)) +
           " / " + ms(h.percentile(99.9)) + " / " + ms(h.max());
}

std::string actual_text(const threshold_result& t) {
    return t.actual ? format_value(t.rule, *t.actual) : std::string("no such value in this result");
}

std::string percent(double ratio, int decimals) {
    return fixed(ratio * 100, decimals) + "%";
}

bool several_endpoints(const run_result& r) {
    return r.endpoints.size() > 1;
}

// A latency row: name, count, p50, p90, p99, p99.9, max, mean.
std::vector<std::string> latency_row(const std::string& name, const histogram& h) {
    return {name,
            count(h.count()),
            ms(h.percentile(50)),
            ms(h.percentile(90)),
            ms(h.percentile(99)),
            ms(h.percentile(99.9)),
            ms(h.max()),
            ms(h.mean())};
}

rep::table latency_table(const std::string& title) {
    return {title, {"measured", "count", "p50", "p90", "p99", "p99.9", "max", "mean"}, {}};
}

// What was asked: the scenario as a reader states it.
rep::section asked(const run_result& r) {
    const auto& sc = r.scenario;
    rep::section sec{"asked", "What was asked", {}, {}, {}};
    rep::table t{"Scenario", {"", ""}, {}};
    std::string urls;
    for (const auto& u : sc.urls)
        urls += (urls.empty() ? "" : ", ") + u;
    t.rows.push_back({sc.urls.size() > 1 ? "deployment" : "target",
                      sc.urls.size() > 1 ? std::to_string(sc.urls.size()) +
                                               " endpoints (client i on endpoint i mod " +
                                               std::to_string(sc.urls.size()) + "): " + urls
                                         : urls});
    t.rows.push_back({"clients", count(sc.clients) + " in " + count(sc.rooms) +
                                     (sc.rooms == 1 ? " room" : " rooms") + " (" + sc.distribution +
                                     ")"});
    t.rows.push_back({"senders", num(static_cast<double>(sc.senders_per_room)) + " per room at " +
                                     num(sc.rate_per_sender) + " msg/s each (" + sc.arrival +
                                     "), " + num(static_cast<double>(sc.message_size)) +
                                     " B messages"});
    t.rows.push_back({"time", "warm-up " + num(static_cast<double>(sc.warm_up_ms) / 1e3) +
                                  " s, measured " + num(static_cast<double>(sc.duration_ms) / 1e3) +
                                  " s; a message counts when it arrives within " +
                                  num(static_cast<double>(sc.lifetime_ms) / 1e3) + " s"});
    t.rows.push_back({"connect", sc.ramp_per_second > 0
                                     ? "ramp " + num(sc.ramp_per_second) + " clients/s"
                                     : "as fast as " + count(sc.connect_concurrency) +
                                           " attempts in flight allow"});
    if (sc.slow_readers > 0)
        t.rows.push_back(
            {"slow readers", percent(sc.slow_readers, 1) + " of the non-senders stop reading"});
    if (sc.churn_per_second > 0)
        t.rows.push_back(
            {"churn", num(sc.churn_per_second) + " clients/s leave their room and rejoin"});
    if (sc.churn_pool > 0)
        t.rows.push_back(
            {"churn pool", count(sc.churn_pool) + " clients cycling over " + count(sc.churn_rooms) +
                               " rooms, " +
                               (sc.churn_cycles > 0 ? count(sc.churn_cycles) + " cycles"
                                                    : std::string("until the end")) +
                               ", " + percent(sc.churn_send, 0) + " send"});
    if (sc.rest_pollers > 0)
        t.rows.push_back({"REST", count(sc.rest_pollers) + " pollers at " + num(sc.rest_rate) +
                                      " requests/s each"});
    if (r.run.worker_count > 1)
        t.rows.push_back({"workers", std::to_string(r.run.worker_count) + " processes"});
    if (!sc.thresholds.empty()) {
        std::string ts;
        for (const auto& th : sc.thresholds)
            ts += (ts.empty() ? "" : ", ") + th;
        t.rows.push_back({"thresholds", ts});
    }
    sec.tables.push_back(std::move(t));
    return sec;
}

// Seconds from the timeline's start to the measured window's.
double measure_offset_s(const run_result& r) {
    return static_cast<double>(r.run.measure_start_unix_ms - r.run.timeline_start_unix_ms) / 1000;
}

// --stage: a dashed line at each stage's start and at the end of the last one.
std::vector<rep::marker> stage_markers(const run_result& r) {
    std::vector<rep::marker> out;
    const double at = measure_offset_s(r);
    for (std::size_t i = 0; i < r.stages.size(); ++i)
        out.push_back({at + r.stages[i].from_s, "stage " + std::to_string(i + 1)});
    if (!r.stages.empty())
        out.push_back({at + r.stages.back().to_s, "end"});
    return out;
}

// A stage target over the timeline: `from` and `to` of each stage at its bounds.
template <class From, class To>
rep::series stage_target(const run_result& r, const std::string& name, From from, To to) {
    rep::series target{name, {}};
    const double at = measure_offset_s(r);
    for (const auto& st : r.stages) {
        target.points.push_back({at + st.from_s, from(st)});
        target.points.push_back({at + st.to_s, to(st)});
    }
    return target;
}

// p50, p99 and max per second on a log axis: a max of seconds would flatten a p50 of
// milliseconds on a linear one.
rep::chart latency_chart(const run_result& r) {
    rep::chart c{"Latency over time (from intended send time)",
                 "seconds since start",
                 "ms",
                 false,
                 true,
                 {}};
    rep::series p50{"p50", {}}, p99{"p99", {}}, pmax{"max", {}};
    for (const auto& p : r.timeline) {
        if (p.latency.count == 0)
            continue;
        const auto x = static_cast<double>(p.second);
        const histogram h(p.latency);
        p50.points.push_back(
            {x, static_cast<double>(std::max<std::int64_t>(1, h.percentile(50))) / 1e3});
        p99.points.push_back(
            {x, static_cast<double>(std::max<std::int64_t>(1, h.percentile(99))) / 1e3});
        pmax.points.push_back({x, static_cast<double>(std::max<std::int64_t>(1, h.max())) / 1e3});
    }
    c.lines = {p50, p99, pmax};
    return c;
}

// Deliveries per second, with late arrivals apart (they are not counted as delivered).
rep::chart deliveries_chart(const run_result& r) {
    rep::chart c{"Deliveries per second", "seconds since start", "per second", false, false, {}};
    rep::series del{"delivered/s", {}}, late{"late/s", {}};
    for (const auto& p : r.timeline) {
        const auto x = static_cast<double>(p.second);
        del.points.push_back({x, static_cast<double>(p.c.delivered)});
        late.points.push_back({x, static_cast<double>(p.c.late)});
    }
    c.lines = {del};
    if (r.totals.late > 0)
        c.lines.push_back(late);
    return c;
}

// Messages sent per second on their own axis (a room fans each one out to all its members, so
// on the deliveries' axis they would lie flat at the bottom), with the stages' target.
rep::chart sent_chart(const run_result& r) {
    rep::chart c{"Messages sent per second", "seconds since start", "per second", false, false, {}};
    rep::series sent{"sent/s", {}};
    for (const auto& p : r.timeline)
        sent.points.push_back(
            {static_cast<double>(p.second), static_cast<double>(p.c.sent + p.c.sent_warmup)});
    c.lines = {sent};
    if (!r.stages.empty()) {
        const auto senders = static_cast<double>(r.plan.senders);
        c.lines.push_back(stage_target(
            r, "target sent/s",
            [senders](const stage_record& st) { return st.rate_from * senders; },
            [senders](const stage_record& st) { return st.rate_to * senders; }));
    }
    return c;
}

// Connected clients on their own axis: a drop from 500 to 0 is invisible on a 0-120,000
// deliveries/s axis. With --stage, the client target beside them.
rep::chart connected_chart(const run_result& r) {
    rep::chart c{"Connected clients", "seconds since start", "clients", false, false, {}};
    rep::series conn{"connected", {}};
    for (const auto& p : r.timeline)
        conn.points.push_back({static_cast<double>(p.second), static_cast<double>(p.connected)});
    c.lines = {conn};
    if (!r.stages.empty())
        c.lines.push_back(stage_target(
            r, "client target",
            [](const stage_record& st) { return static_cast<double>(st.clients_from); },
            [](const stage_record& st) { return static_cast<double>(st.clients_to); }));
    return c;
}

// The share of deliveries at or below each latency.
rep::chart distribution_chart(const run_result& r) {
    const auto& h = r.histograms.latency;
    rep::chart c{"Latency distribution (share of deliveries at or below)",
                 "latency (ms, log)",
                 "percent",
                 true,
                 false,
                 {}};
    rep::series cdf{"deliveries", {}};
    std::uint64_t seen = 0;
    for (const auto& [index, n] : h.sparse().buckets) {
        seen += n;
        const auto v = std::min(histogram::highest_equivalent(index), h.max());
        cdf.points.push_back({static_cast<double>(v) / 1e3,
                              100.0 * static_cast<double>(seen) / static_cast<double>(h.count())});
    }
    c.lines = {cdf};
    return c;
}

// The charts of deliveries: each series on an axis where its changes show; the timelines
// marked at the stage boundaries.
std::vector<rep::chart> delivery_charts(const run_result& r) {
    std::vector<rep::chart> timelines = {latency_chart(r), deliveries_chart(r), sent_chart(r),
                                         connected_chart(r)};
    for (auto& c : timelines)
        c.x_markers = stage_markers(r);
    timelines.push_back(distribution_chart(r));
    return timelines;
}

// A stage's measured connected clients: "20", or "2 - 20" while they moved.
std::string connected_range(const stage_record& st) {
    if (st.connected_readings == 0)
        return "-";
    return st.connected_min == st.connected_max
               ? count(st.connected_min)
               : count(st.connected_min) + " - " + count(st.connected_max);
}

// --stage: each stage's figures.
rep::section stages_section(const run_result& r) {
    rep::section sec{"stages", "Stages", {}, {}, {}};
    sec.notes.push_back(
        "The send rate per sender and the client target follow the stages over the measured "
        "window (linear ramps; seconds since the window began). Receivers join as the target "
        "rises past them and leave as it falls; senders and slow readers stay connected. A "
        "timeline second belongs to the stage holding its midpoint; \"connected\" is the "
        "lowest and highest count read at the ends of the seconds (once a second) within it. "
        "Dashed lines on the timeline "
        "charts mark the stage boundaries.");
    rep::table t{"By stage",
                 {"stage", "from", "to", "rate per sender", "clients (target)", "connected", "sent",
                  "delivered", "delivered/s", "p50", "p99", "errors"},
                 {}};
    for (const auto& st : r.stages)
        t.rows.push_back({st.text, num(st.from_s) + " s", num(st.to_s) + " s",
                          num(st.rate_from) + " -> " + num(st.rate_to),
                          count(st.clients_from) + " -> " + count(st.clients_to),
                          connected_range(st), count(st.sent), count(st.delivered),
                          fixed(st.delivered_per_s(), 0), ms(st.p50_us), ms(st.p99_us),
                          count(st.errors)});
    sec.tables.push_back(std::move(t));
    return sec;
}

// The server's own figures (--server-pid) beside the client figures.
rep::section server_side(const server_record& s, const run_result& r) {
    rep::section sec{"server", "The server's side", {}, {}, {}};
    sec.notes.push_back("Process " + std::to_string(s.pid) +
                        ", read from /proc about once a second (CPU time: user + system).");
    if (!s.error.empty())
        sec.notes.push_back("Not all figures could be read: " + s.error + ".");
    rep::table t{"Server process", {"", ""}, {}};
    t.rows.push_back({"CPU over the measured window",
                      fixed(s.cpu_seconds, 2) + " s in " + fixed(s.wall_seconds, 2) + " s (" +
                          fixed(s.wall_seconds > 0 ? 100 * s.cpu_seconds / s.wall_seconds : 0, 1) +
                          "% of one core)"});
    t.rows.push_back({"CPU per delivery", fixed(s.cpu_us_per_delivery(), 3) + " us (" +
                                              with_commas(s.deliveries) + " deliveries)"});
    t.rows.push_back({"resident memory before clients / idle / end / max",
                      fixed(static_cast<double>(s.rss_before_clients) / 1048576, 1) + " / " +
                          fixed(static_cast<double>(s.rss_idle) / 1048576, 1) + " / " +
                          fixed(static_cast<double>(s.rss_end_of_measure) / 1048576, 1) + " / " +
                          fixed(static_cast<double>(s.rss_max) / 1048576, 1) + " MiB"});
    t.rows.push_back({"memory per connection",
                      fixed(s.bytes_per_connection(), 0) + " B (" +
                          with_commas(static_cast<std::uint64_t>(std::max(0L, s.connections))) +
                          " idle connections)"});
    t.rows.push_back({"generator CPU (for comparison)",
                      fixed(r.cpu.seconds, 2) + " s in " + fixed(r.cpu.wall_seconds, 2) + " s"});
    sec.tables.push_back(std::move(t));
    rep::chart cpu{"Server CPU", "seconds since start", "cores busy", false, false, {}};
    rep::chart mem{"Server resident memory", "seconds since start", "MiB", false, false, {}};
    rep::series c{"CPU", {}}, m{"resident", {}};
    for (const auto& x : s.samples) {
        c.points.push_back({x.second, x.cpu_share});
        m.points.push_back({x.second, static_cast<double>(x.rss_bytes) / 1048576});
    }
    cpu.lines = {c};
    mem.lines = {m};
    if (!s.samples.empty())
        sec.charts = {cpu, mem};
    return sec;
}

// What was delivered and how fast.
rep::section delivered(const run_result& r) {
    const auto& t = r.totals;
    const auto& hs = r.histograms;
    rep::section sec{"delivered", "What was delivered and how fast", {}, {}, {}};
    const auto delivery = r.delivery();
    rep::table d{"Deliveries", {"", ""}, {}};
    d.rows.push_back({"sent", count(t.sent) + " (" + fixed(r.sent_per_s(), 0) + "/s)"});
    d.rows.push_back({"expected deliveries", count(r.expected)});
    d.rows.push_back(
        {"delivered", count(t.delivered) + (delivery ? " (" + percent(*delivery, 4) + ")" : "")});
    d.rows.push_back({"delivered/s", fixed(r.delivered_per_s(), 0)});
    sec.tables.push_back(std::move(d));
    auto lt = latency_table("Latency");
    lt.rows.push_back(latency_row("delivery, from intended send time", hs.latency));
    lt.rows.push_back(latency_row("delivery, from actual send time", hs.latency_actual));
    lt.rows.push_back(latency_row("connect (TCP + upgrade)", hs.connect));
    sec.tables.push_back(std::move(lt));
    sec.charts = delivery_charts(r);
    return sec;
}

// Per endpoint: connects and what its clients received, same- and cross-endpoint.
rep::section endpoints(const run_result& r) {
    rep::section sec{"endpoints", "Endpoints", {}, {}, {}};
    sec.notes.push_back("Client i connects to endpoint i mod " +
                        std::to_string(r.endpoints.size()) +
                        "; a delivery is cross-endpoint when its sender sat on another endpoint "
                        "than its receiver. Latency from intended send time, per receiver's "
                        "endpoint.");
    rep::table t{"By endpoint",
                 {"endpoint", "connects", "connect failures", "delivered", "same endpoint",
                  "cross endpoint", "p50", "p99", "max"},
                 {}};
    for (const auto& e : r.endpoints)
        t.rows.push_back({e.url, count(e.connects), count(e.connect_failures), count(e.delivered),
                          count(e.delivered_same_endpoint), count(e.delivered_cross_endpoint),
                          ms(e.latency.percentile(50)), ms(e.latency.percentile(99)),
                          ms(e.latency.max())});
    sec.tables.push_back(std::move(t));
    auto lt = latency_table("Cost of the hop");
    lt.rows.push_back(
        latency_row("sender on the receiver's endpoint", r.histograms.latency_same_endpoint));
    lt.rows.push_back(
        latency_row("sender on another endpoint", r.histograms.latency_cross_endpoint));
    sec.tables.push_back(std::move(lt));
    return sec;
}

// A connect-time tail clustered at about 1 s or 3 s: the kernel retransmits an unanswered SYN
// after 1 s, then after 3 s in all (RFC 6298's initial RTO), and a SYN goes unanswered when the
// server's listen backlog (accept queue) is full. "" when the tail does not look like that.
std::string connect_tail_note(const histogram& connect) {
    if (connect.count() == 0)
        return {};
    const auto near = [](std::int64_t us, double s) {
        const double v = static_cast<double>(us) / 1e6;
        return v >= s * 0.97 && v <= s * 1.3;
    };
    for (const double p : {90.0, 99.0, 99.9})
        for (const double s : {1.0, 3.0})
            if (near(connect.percentile(p), s))
                return "Connect time p" + num(p) + " is " + ms(connect.percentile(p)) +
                       ", close to " + num(s) +
                       " s: the kernel retransmits a SYN that got no answer after 1 s (and again "
                       "at 3 s), and a SYN goes unanswered when the server's listen backlog is "
                       "full. Those clients waited for a retransmit, not for a slow server: "
                       "raise the backlog (listen(2) backlog, net.core.somaxconn, "
                       "net.ipv4.tcp_max_syn_backlog) or connect more slowly (--ramp-up, "
                       "--connect-concurrency).";
    return {};
}

// What went wrong: losses, duplicates, order, drops, errors by cause.
rep::section went_wrong(const run_result& r) {
    const auto& t = r.totals;
    rep::section sec{"wrong", "What went wrong", {}, {}, {}};
    rep::table d{"Deliveries and connections", {"", ""}, {}};
    d.rows.push_back({"lost (expected, never arrived)", count(r.lost())});
    d.rows.push_back({"late (arrived after --lifetime, not counted)", count(t.late)});
    d.rows.push_back({"duplicates", count(t.duplicates)});
    d.rows.push_back({"out of order", count(t.out_of_order)});
    if (r.unexpected() > 0)
        d.rows.push_back({"delivered beyond expected (a harness bug)", count(r.unexpected())});
    d.rows.push_back({"clients the server dropped", count(t.dropped)});
    d.rows.push_back({"connect failures", count(t.connect_failures)});
    const bool clean = r.lost() == 0 && t.late == 0 && t.duplicates == 0 && t.out_of_order == 0 &&
                       r.unexpected() == 0 && t.dropped == 0 && t.connect_failures == 0 &&
                       t.error_total() == 0;
    sec.notes.push_back(clean ? "Nothing: every expected message arrived once and in order, and "
                                "no error was seen."
                              : count(t.error_total()) + " errors in all.");
    sec.tables.push_back(std::move(d));
    rep::table e{"Errors by cause", {"cause", "count"}, {}};
    for (std::size_t k = 0; k < error_kinds; ++k)
        if (t.errors[k] > 0 && k != static_cast<std::size_t>(error_kind::sender_disconnected))
            e.rows.push_back({to_string(static_cast<error_kind>(k)), count(t.errors[k])});
    if (!e.rows.empty())
        sec.tables.push_back(std::move(e));
    if (t.not_sent() > 0)
        sec.notes.push_back(
            "Consequences, not counted as errors: " + count(t.not_sent()) +
            " scheduled messages were not sent (sender_disconnected) because their sender had "
            "been dropped or had never connected; the cause is counted above.");
    if (const auto note = connect_tail_note(r.histograms.connect); !note.empty())
        sec.notes.push_back(note);
    return sec;
}

// Slow readers: the server should drop them and nobody else.
rep::section slow_readers(const run_result& r) {
    rep::section sec{"slow", "Slow readers", {}, {}, {}};
    rep::table t{"Slow readers", {"", ""}, {}};
    t.rows.push_back({"slow readers the server dropped",
                      count(r.totals.dropped_slow) + " of " + count(r.plan.slow_clients)});
    t.rows.push_back({"messages they read before they stopped", count(r.totals.slow_deliveries)});
    sec.tables.push_back(std::move(t));
    return sec;
}

// Churn: leaves and rejoins of measured clients, and the churn pool's cycles.
rep::section churn(const run_result& r) {
    const auto& t = r.totals;
    rep::section sec{"churn", "Churn", {}, {}, {}};
    rep::table c{"Churn", {"", ""}, {}};
    if (r.scenario.churn_per_second > 0) {
        c.rows.push_back({"leaves", count(t.churn_leaves)});
        c.rows.push_back({"rejoins", count(t.churn_rejoins)});
        c.rows.push_back({"skipped (client not connected)", count(t.churn_skipped)});
        c.rows.push_back({"messages too close to a leave (not judged)", count(t.outside_window)});
    }
    if (r.scenario.churn_pool > 0) {
        c.rows.push_back({"churn-pool cycles", count(t.churn_cycles)});
        c.rows.push_back({"churn-pool cycles failed", count(t.churn_cycle_failures)});
    }
    sec.tables.push_back(std::move(c));
    return sec;
}

// REST pollers beside the live traffic.
rep::section rest(const run_result& r) {
    rep::section sec{"rest", "REST", {}, {}, {}};
    rep::table t{"REST requests", {"", ""}, {}};
    t.rows.push_back({"requests", count(r.totals.rest_requests)});
    t.rows.push_back({"failed or not 200", count(r.totals.rest_errors)});
    sec.tables.push_back(std::move(t));
    auto lt = latency_table("REST latency (from intended request time)");
    lt.rows.push_back(latency_row("response", r.histograms.rest));
    sec.tables.push_back(std::move(lt));
    return sec;
}

// The self-watch check's name and its figures, for people.
std::vector<std::string> check_row(const validity_check& c) {
    if (c.name == "loop_lag_p99_us")
        return {"event-loop lag p99", ms(c.limit), ms(c.actual), c.ok ? "ok" : "NO"};
    if (c.name == "schedule_lag_p99_us")
        return {"send schedule lag p99", ms(c.limit), ms(c.actual), c.ok ? "ok" : "NO"};
    if (c.name == "cpu_utilization")
        return {"busy share of the generator's threads", percent(c.limit, 0), percent(c.actual, 1),
                c.ok ? "ok" : "NO"};
    if (c.name == "target_delivered")
        return {"the target delivered a message", "at least 1", num(c.actual), c.ok ? "ok" : "NO"};
    return {c.name, num(c.limit), num(c.actual), c.ok ? "ok" : "NO"};
}

// Is the run valid: did the generator keep up (loop lag, schedule lag, CPU)?
rep::section valid(const run_result& r) {
    rep::section sec{"valid", "Is the run valid?", {}, {}, {}};
    if (r.validity.valid)
        sec.notes.push_back("Valid: the generator kept up with its own schedule, so the figures "
                            "above are the server's.");
    else
        for (const auto& reason : r.validity.reasons)
            sec.notes.push_back("INVALID: " + reason);
    rep::table t{"Generator self-watch", {"check", "limit", "actual", "kept"}, {}};
    for (const auto& c : r.validity.checks)
        t.rows.push_back(check_row(c));
    sec.tables.push_back(std::move(t));
    rep::table g{"Generator", {"", ""}, {}};
    g.rows.push_back({"threads", std::to_string(r.cpu.threads)});
    g.rows.push_back({"CPU over the measured window",
                      fixed(r.cpu.seconds, 2) + " s in " + fixed(r.cpu.wall_seconds, 2) + " s"});
    if (r.cpu.runqueue_wait_seconds >= 0)
        g.rows.push_back({"waited for a CPU", fixed(r.cpu.runqueue_wait_seconds, 2) + " s"});
    g.rows.push_back({"memory per idle client", fixed(r.memory.idle_bytes_per_client(), 0) + " B"});
    sec.tables.push_back(std::move(g));
    return sec;
}

// Cases for JUnit and the verdict: the self-watch checks, then the thresholds.
std::vector<rep::test_case> cases(const run_result& r) {
    std::vector<rep::test_case> out;
    for (const auto& c : r.validity.checks) {
        const auto row = check_row(c);
        rep::test_case tc;
        tc.id = "validity." + c.name;
        tc.group = "validity";
        tc.title =
            (c.name == "target_delivered" ? "target usable: " : "generator self-watch: ") + row[0];
        tc.result = c.ok ? rep::outcome::pass : rep::outcome::error;
        tc.expected = (c.name == "target_delivered" ? "" : "<= ") + row[1];
        tc.actual = row[2];
        out.push_back(std::move(tc));
    }
    for (const auto& th : r.thresholds) {
        rep::test_case tc;
        tc.id = "threshold." + th.rule.text;
        tc.group = "threshold";
        tc.title = th.rule.text;
        tc.result = th.pass ? rep::outcome::pass : rep::outcome::fail;
        tc.expected =
            th.rule.metric + " " + th.rule.op + " " + format_value(th.rule, th.rule.limit);
        tc.actual = actual_text(th);
        out.push_back(std::move(tc));
    }
    return out;
}

} // namespace

rep::document to_document(const run_result& r) {
    rep::document d;
    d.tool = "chat-load";
    const auto& sc = r.scenario;
    d.title = "chat-load: " + sc.url +
              (sc.urls.size() > 1 ? " and " + std::to_string(sc.urls.size() - 1) + " more" : "") +
              ", " + count(r.plan.clients) +
              (r.plan.clients == 1 ? " client in " : " clients in ") + count(r.plan.rooms) +
              (r.plan.rooms == 1 ? " room" : " rooms");
    std::string line = r.verdict + ": " + count(r.totals.delivered) + " of " + count(r.expected) +
                       " deliveries, p99 " + ms(r.histograms.latency.percentile(99));
    if (r.verdict == "INVALID")
        for (const auto& reason : r.validity.reasons)
            line += "; " + reason;
    d.verdict = line;
    d.data = to_json(r);
    if (!r.run.ended_early.empty())
        d.highlights.push_back("The run ended early: " + r.run.ended_early + ".");
    d.meta = {{"run tag", r.run.tag},
              {"measured", num(r.run.measure_seconds()) + " s"},
              {"workers", std::to_string(r.run.worker_count)}};
    // The sections, in the order a reader asks: what, how much and how fast, what broke, can
    // the figures be trusted. Features the run did not use get no section.
    d.sections.push_back(asked(r));
    d.sections.push_back(delivered(r));
    if (!r.stages.empty())
        d.sections.push_back(stages_section(r));
    if (several_endpoints(r))
        d.sections.push_back(endpoints(r));
    d.sections.push_back(went_wrong(r));
    if (r.plan.slow_clients > 0 || sc.slow_readers > 0)
        d.sections.push_back(slow_readers(r));
    if (sc.churn_per_second > 0 || sc.churn_pool > 0)
        d.sections.push_back(churn(r));
    if (sc.rest_pollers > 0)
        d.sections.push_back(rest(r));
    if (r.server)
        d.sections.push_back(server_side(*r.server, r));
    d.sections.push_back(valid(r));
    d.cases = cases(r);
    d.cases_title = "Validity checks and thresholds";
    d.group_label = "Kind";
    return d;
}

void print_summary(const run_result& r, std::ostream& out) {
    const auto& t = r.totals;
    const auto& h = r.histograms;
    auto row = [&](const std::string& k, const std::string& v) {
        std::string key = k;
        key.resize(std::max<std::size_t>(key.size(), 34), ' ');
        out << "  " << key << " " << v << "\n";
    };
    out << "chat-load summary (" << r.run.tag << ")\n";
    row("clients connected (idle)", count(r.memory.idle_clients) + " of " + count(r.plan.clients));
    row("measured", num(r.run.measure_seconds()) + " s");
    if (!r.run.ended_early.empty())
        row("ended early", r.run.ended_early);
    row("sent (sent/s)", count(t.sent) + " (" + fixed(r.sent_per_s(), 0) + ")");
    const auto delivery = r.delivery();
    row("delivered / expected", count(t.delivered) + " / " + count(r.expected) +
                                    (delivery ? " (" + fixed(*delivery * 100, 4) + "%)" : ""));
    row("delivered/s", fixed(r.delivered_per_s(), 0));
    row("lost, late, duplicated, out of order", count(r.lost()) + ", " + count(t.late) + ", " +
                                                    count(t.duplicates) + ", " +
                                                    count(t.out_of_order));
    row("latency p50/p90/p99/p99.9/max", percentiles(h.latency));
    row("  from actual send", percentiles(h.latency_actual));
    if (several_endpoints(r)) {
        row("  sender on the same endpoint", percentiles(h.latency_same_endpoint));
        row("  sender on another endpoint", percentiles(h.latency_cross_endpoint));
    }
    row("connect p50/p90/p99/p99.9/max", percentiles(h.connect));
    if (h.rest.count() > 0)
        row("REST p50/p90/p99/p99.9/max", percentiles(h.rest));
    if (several_endpoints(r)) {
        for (const auto& e : r.endpoints)
            row("endpoint " + e.url, count(e.connects) + " connects, " + count(e.connect_failures) +
                                         " failed, " + count(e.delivered) + " delivered (" +
                                         count(e.delivered_cross_endpoint) +
                                         " cross-endpoint), p99 " + ms(e.latency.percentile(99)));
    }
    row("dropped by server (slow / other)",
        count(t.dropped_slow) + " of " + count(r.plan.slow_clients) + " / " + count(t.dropped));
    row("errors", count(t.error_total()));
    for (std::size_t k = 0; k < error_kinds; ++k)
        if (t.errors[k] > 0 && k != static_cast<std::size_t>(error_kind::sender_disconnected))
            row(std::string("  ") + to_string(static_cast<error_kind>(k)), count(t.errors[k]));
    if (t.not_sent() > 0)
        row("not sent: sender disconnected",
            count(t.not_sent()) + " (a consequence, not an error)");
    if (const auto note = connect_tail_note(h.connect); !note.empty())
        row("connect tail", note);
    row("generator memory per idle client", fixed(r.memory.idle_bytes_per_client(), 0) + " B");
    const double wait = r.cpu.runqueue_wait_seconds;
    row("generator CPU", fixed(r.cpu.utilization_max * 100, 1) + "% of " +
                             std::to_string(r.cpu.threads) + " thread(s)" +
                             (wait >= 0 ? ", waited " + fixed(wait, 2) + " s for a CPU" : ""));
    row("loop lag p99 / schedule lag p99",
        ms(h.loop_lag.percentile(99)) + " / " + ms(h.schedule_lag.percentile(99)));
    for (const auto& st : r.stages)
        row("stage " + st.text, count(st.delivered) + " delivered (" +
                                    fixed(st.delivered_per_s(), 0) + "/s), p50 " + ms(st.p50_us) +
                                    ", p99 " + ms(st.p99_us) + ", errors " + count(st.errors) +
                                    ", connected " + connected_range(st));
    if (r.server) {
        const auto& sv = *r.server;
        row("server CPU (pid " + std::to_string(sv.pid) + ")",
            fixed(sv.cpu_seconds, 2) + " s in " + fixed(sv.wall_seconds, 2) + " s, " +
                fixed(sv.cpu_us_per_delivery(), 3) + " us per delivery");
        row("server memory per connection",
            fixed(sv.bytes_per_connection(), 0) + " B, resident max " +
                fixed(static_cast<double>(sv.rss_max) / 1048576, 1) + " MiB");
        if (!sv.error.empty())
            row("server figures", sv.error);
    }
    for (const auto& th : r.thresholds)
        row("threshold " + th.rule.text,
            std::string(th.pass ? "pass" : "FAIL") + " (actual " +
                (th.actual ? format_value(th.rule, *th.actual) : std::string{"n/a"}) + ")");
    for (const auto& reason : r.validity.reasons)
        row("INVALID", reason);
    row("verdict", r.verdict);
}

} // namespace chat::load
