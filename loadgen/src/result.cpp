// Finalising results (validity, thresholds, verdict) and the exact merge of worker results.
#include "result.hpp"

#include "scenario.hpp"

#include <algorithm> // max, min
#include <stdexcept> // invalid_argument

namespace chat::load {
namespace {

double statistic(const histogram& h, const std::string& stat) {
    if (stat == "min")
        return static_cast<double>(h.min());
    if (stat == "max")
        return static_cast<double>(h.max());
    if (stat == "mean")
        return h.mean();
    return static_cast<double>(h.percentile(std::stod(stat.substr(1))));
}

// The sentence that says how starved the generator's threads were, or "".
std::string starvation(const cpu_record& cpu) {
    const double wait = cpu.runqueue_wait_seconds, wall = cpu.wall_seconds;
    if (wait > 0 && wall > 0 && wait > 0.05 * wall)
        return " (its threads waited " + fixed(wait, 1) + " s for a CPU in " + fixed(wall, 1) +
               " s: the machine is oversubscribed; stop other work or use fewer threads)";
    return {};
}

// The generator must have kept up with its own schedule, and the target delivered something.
validity_record judge_validity(const run_result& r) {
    validity_record v;
    auto check = [&](const char* name, double limit, double actual, bool ok,
                     const std::string& why) {
        v.checks.push_back({name, limit, actual, ok});
        if (!ok)
            v.reasons.push_back(why);
    };
    const auto starved = starvation(r.cpu);
    const auto& sc = r.scenario;
    // Event-loop lag: the generator's own responsiveness.
    const auto loop_limit = static_cast<double>(sc.max_loop_lag_us);
    const auto loop = static_cast<double>(r.histograms.loop_lag.percentile(99));
    check(
        "loop_lag_p99_us", loop_limit, loop, loop <= loop_limit,
        "generator event-loop lag p99 " + ms(loop) + " > " + ms(loop_limit) +
            ": the generator could not keep up to measure the server" +
            (starved.empty() ? "; use more --threads or workers, or a lighter scenario" : starved));
    // Schedule lag: senders kept their intended times.
    const auto sched_limit = static_cast<double>(sc.max_schedule_lag_us);
    const auto sched = static_cast<double>(r.histograms.schedule_lag.percentile(99));
    check("schedule_lag_p99_us", sched_limit, sched, sched <= sched_limit,
          "senders fell behind their schedule: p99 " + ms(sched) + " > " + ms(sched_limit) +
              "; the generator could not send at the requested rate" + starved);
    // CPU: the generator was not saturated.
    const double util = r.cpu.utilization_max;
    check("cpu_utilization", sc.max_cpu, util, util <= sc.max_cpu,
          "the generator kept " + num(util * 100) + "% of its threads busy (limit " +
              num(sc.max_cpu * 100) + "%): CPU-saturated");
    // A server that delivered nothing at all is not slow but unusable as a target (it broke the
    // protocol, dropped everyone, or stopped answering): no numbers to judge.
    const auto& t = r.totals;
    const auto unsent = t.errors[static_cast<std::size_t>(error_kind::sender_disconnected)];
    std::string kinds;
    for (std::size_t k = 0; k < error_kinds; ++k)
        if (t.errors[k] > 0)
            kinds += (kinds.empty() ? "" : ", ") + std::string(to_string(error_kind(k))) + " x" +
                     with_commas(t.errors[k]);
    check("target_delivered", 1, static_cast<double>(t.delivered),
          t.delivered > 0 || (r.expected == 0 && t.sent == 0 && unsent == 0),
          "target unusable: the server delivered no message (" + with_commas(r.expected) +
              " expected, " + with_commas(t.sent) + " sent, " + with_commas(unsent) +
              " not sent for want of a connection; errors: " +
              (kinds.empty() ? std::string("none") : kinds) + ")");
    v.valid = v.reasons.empty();
    return v;
}

// The merged window is the union of the workers' windows.
run_record merge_runs(const std::vector<run_result>& results,
                      const std::vector<std::string>& sources) {
    run_record run = results.front().run;
    run.worker_index.reset();
    run.worker_count = static_cast<long>(results.size());
    run.merged_from.clear();
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& w = results[i];
        run.timeline_start_unix_ms =
            std::min(run.timeline_start_unix_ms, w.run.timeline_start_unix_ms);
        run.send_start_unix_ms = std::min(run.send_start_unix_ms, w.run.send_start_unix_ms);
        run.measure_start_unix_ms =
            std::min(run.measure_start_unix_ms, w.run.measure_start_unix_ms);
        run.connect_done_unix_ms = std::max(run.connect_done_unix_ms, w.run.connect_done_unix_ms);
        run.measure_end_unix_ms = std::max(run.measure_end_unix_ms, w.run.measure_end_unix_ms);
        run.drain_end_unix_ms = std::max(run.drain_end_unix_ms, w.run.drain_end_unix_ms);
        run.merged_from.push_back({sources[i], w.run.worker_index, w.run.worker_count, w.run.tag,
                                   w.verdict, w.validity, w.memory, w.cpu});
    }
    return run;
}

// Timelines align by absolute time, to the nearest second, and add.
std::vector<timeline_point> merge_timelines(const std::vector<run_result>& results,
                                            std::int64_t start_unix_ms) {
    timeline_sum sum;
    for (const auto& r : results)
        sum.add(r.timeline,
                static_cast<long>((r.run.timeline_start_unix_ms - start_unix_ms + 500) / 1000));
    return sum.points();
}

// Endpoints merge by URL, in the order they first appear.
std::vector<endpoint_record> merge_endpoints(const std::vector<run_result>& results) {
    std::vector<endpoint_record> out;
    for (const auto& r : results)
        for (const auto& e : r.endpoints) {
            auto it = std::find_if(out.begin(), out.end(),
                                   [&](const endpoint_record& o) { return o.url == e.url; });
            if (it == out.end())
                out.push_back(e);
            else
                it->merge(e);
        }
    return out;
}

// The stages' spans and targets (rate, clients), before any measured figure.
std::vector<stage_record> stage_frames(const std::vector<std::string>& texts,
                                       const std::vector<stage>& stages, stage_point start) {
    std::vector<stage_record> out;
    std::chrono::microseconds begin{0};
    for (std::size_t i = 0; i < stages.size(); ++i) {
        stage_record s;
        s.text = i < texts.size() ? texts[i] : std::string{};
        const auto from = stage_at(stages, start.rate, start.clients, begin);
        s.from_s = static_cast<double>(begin.count()) / 1e6;
        begin += stages[i].duration;
        s.to_s = static_cast<double>(begin.count()) / 1e6;
        s.rate_from = from.rate;
        s.rate_to = stages[i].rate.value_or(s.rate_from);
        s.clients_from = from.clients;
        s.clients_to = stages[i].clients.value_or(s.clients_from);
        out.push_back(s);
    }
    return out;
}

// The index of the stage holding `t` (seconds since the measured window began), or
// stages.size().
std::size_t stage_holding(const std::vector<stage_record>& stages, double t) {
    for (std::size_t i = 0; i < stages.size(); ++i)
        if (t >= stages[i].from_s && t < stages[i].to_s)
            return i;
    return stages.size();
}

// One timeline second into the stage holding its midpoint.
void add_stage_second(stage_record& s, const timeline_point& p) {
    s.sent += p.c.sent;
    s.delivered += p.c.delivered;
    s.errors += p.c.error_total();
    s.seconds += 1;
}

// A reading of the connected clients (taken at the end of a timeline second) into its stage.
void add_stage_connected(stage_record& s, long connected) {
    const bool first = s.connected_readings++ == 0;
    s.connected_min = first ? connected : std::min(s.connected_min, connected);
    s.connected_max = first ? connected : std::max(s.connected_max, connected);
}

} // namespace

