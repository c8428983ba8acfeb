// run_result <-> the JSON document `chat-load.result` v1, member by member as RESULTS-SCHEMA.md
// names them.
#include "result_json.hpp"

#include <stdexcept> // invalid_argument

namespace chat::load {
namespace {

using json = nlohmann::json;

// Reading: a missing member reads as its default; a member of the wrong shape throws.
template <class T> T get(const json& j, const char* key, T fallback = T{}) {
    if (!j.is_object() || !j.contains(key) || j[key].is_null())
        return fallback;
    return j[key].get<T>();
}

template <class T> std::optional<T> get_optional(const json& j, const char* key) {
    if (!j.is_object() || !j.contains(key) || j[key].is_null())
        return std::nullopt;
    return j[key].get<T>();
}

template <class T> json or_null(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

const json& member(const json& j, const char* key) {
    static const json empty = json::object();
    return j.is_object() && j.contains(key) ? j[key] : empty;
}

json summary_of(const histogram& h) {
    return {{"count", h.count()},          {"min", h.min()},          {"mean", h.mean()},
            {"p50", h.percentile(50)},     {"p90", h.percentile(90)}, {"p99", h.percentile(99)},
            {"p99.9", h.percentile(99.9)}, {"max", h.max()}};
}

json counters_json(const counters& c) {
    json j;
    for (const auto& [name, m] : counter_names)
        j[name] = c.*m;
    json e = json::object();
    for (std::size_t i = 0; i < error_kinds; ++i)
        e[to_string(static_cast<error_kind>(i))] = c.errors[i];
    j["errors_by_kind"] = std::move(e);
    j["errors"] = c.error_total();
    return j;
}

counters counters_from(const json& j) {
    counters c;
    for (const auto& [name, m] : counter_names)
        c.*m = get<std::uint64_t>(j, name);
    const auto& kinds = member(j, "errors_by_kind");
    for (std::size_t i = 0; i < error_kinds; ++i)
        c.errors[i] = get<std::uint64_t>(kinds, to_string(static_cast<error_kind>(i)));
    return c;
}

json scenario_json(const scenario_record& s) {
    return {
        {"url", s.url},
        {"urls", s.urls},
        {"clients", s.clients},
        {"rooms", s.rooms},
        {"distribution", s.distribution},
        {"zipf_exponent", s.zipf_exponent},
        {"senders_per_room", s.senders_per_room},
        {"rate_per_sender", s.rate_per_sender},
        {"arrival", s.arrival},
        {"message_size", s.message_size},
        {"room_prefix", s.room_prefix},
        {"duration_ms", s.duration_ms},
        {"warm_up_ms", s.warm_up_ms},
        {"ramp_up", s.ramp_up},
        {"ramp_per_second", s.ramp_per_second},
        {"lifetime_ms", s.lifetime_ms},
        {"connect_timeout_ms", s.connect_timeout_ms},
        {"connect_concurrency", s.connect_concurrency},
        {"slow_readers", s.slow_readers},
        {"churn_per_second", s.churn_per_second},
        {"churn_pool", s.churn_pool},
        {"churn_rooms", s.churn_rooms},
        {"churn_cycles", s.churn_cycles},
        {"churn_send", s.churn_send},
        {"rest_pollers", s.rest_pollers},
        {"rest_rate", s.rest_rate},
        {"source_addresses", s.source_addresses},
        {"header_names", s.header_names},
        {"origin", s.origin},
        {"ca_file", s.ca_file},
        {"insecure", s.insecure},
        {"worker", {{"index", or_null(s.worker_index)}, {"count", s.worker_count}}},
        {"start_at_unix_ms", s.start_at_unix_ms},
        {"threads", s.threads},
        {"thresholds", s.thresholds},
        {"seed", s.seed},
        {"max_loop_lag_us", s.max_loop_lag_us},
        {"max_schedule_lag_us", s.max_schedule_lag_us},
        {"max_cpu", s.max_cpu},
    };
}

scenario_record scenario_from(const json& j) {
    scenario_record s;
    s.url = get<std::string>(j, "url");
    s.urls = get<std::vector<std::string>>(j, "urls");
    if (s.urls.empty() && !s.url.empty())
        s.urls = {s.url};
    s.clients = get<long>(j, "clients");
    s.rooms = get<long>(j, "rooms");
    s.distribution = get<std::string>(j, "distribution");
    s.zipf_exponent = get<double>(j, "zipf_exponent", 1.0);
    s.senders_per_room = get<long>(j, "senders_per_room");
    s.rate_per_sender = get<double>(j, "rate_per_sender");
    s.arrival = get<std::string>(j, "arrival");
    s.message_size = get<long>(j, "message_size");
    s.room_prefix = get<std::string>(j, "room_prefix");
    s.duration_ms = get<std::int64_t>(j, "duration_ms");
    s.warm_up_ms = get<std::int64_t>(j, "warm_up_ms");
    s.ramp_up = get<std::string>(j, "ramp_up");
    s.ramp_per_second = get<double>(j, "ramp_per_second");
    s.lifetime_ms = get<std::int64_t>(j, "lifetime_ms");
    s.connect_timeout_ms = get<std::int64_t>(j, "connect_timeout_ms");
    s.connect_concurrency = get<long>(j, "connect_concurrency");
    s.slow_readers = get<double>(j, "slow_readers");
    s.churn_per_second = get<double>(j, "churn_per_second");
    s.churn_pool = get<long>(j, "churn_pool");
    s.churn_rooms = get<long>(j, "churn_rooms");
    s.churn_cycles = get<long>(j, "churn_cycles");
    s.churn_send = get<double>(j, "churn_send");
    s.rest_pollers = get<long>(j, "rest_pollers");
    s.rest_rate = get<double>(j, "rest_rate");
    s.source_addresses = get<std::vector<std::string>>(j, "source_addresses");
    s.header_names = get<std::vector<std::string>>(j, "header_names");
    s.origin = get<std::string>(j, "origin");
    s.ca_file = get<std::string>(j, "ca_file");
    s.insecure = get<bool>(j, "insecure");
    s.worker_index = get_optional<long>(member(j, "worker"), "index");
    s.worker_count = get<long>(member(j, "worker"), "count", 1);
    s.start_at_unix_ms = get<std::int64_t>(j, "start_at_unix_ms");
    s.threads = get<long>(j, "threads", 1);
    s.thresholds = get<std::vector<std::string>>(j, "thresholds");
    s.seed = get<std::uint64_t>(j, "seed");
    s.max_loop_lag_us = get<std::int64_t>(j, "max_loop_lag_us", 50000);
    s.max_schedule_lag_us = get<std::int64_t>(j, "max_schedule_lag_us", 50000);
    s.max_cpu = get<double>(j, "max_cpu", 0.95);
    return s;
}

json memory_json(const memory_record& m) {
    return {{"rss_before_clients_bytes", m.rss_before_clients},
            {"rss_idle_bytes", m.rss_idle},
            {"rss_end_of_measure_bytes", m.rss_end_of_measure},
            {"idle_clients", m.idle_clients},
            {"idle_growth_bytes", m.idle_growth},
            {"idle_bytes_per_client", m.idle_bytes_per_client()}};
}

memory_record memory_from(const json& j) {
    memory_record m;
    m.rss_before_clients = get<std::uint64_t>(j, "rss_before_clients_bytes");
    m.rss_idle = get<std::uint64_t>(j, "rss_idle_bytes");
    m.rss_end_of_measure = get<std::uint64_t>(j, "rss_end_of_measure_bytes");
    m.idle_clients = get<long>(j, "idle_clients");
    m.idle_growth = get<std::uint64_t>(j, "idle_growth_bytes");
    return m;
}

json cpu_json(const cpu_record& c) {
    return {{"seconds", c.seconds},
            {"wall_seconds", c.wall_seconds},
            {"runqueue_wait_seconds", c.runqueue_wait_seconds},
            {"threads", c.threads},
            {"utilization_max", c.utilization_max}};
}

cpu_record cpu_from(const json& j) {
    cpu_record c;
    c.seconds = get<double>(j, "seconds");
    c.wall_seconds = get<double>(j, "wall_seconds");
    c.runqueue_wait_seconds = get<double>(j, "runqueue_wait_seconds", -1.0);
    c.threads = get<long>(j, "threads");
    c.utilization_max = get<double>(j, "utilization_max");
    return c;
}

json server_json(const server_record& s) {
    json samples = json::array();
    for (const auto& x : s.samples)
        samples.push_back({x.second, x.cpu_share, x.rss_bytes});
    return {{"pid", s.pid},
            {"error", s.error.empty() ? json(nullptr) : json(s.error)},
            {"cpu_seconds", s.cpu_seconds},
            {"wall_seconds", s.wall_seconds},
            {"deliveries", s.deliveries},
            {"cpu_us_per_delivery", s.cpu_us_per_delivery()},
            {"rss_before_clients_bytes", s.rss_before_clients},
            {"rss_idle_bytes", s.rss_idle},
            {"rss_end_of_measure_bytes", s.rss_end_of_measure},
            {"rss_max_bytes", s.rss_max},
            {"connections", s.connections},
            {"bytes_per_connection", s.bytes_per_connection()},
            {"samples",
             {{"columns", {"second", "cpu_share", "rss_bytes"}}, {"points", std::move(samples)}}}};
}

server_record server_from(const json& j) {
    server_record s;
    s.pid = get<long>(j, "pid");
    s.error = get<std::string>(j, "error");
    s.cpu_seconds = get<double>(j, "cpu_seconds");
    s.wall_seconds = get<double>(j, "wall_seconds");
    s.deliveries = get<std::uint64_t>(j, "deliveries");
    s.rss_before_clients = get<std::uint64_t>(j, "rss_before_clients_bytes");
    s.rss_idle = get<std::uint64_t>(j, "rss_idle_bytes");
    s.rss_end_of_measure = get<std::uint64_t>(j, "rss_end_of_measure_bytes");
    s.rss_max = get<std::uint64_t>(j, "rss_max_bytes");
    s.connections = get<long>(j, "connections");
    const auto& points = member(member(j, "samples"), "points");
    if (points.is_array())
        for (const auto& p : points)
            s.samples.push_back(
                {p.at(0).get<double>(), p.at(1).get<double>(), p.at(2).get<std::uint64_t>()});
    return s;
}

json stages_json(const std::vector<stage_record>& stages) {
    json out = json::array();
    for (const auto& s : stages)
        out.push_back({{"stage", s.text},
                       {"from_s", s.from_s},
                       {"to_s", s.to_s},
                       {"rate_from", s.rate_from},
                       {"rate_to", s.rate_to},
                       {"clients_from", s.clients_from},
                       {"clients_to", s.clients_to},
                       {"connected_min", s.connected_min},
                       {"connected_max", s.connected_max},
                       {"connected_readings", s.connected_readings},
                       {"seconds", s.seconds},
                       {"sent", s.sent},
                       {"delivered", s.delivered},
                       {"delivered_per_s", s.delivered_per_s()},
                       {"errors", s.errors},
                       {"p50_us", s.p50_us},
                       {"p99_us", s.p99_us}});
    return out;
}

std::vector<stage_record> stages_from(const json& j) {
    std::vector<stage_record> out;
    if (!j.is_array())
        return out;
    for (const auto& x : j) {
        stage_record s;
        s.text = get<std::string>(x, "stage");
        s.from_s = get<double>(x, "from_s");
        s.to_s = get<double>(x, "to_s");
        s.rate_from = get<double>(x, "rate_from");
        s.rate_to = get<double>(x, "rate_to");
        s.clients_from = get<long>(x, "clients_from");
        s.clients_to = get<long>(x, "clients_to");
        s.connected_min = get<long>(x, "connected_min");
        s.connected_max = get<long>(x, "connected_max");
        s.connected_readings = get<long>(x, "connected_readings");
        s.seconds = get<double>(x, "seconds");
        s.sent = get<std::uint64_t>(x, "sent");
        s.delivered = get<std::uint64_t>(x, "delivered");
        s.errors = get<std::uint64_t>(x, "errors");
        s.p50_us = get<std::int64_t>(x, "p50_us");
        s.p99_us = get<std::int64_t>(x, "p99_us");
        out.push_back(s);
    }
    return out;
}

json validity_json(const validity_record& v) {
    json checks = json::array();
    for (const auto& c : v.checks)
        checks.push_back(
            {{"name", c.name}, {"limit", c.limit}, {"actual", c.actual}, {"ok", c.ok}});
    return {{"valid", v.valid}, {"checks", std::move(checks)}, {"reasons", v.reasons}};
}

validity_record validity_from(const json& j) {
    validity_record v;
    v.valid = get<bool>(j, "valid", true);
    for (const auto& c : member(j, "checks"))
        v.checks.push_back({get<std::string>(c, "name"), get<double>(c, "limit"),
                            get<double>(c, "actual"), get<bool>(c, "ok", true)});
    v.reasons = get<std::vector<std::string>>(j, "reasons");
    return v;
}

json limits_json(const limits_record& l) {
    json j;
    j["open_files"] = l.open_file_limit ? json{{"soft", l.open_file_limit->soft},
                                               {"hard", l.open_file_limit->hard}}
                                        : json(nullptr);
    j["ephemeral_ports"] = l.ephemeral_ports ? json{{"first", l.ephemeral_ports->first},
                                                    {"last", l.ephemeral_ports->last}}
                                             : json(nullptr);
    j["source_addresses"] = l.source_addresses;
    j["max_clients_by_open_files"] = l.max_clients_by_open_files;
    j["max_clients_by_ports"] = l.max_clients_by_ports;
    j["clients_in_this_process"] = l.clients_in_this_process;
    return j;
}

limits_record limits_from(const json& j) {
    limits_record l;
    if (const auto& f = member(j, "open_files"); !f.empty())
        l.open_file_limit = {get<std::uint64_t>(f, "soft"), get<std::uint64_t>(f, "hard")};
    if (const auto& p = member(j, "ephemeral_ports"); !p.empty())
        l.ephemeral_ports = {get<unsigned>(p, "first"), get<unsigned>(p, "last")};
    l.source_addresses = get<std::uint64_t>(j, "source_addresses", 1);
    l.max_clients_by_open_files = get<std::uint64_t>(j, "max_clients_by_open_files");
    l.max_clients_by_ports = get<std::uint64_t>(j, "max_clients_by_ports");
    l.clients_in_this_process = get<std::uint64_t>(j, "clients_in_this_process");
    return l;
}

json histogram_json(const sparse_histogram& h) {
    json buckets = json::array();
    for (const auto& [index, n] : h.buckets)
        buckets.push_back({index, n});
    return {{"v", 1},           {"unit", "us"},         {"digits", histogram::significant_digits},
            {"count", h.count}, {"min", h.min},         {"max", h.max},
            {"sum", h.sum},     {"clamped", h.clamped}, {"buckets", std::move(buckets)}};
}

json totals_json(const run_result& r) {
    json t = counters_json(r.totals);
    t["expected"] = r.expected;
    t["lost"] = r.lost();
    t["unexpected"] = r.unexpected();
    t["delivery"] = or_null(r.delivery());
    t["delivered_per_s"] = r.delivered_per_s();
    t["sent_per_s"] = r.sent_per_s();
    return t;
}

json timeline_json(const run_result& r) {
    json points = json::array();
    for (const auto& p : r.timeline) {
        json j = counters_json(p.c);
        const histogram h(p.latency);
        j["t"] = p.second;
        j["connected"] = p.connected;
        j["loop_lag_max_us"] = p.loop_lag_max_us;
        j["latency"] = histogram_json(p.latency);
        j["latency_p50_us"] = h.percentile(50);
        j["latency_p99_us"] = h.percentile(99);
        j["latency_max_us"] = h.max();
        points.push_back(std::move(j));
    }
    return {{"start_unix_ms", r.run.timeline_start_unix_ms},
            {"interval_ms", 1000},
            {"points", std::move(points)}};
}

std::vector<timeline_point> timeline_from(const json& j) {
    std::vector<timeline_point> out;
    for (const auto& p : member(j, "points")) {
        timeline_point tp;
        tp.second = get<long>(p, "t");
        tp.c = counters_from(p);
        tp.connected = get<long>(p, "connected");
        tp.loop_lag_max_us = get<std::int64_t>(p, "loop_lag_max_us");
        tp.latency = histogram::from_json(p.at("latency")).sparse();
        out.push_back(std::move(tp));
    }
    return out;
}

json run_json(const run_result& r) {
    const auto& run = r.run;
    json j = {{"tag", run.tag},
              {"target", run.target},
              {"worker", {{"index", or_null(run.worker_index)}, {"count", run.worker_count}}},
              {"timeline_start_unix_ms", run.timeline_start_unix_ms},
              {"connect_done_unix_ms", run.connect_done_unix_ms},
              {"send_start_unix_ms", run.send_start_unix_ms},
              {"measure_start_unix_ms", run.measure_start_unix_ms},
              {"measure_end_unix_ms", run.measure_end_unix_ms},
              {"drain_end_unix_ms", run.drain_end_unix_ms},
              {"measure_seconds", run.measure_seconds()},
              {"ended_early", run.ended_early.empty() ? json(nullptr) : json(run.ended_early)}};
    if (!run.merged_from.empty()) {
        json parts = json::array();
        for (const auto& p : run.merged_from)
            parts.push_back(
                {{"source", p.source},
                 {"worker", {{"index", or_null(p.worker_index)}, {"count", p.worker_count}}},
                 {"tag", p.tag},
                 {"verdict", p.verdict},
                 {"validity", validity_json(p.validity)},
                 {"memory", memory_json(p.memory)},
                 {"cpu", cpu_json(p.cpu)}});
        j["merged_from"] = std::move(parts);
    }
    return j;
}

run_record run_from(const json& j) {
    run_record run;
    run.tag = get<std::string>(j, "tag");
    run.target = get<std::string>(j, "target");
    run.worker_index = get_optional<long>(member(j, "worker"), "index");
    run.worker_count = get<long>(member(j, "worker"), "count", 1);
    run.timeline_start_unix_ms = get<std::int64_t>(j, "timeline_start_unix_ms");
    run.connect_done_unix_ms = get<std::int64_t>(j, "connect_done_unix_ms");
    run.send_start_unix_ms = get<std::int64_t>(j, "send_start_unix_ms");
    run.measure_start_unix_ms = get<std::int64_t>(j, "measure_start_unix_ms");
    run.measure_end_unix_ms = get<std::int64_t>(j, "measure_end_unix_ms");
    run.drain_end_unix_ms = get<std::int64_t>(j, "drain_end_unix_ms");
    run.ended_early = get<std::string>(j, "ended_early");
    for (const auto& p : member(j, "merged_from"))
        run.merged_from.push_back(
            {get<std::string>(p, "source"), get_optional<long>(member(p, "worker"), "index"),
             get<long>(member(p, "worker"), "count", 1), get<std::string>(p, "tag"),
             get<std::string>(p, "verdict"), validity_from(member(p, "validity")),
             memory_from(member(p, "memory")), cpu_from(member(p, "cpu"))});
    return run;
}

json endpoints_json(const std::vector<endpoint_record>& endpoints) {
    json out = json::array();
    for (const auto& e : endpoints)
        out.push_back({{"url", e.url},
                       {"connects", e.connects},
                       {"connect_failures", e.connect_failures},
                       {"delivered", e.delivered},
                       {"delivered_same_endpoint", e.delivered_same_endpoint},
                       {"delivered_cross_endpoint", e.delivered_cross_endpoint},
                       {"latency_us", e.latency.to_json()},
                       {"latency", summary_of(e.latency)}});
    return out;
}

std::vector<endpoint_record> endpoints_from(const json& j) {
    std::vector<endpoint_record> out;
    for (const auto& e : j) {
        endpoint_record r;
        r.url = get<std::string>(e, "url");
        r.connects = get<std::uint64_t>(e, "connects");
        r.connect_failures = get<std::uint64_t>(e, "connect_failures");
        r.delivered = get<std::uint64_t>(e, "delivered");
        r.delivered_same_endpoint = get<std::uint64_t>(e, "delivered_same_endpoint");
        r.delivered_cross_endpoint = get<std::uint64_t>(e, "delivered_cross_endpoint");
        r.latency = histogram::from_json(e.at("latency_us"));
        out.push_back(std::move(r));
    }
    return out;
}

void read_body(const json& doc, run_result& r) {
    r.scenario = scenario_from(member(doc, "scenario"));
    r.run = run_from(member(doc, "run"));
    const auto& plan = member(doc, "plan");
    r.plan = {get<long>(plan, "clients"), get<long>(plan, "rooms"), get<long>(plan, "senders"),
              get<long>(plan, "slow_clients")};
    for (const auto& w : member(member(doc, "environment"), "workers"))
        r.environment.push_back({get<std::string>(w, "hostname"), get<long>(w, "pid"),
                                 get<unsigned>(w, "hardware_threads"),
                                 get<long>(w, "generator_threads"), get<long>(w, "worker")});
    // One process writes an object; a merge, one per worker.
    const auto& limits = member(doc, "limits");
    if (limits.is_array())
        for (const auto& l : limits)
            r.limits.push_back(limits_from(l));
    else
        r.limits.push_back(limits_from(limits));
    r.memory = memory_from(member(doc, "memory"));
    r.cpu = cpu_from(member(doc, "cpu"));
    if (doc.contains("stages") && doc["stages"].is_array())
        r.stages = stages_from(doc["stages"]);
    if (doc.contains("server") && doc["server"].is_object())
        r.server = server_from(doc["server"]);
    r.totals = counters_from(member(doc, "totals"));
    r.expected = get<std::uint64_t>(member(doc, "totals"), "expected");
    const auto& hs = member(doc, "histograms");
    for (const auto& [name, m] : histogram_names)
        if (hs.contains(name)) // the endpoint histograms are younger than schema v1
            r.histograms.*m = histogram::from_json(hs[name]);
    r.endpoints = endpoints_from(member(doc, "endpoints"));
    r.timeline = timeline_from(member(doc, "timeline"));
    r.validity = validity_from(member(doc, "validity"));
    for (const auto& t : member(doc, "thresholds"))
        r.thresholds.push_back({parse_threshold(get<std::string>(t, "expr")),
                                get_optional<double>(t, "actual"), get<bool>(t, "pass")});
    r.verdict = get<std::string>(doc, "verdict");
    r.exit_code = get<int>(doc, "exit_code", 2);
}

} // namespace

json to_json(const run_result& r) {
    json doc;
    doc["schema"] = result_schema;
    doc["schema_version"] = result_schema_version;
    doc["tool"] = {{"name", "chat-load"}, {"version", "0.1.0"}};
    doc["run"] = run_json(r);
    doc["scenario"] = scenario_json(r.scenario);
    doc["plan"] = {{"clients", r.plan.clients},
                   {"rooms", r.plan.rooms},
                   {"senders", r.plan.senders},
                   {"slow_clients", r.plan.slow_clients}};
    json workers = json::array();
    for (const auto& w : r.environment)
        workers.push_back({{"hostname", w.hostname},
                           {"pid", w.pid},
                           {"hardware_threads", w.hardware_threads},
                           {"generator_threads", w.generator_threads},
                           {"worker", w.worker}});
    doc["environment"] = {{"workers", std::move(workers)}};
    // One process writes its limits as an object; a merge writes one per worker.
    if (r.run.merged_from.empty() && r.limits.size() == 1) {
        doc["limits"] = limits_json(r.limits.front());
    } else {
        doc["limits"] = json::array();
        for (const auto& l : r.limits)
            doc["limits"].push_back(limits_json(l));
    }
    doc["memory"] = memory_json(r.memory);
    doc["cpu"] = cpu_json(r.cpu);
    doc["server"] = r.server ? server_json(*r.server) : json(nullptr);
    doc["stages"] = stages_json(r.stages);
    doc["totals"] = totals_json(r);
    for (const auto& [name, m] : histogram_names) {
        doc["histograms"][name] = (r.histograms.*m).to_json();
        doc["summary"][name] = summary_of(r.histograms.*m);
    }
    doc["endpoints"] = endpoints_json(r.endpoints);
    doc["timeline"] = timeline_json(r);
    doc["validity"] = validity_json(r.validity);
    json ts = json::array();
    for (const auto& t : r.thresholds)
        ts.push_back({{"expr", t.rule.text},
                      {"metric", t.rule.metric},
                      {"op", t.rule.op},
                      {"limit", t.rule.limit},
                      {"actual", or_null(t.actual)},
                      {"pass", t.pass}});
    doc["thresholds"] = std::move(ts);
    doc["verdict"] = r.verdict;
    doc["exit_code"] = r.exit_code;
    return doc;
}

run_result result_from_json(const json& doc, const std::string& source) {
    if (!doc.is_object() || get<std::string>(doc, "schema") != result_schema ||
        get<int>(doc, "schema_version") != result_schema_version)
        throw std::invalid_argument(source + ": not a " + result_schema + " v" +
                                    std::to_string(result_schema_version) + " document");
    run_result r;
    try {
        read_body(doc, r);
    } catch (const std::exception& e) {
        throw std::invalid_argument(source + ": " + e.what());
    }
    return r;
}

namespace {

const char* step_verdict_text(step_verdict v) {
    return v == step_verdict::pass ? "pass" : v == step_verdict::fail ? "fail" : "invalid";
}

json step_json(const step_outcome& s) {
    return {{"offered_per_s", s.offered_per_s},
            {"verdict", step_verdict_text(s.verdict)},
            {"why", s.why},
            {"delivered_per_s", s.delivered_per_s},
            {"p50_us", s.p50_us},
            {"p99_us", s.p99_us},
            {"delivery", s.delivery},
            {"attempt", s.attempt}};
}

json step_or_null(const std::optional<step_outcome>& s) {
    return s ? step_json(*s) : json(nullptr);
}

} // namespace

json to_json(const search_run& r) {
    json doc;
    doc["schema"] = search_schema;
    doc["schema_version"] = search_schema_version;
    doc["tool"] = {{"name", "chat-load"}, {"version", "0.1.0"}};
    doc["scenario"] = scenario_json(r.scenario);
    doc["slo"] = r.slo;
    doc["search"] = {{"from_per_s", r.options.from},
                     {"to_per_s", r.options.to},
                     {"growth", r.options.growth},
                     {"resolution", r.options.resolution},
                     {"max_steps", r.options.max_steps},
                     {"confirm", r.options.confirm},
                     {"step_ms", r.step_ms},
                     {"deliveries_per_unit_rate", r.deliveries_per_unit_rate}};
    json steps = json::array();
    for (std::size_t i = 0; i < r.result.steps.size(); ++i) {
        auto s = step_json(r.result.steps[i]);
        if (i < r.details.size()) {
            const auto& d = r.details[i];
            s["rate_per_sender"] = d.rate_per_sender;
            s["room_prefix"] = d.room_prefix;
            s["run_verdict"] = d.verdict;
            s["sent_per_s"] = d.sent_per_s;
            s["errors"] = d.errors;
            s["lost"] = d.lost;
            s["measure_seconds"] = d.measure_seconds;
            s["server_cpu_us_per_delivery"] = d.server_cpu_us_per_delivery;
            s["server_rss_max_bytes"] = d.server_rss_max;
        }
        steps.push_back(std::move(s));
    }
    doc["steps"] = std::move(steps);
    doc["capacity"] = {{"last_pass", step_or_null(r.result.last_pass)},
                       {"first_fail", step_or_null(r.result.first_fail)},
                       {"first_invalid", step_or_null(r.result.first_invalid)},
                       {"bracketed", r.result.bracketed},
                       {"ended", r.result.ended}};
    doc["wall_seconds"] = r.wall_seconds;
    doc["verdict"] = r.verdict;
    doc["exit_code"] = r.exit_code;
    return doc;
}

} // namespace chat::load