void timeline_sum::add(const std::vector<timeline_point>& points, long shift_s) {
    for (const auto& p : points) {
        const long sec = p.second + shift_s;
        auto& tp = by_second_[sec];
        tp.second = sec;
        tp.c.add(p.c);
        tp.connected += p.connected;
        tp.loop_lag_max_us = std::max(tp.loop_lag_max_us, p.loop_lag_max_us);
        tp.latency.merge(p.latency);
    }
}

std::vector<timeline_point> timeline_sum::points() const {
    std::vector<timeline_point> out;
    for (const auto& [sec, tp] : by_second_)
        out.push_back(tp);
    return out;
}

scenario_record record_of(const scenario& s, const std::string& room_prefix) {
    scenario_record r;
    r.url = s.url;
    r.urls = s.urls;
    r.clients = s.clients;
    r.rooms = s.rooms;
    r.distribution = s.distribution;
    r.zipf_exponent = s.zipf_exponent;
    r.senders_per_room = s.senders_per_room;
    r.rate_per_sender = s.rate;
    r.arrival = s.arrival;
    r.message_size = s.message_size;
    r.room_prefix = room_prefix;
    r.duration_ms = s.duration_ms;
    r.warm_up_ms = s.warm_up_ms;
    r.ramp_up = s.ramp_up;
    r.ramp_per_second = s.ramp_per_second;
    r.lifetime_ms = s.lifetime_ms;
    r.connect_timeout_ms = s.connect_timeout_ms;
    r.connect_concurrency = s.connect_concurrency;
    r.slow_readers = s.slow_readers;
    r.churn_per_second = s.churn;
    r.churn_pool = s.churn_pool;
    r.churn_rooms = s.churn_rooms;
    r.churn_cycles = s.churn_cycles;
    r.churn_send = s.churn_send;
    r.rest_pollers = s.rest_pollers;
    r.rest_rate = s.rest_rate;
    r.source_addresses = s.source_addresses;
    r.header_names = s.header_names();
    r.origin = s.origin;
    r.ca_file = s.ca_file;
    r.insecure = s.insecure;
    r.worker_index = s.worker_index;
    r.worker_count = s.worker_count;
    r.start_at_unix_ms = s.start_at_unix_ms;
    r.threads = s.threads;
    r.thresholds = s.thresholds;
    r.seed = s.seed;
    r.max_loop_lag_us = s.max_loop_lag_us;
    r.max_schedule_lag_us = s.max_schedule_lag_us;
    r.max_cpu = s.max_cpu;
    return r;
}

void histogram_set::merge(const histogram_set& o) {
    for (const auto& [name, member] : histogram_names)
        (this->*member).merge(o.*member);
}

const histogram* find_histogram(const histogram_set& h, const std::string& name) {
    for (const auto& [n, member] : histogram_names)
        if (name == n)
            return &(h.*member);
    return nullptr;
}

void endpoint_record::merge(const endpoint_record& o) {
    connects += o.connects;
    connect_failures += o.connect_failures;
    delivered += o.delivered;
    delivered_same_endpoint += o.delivered_same_endpoint;
    delivered_cross_endpoint += o.delivered_cross_endpoint;
    latency.merge(o.latency);
}

std::uint64_t run_result::lost() const noexcept {
    const auto arrived = totals.delivered + totals.late;
    return expected > arrived ? expected - arrived : 0;
}

std::uint64_t run_result::unexpected() const noexcept {
    const auto arrived = totals.delivered + totals.late;
    return arrived > expected ? arrived - expected : 0;
}

std::optional<double> run_result::delivery() const noexcept {
    if (expected == 0)
        return std::nullopt;
    return static_cast<double>(totals.delivered) / static_cast<double>(expected);
}

double run_result::delivered_per_s() const noexcept {
    const double s = run.measure_seconds();
    return s > 0 ? static_cast<double>(totals.delivered) / s : 0.0;
}

double run_result::sent_per_s() const noexcept {
    const double s = run.measure_seconds();
    return s > 0 ? static_cast<double>(totals.sent) / s : 0.0;
}

std::optional<double> metric_value(const run_result& r, const std::string& metric) {
    std::string name, stat;
    if (latency_metric(metric, &name, &stat)) {
        const auto* h = find_histogram(r.histograms, name);
        if (!h || h->count() == 0)
            return std::nullopt;
        return statistic(*h, stat);
    }
    const auto& t = r.totals;
    if (metric == "delivery")
        return r.delivery();
    if (metric == "delivered_per_s")
        return r.delivered_per_s();
    if (metric == "lost")
        return static_cast<double>(r.lost());
    if (metric == "late")
        return static_cast<double>(t.late);
    if (metric == "errors")
        return static_cast<double>(t.error_total());
    const std::pair<const char*, std::uint64_t> counts[] = {
        {"duplicates", t.duplicates},
        {"out_of_order", t.out_of_order},
        {"dropped", t.dropped},
        {"dropped_slow", t.dropped_slow},
        {"connect_failures", t.connect_failures},
        {"sent", t.sent},
        {"delivered", t.delivered},
        {"rest_errors", t.rest_errors}};
    for (const auto& [n, v] : counts)
        if (metric == n)
            return static_cast<double>(v);
    return std::nullopt;
}

std::vector<threshold> thresholds_of(const run_result& r) {
    std::vector<threshold> out;
    for (const auto& t : r.scenario.thresholds)
        out.push_back(parse_threshold(t));
    return out;
}

void finalize(run_result& r, const std::vector<threshold>& thresholds) {
    r.validity = judge_validity(r);
    r.thresholds.clear();
    bool all_pass = true;
    for (const auto& rule : thresholds) {
        const auto o = evaluate(rule, metric_value(r, rule.metric));
        all_pass = all_pass && o.known && o.pass;
        r.thresholds.push_back(
            {rule, o.known ? std::optional<double>(o.actual) : std::nullopt, o.known && o.pass});
    }
    r.verdict = !r.validity.valid ? "INVALID" : all_pass ? "PASS" : "FAIL";
    r.exit_code = !r.validity.valid ? 2 : all_pass ? 0 : 1;
}

run_result merge(const std::vector<run_result>& results, const std::vector<std::string>& sources,
                 const std::vector<threshold>& thresholds) {
    if (results.empty())
        throw std::invalid_argument("merge: no result files given");
    run_result m;
    // The scenario is the whole one: the worker part no longer applies.
    m.scenario = results.front().scenario;
    m.scenario.worker_index.reset();
    m.scenario.worker_count = static_cast<long>(results.size());
    m.scenario.thresholds.clear();
    for (const auto& t : thresholds)
        m.scenario.thresholds.push_back(t.text);
    m.run = merge_runs(results, sources);
    // Counters, plans, memory and CPU add; environments and limits concatenate.
    for (const auto& r : results) {
        m.totals.add(r.totals);
        m.expected += r.expected;
        m.histograms.merge(r.histograms);
        m.environment.insert(m.environment.end(), r.environment.begin(), r.environment.end());
        m.limits.insert(m.limits.end(), r.limits.begin(), r.limits.end());
        m.plan.clients += r.plan.clients;
        m.plan.rooms += r.plan.rooms;
        m.plan.senders += r.plan.senders;
        m.plan.slow_clients += r.plan.slow_clients;
        m.memory.idle_growth += r.memory.idle_growth;
        m.memory.rss_before_clients += r.memory.rss_before_clients;
        m.memory.rss_idle += r.memory.rss_idle;
        m.memory.rss_end_of_measure += r.memory.rss_end_of_measure;
        m.memory.idle_clients += r.memory.idle_clients;
        m.cpu.seconds += r.cpu.seconds;
        m.cpu.runqueue_wait_seconds =
            std::max(0.0, m.cpu.runqueue_wait_seconds) + std::max(0.0, r.cpu.runqueue_wait_seconds);
        m.cpu.wall_seconds = std::max(m.cpu.wall_seconds, r.cpu.wall_seconds);
        m.cpu.utilization_max = std::max(m.cpu.utilization_max, r.cpu.utilization_max);
        m.cpu.threads += r.cpu.threads;
    }
    m.endpoints = merge_endpoints(results);
    m.timeline = merge_timelines(results, m.run.timeline_start_unix_ms);
    finalize(m, thresholds);
    return m;
}

std::vector<stage_record> stage_results(const run_result& r, const std::vector<std::string>& texts,
                                        const std::vector<stage>& stages, stage_point start) {
    auto out = stage_frames(texts, stages, start);
    const double measure_at =
        static_cast<double>(r.run.measure_start_unix_ms - r.run.timeline_start_unix_ms) / 1000;
    std::vector<sparse_histogram> latency(stages.size());
    for (const auto& p : r.timeline) {
        const auto t = static_cast<double>(p.second) - measure_at;
        // The counts by the second's midpoint; `connected` is read at the second's end.
        if (const auto i = stage_holding(out, t + 0.5); i < out.size()) {
            add_stage_second(out[i], p);
            latency[i].merge(p.latency);
        }
        if (const auto i = stage_holding(out, t + 1); i < out.size())
            add_stage_connected(out[i], p.connected);
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
        const histogram h(latency[i]);
        if (h.count() > 0) {
            out[i].p50_us = h.percentile(50);
            out[i].p99_us = h.percentile(99);
        }
    }
    return out;
}

} // namespace chat::load
