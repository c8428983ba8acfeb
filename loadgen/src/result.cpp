// Building, finalising, merging and presenting results.
#include "result.hpp"

#include <algorithm> // max, min
#include <cinttypes> // PRIu64
#include <cstdio>    // snprintf
#include <map>       // map
#include <stdexcept> // invalid_argument
#include <unistd.h>  // getpid

namespace chat::load {
namespace {

using json = nlohmann::json;

const char* const histogram_names[] = {"latency_us", "latency_actual_us", "connect_us",
                                       "rest_us",    "loop_lag_us",       "schedule_lag_us"};

json summary_of(const histogram& h) {
    return {{"count", h.count()},          {"min", h.min()},          {"mean", h.mean()},
            {"p50", h.percentile(50)},     {"p90", h.percentile(90)}, {"p99", h.percentile(99)},
            {"p99.9", h.percentile(99.9)}, {"max", h.max()}};
}

std::string ms(double us) {
    char b[32];
    if (us >= 1e6)
        std::snprintf(b, sizeof b, "%.3f s", us / 1e6);
    else if (us >= 1e3)
        std::snprintf(b, sizeof b, "%.2f ms", us / 1e3);
    else
        std::snprintf(b, sizeof b, "%.0f us", us);
    return b;
}

std::string num(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.10g", v);
    return b;
}

std::string fixed(double v, int decimals) {
    char b[32];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    return b;
}

std::string count(std::uint64_t v) {
    const auto digits = std::to_string(v);
    std::string s;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            s.push_back(',');
        s.push_back(digits[i]);
    }
    return s;
}

json timeline_json(const std::vector<timeline_point>& points, std::int64_t start_ms) {
    json arr = json::array();
    for (const auto& p : points) {
        json j = p.c.to_json();
        j["t"] = p.second;
        j["connected"] = p.connected;
        j["loop_lag_max_us"] = p.loop_lag_max_us;
        j["latency"] = p.latency.to_json();
        arr.push_back(std::move(j));
    }
    return {{"start_unix_ms", start_ms}, {"interval_ms", 1000}, {"points", std::move(arr)}};
}

} // namespace

std::string with_commas(std::uint64_t v) {
    return count(v);
}

std::vector<threshold> thresholds_of(const json& doc) {
    std::vector<threshold> out;
    if (doc.contains("scenario") && doc["scenario"].contains("thresholds"))
        for (const auto& t : doc["scenario"]["thresholds"])
            out.push_back(parse_threshold(t.get<std::string>()));
    return out;
}

json build_result(const raw_result& r, const scenario& s) {
    json doc;
    doc["schema"] = result_schema;
    doc["schema_version"] = result_schema_version;
    doc["tool"] = {{"name", "chat-load"}, {"version", "0.1.0"}};
    doc["run"] = {{"tag", r.run_tag},
                  {"target", s.url},
                  {"worker", {{"index", s.worker_index}, {"count", s.worker_count}}},
                  {"timeline_start_unix_ms", r.timeline_start_unix_ms},
                  {"connect_done_unix_ms", r.connect_done_unix_ms},
                  {"send_start_unix_ms", r.send_start_unix_ms},
                  {"measure_start_unix_ms", r.measure_start_unix_ms},
                  {"measure_end_unix_ms", r.measure_end_unix_ms},
                  {"drain_end_unix_ms", r.drain_end_unix_ms}};
    doc["scenario"] = r.scenario;
    doc["plan"] = {{"clients", r.clients_planned},
                   {"rooms", r.rooms},
                   {"senders", r.senders},
                   {"slow_clients", r.slow_clients}};
    const json env = {{"hostname", r.hostname},
                      {"pid", static_cast<long>(::getpid())},
                      {"hardware_threads", r.hardware_threads},
                      {"generator_threads", s.threads},
                      {"worker", s.worker_index}};
    doc["environment"] = {{"workers", json::array({env})}};
    doc["limits"] = r.limits;
    const auto idle_growth = r.rss_idle > r.rss_before ? r.rss_idle - r.rss_before : 0;
    doc["memory"] = {{"rss_before_clients_bytes", r.rss_before},
                     {"rss_idle_bytes", r.rss_idle},
                     {"rss_end_of_measure_bytes", r.rss_end},
                     {"idle_clients", r.clients_connected_idle},
                     {"idle_growth_bytes", idle_growth}};
    doc["cpu"] = {{"seconds", r.cpu_seconds},
                  {"wall_seconds", r.cpu_wall_seconds},
                  {"runqueue_wait_seconds", r.runqueue_wait_seconds},
                  {"threads", s.threads},
                  // getrusage() moves in clock ticks: over a window shorter than a quarter of
                  // a second (a churn pool that finished during warm-up) the ratio is noise,
                  // once seen as 1257%, so it is not judged.
                  {"utilization_max",
                   r.cpu_wall_seconds >= 0.25
                       ? r.cpu_seconds / (r.cpu_wall_seconds * static_cast<double>(s.threads))
                       : 0.0}};
    json counts = r.totals.to_json();
    counts["expected"] = r.expected;
    doc["totals"] = counts;
    json hs;
    hs["latency_us"] = r.latency.to_json();
    hs["latency_actual_us"] = r.latency_actual.to_json();
    hs["connect_us"] = r.connect.to_json();
    hs["rest_us"] = r.rest.to_json();
    hs["loop_lag_us"] = r.loop_lag.to_json();
    hs["schedule_lag_us"] = r.schedule_lag.to_json();
    doc["histograms"] = hs;
    doc["timeline"] = timeline_json(r.timeline, r.timeline_start_unix_ms);
    finalize(doc, s.parsed_thresholds);
    return doc;
}

void finalize(json& doc, const std::vector<threshold>& thresholds) {
    // Memory per idle client and CPU.
    auto& mem = doc["memory"];
    const auto idle_clients = mem.value("idle_clients", 0L);
    mem["idle_bytes_per_client"] =
        idle_clients > 0 ? static_cast<double>(mem.value("idle_growth_bytes", std::uint64_t{0})) /
                               static_cast<double>(idle_clients)
                         : 0.0;

    // Totals derived from the exact counters.
    auto& t = doc["totals"];
    const auto expected = t.value("expected", std::uint64_t{0});
    const auto delivered = t.value("delivered", std::uint64_t{0});
    t["lost"] = expected > delivered ? expected - delivered : 0;
    t["unexpected"] = delivered > expected ? delivered - expected : 0;
    t["delivery"] = expected > 0
                        ? json(static_cast<double>(delivered) / static_cast<double>(expected))
                        : json(nullptr);
    const auto& run = doc["run"];
    const double seconds =
        static_cast<double>(run.value("measure_end_unix_ms", std::int64_t{0}) -
                            run.value("measure_start_unix_ms", std::int64_t{0})) /
        1000.0;
    doc["run"]["measure_seconds"] = seconds;
    t["delivered_per_s"] = seconds > 0 ? static_cast<double>(delivered) / seconds : 0.0;
    t["sent_per_s"] =
        seconds > 0 ? static_cast<double>(t.value("sent", std::uint64_t{0})) / seconds : 0.0;

    // Percentiles of every histogram.
    json summary;
    std::map<std::string, histogram> hs;
    for (const auto* name : histogram_names) {
        hs[name] = histogram::from_json(doc["histograms"][name]);
        summary[name] = summary_of(hs[name]);
    }
    doc["summary"] = summary;
    for (auto& p : doc["timeline"]["points"]) {
        const auto h = histogram::from_json(p["latency"]);
        p["latency_p50_us"] = h.percentile(50);
        p["latency_p99_us"] = h.percentile(99);
        p["latency_max_us"] = h.max();
    }

    // Validity: the generator must have kept up with its own schedule.
    const auto& sc = doc["scenario"];
    std::string starved;
    {
        const double wait = doc["cpu"].value("runqueue_wait_seconds", -1.0);
        const double wall = doc["cpu"].value("wall_seconds", 0.0);
        if (wait > 0 && wall > 0 && wait > 0.05 * wall)
            starved = " (its threads waited " + fixed(wait, 1) + " s for a CPU in " +
                      fixed(wall, 1) +
                      " s: the machine is oversubscribed; stop other work or use fewer threads)";
    }
    json checks = json::array();
    json reasons = json::array();
    auto check = [&](const std::string& name, double limit, double actual, bool ok,
                     const std::string& why) {
        checks.push_back({{"name", name}, {"limit", limit}, {"actual", actual}, {"ok", ok}});
        if (!ok)
            reasons.push_back(why);
    };
    {
        const double lim = sc.value("max_loop_lag_us", 50000.0);
        const double act = static_cast<double>(hs["loop_lag_us"].percentile(99));
        check("loop_lag_p99_us", lim, act, act <= lim,
              "generator event-loop lag p99 " + ms(act) + " > " + ms(lim) +
                  ": the generator could not keep up to measure the server" +
                  (starved.empty() ? "; use more --threads or workers, or a lighter scenario"
                                   : starved));
    }
    {
        const double lim = sc.value("max_schedule_lag_us", 50000.0);
        const double act = static_cast<double>(hs["schedule_lag_us"].percentile(99));
        check("schedule_lag_p99_us", lim, act, act <= lim,
              "senders fell behind their schedule: p99 " + ms(act) + " > " + ms(lim) +
                  "; the generator could not send at the requested rate" + starved);
    }
    {
        const double lim = sc.value("max_cpu", 0.95);
        const double act = doc["cpu"].value("utilization_max", 0.0);
        check("cpu_utilization", lim, act, act <= lim,
              "the generator kept " + num(act * 100) + "% of its threads busy (limit " +
                  num(lim * 100) + "%): CPU-saturated");
    }
    {
        // A server that delivered nothing at all is not slow but unusable as a target (it
        // broke the protocol, dropped everyone, or stopped answering): no numbers to judge.
        const auto& by_kind = t["errors_by_kind"];
        const auto sent = t.value("sent", std::uint64_t{0});
        const auto unsent = by_kind.value("sender_disconnected", std::uint64_t{0});
        std::string kinds;
        for (const auto& [kind, n] : by_kind.items())
            if (n.get<std::uint64_t>() > 0)
                kinds += (kinds.empty() ? "" : ", ") + kind + " x" + count(n.get<std::uint64_t>());
        check("target_delivered", 1, static_cast<double>(delivered),
              delivered > 0 || (expected == 0 && sent == 0 && unsent == 0),
              "target unusable: the server delivered no message (" + count(expected) +
                  " expected, " + count(sent) + " sent, " + count(unsent) +
                  " not sent for want of a connection; errors: " +
                  (kinds.empty() ? std::string("none") : kinds) + ")");
    }
    const bool valid = reasons.empty();
    doc["validity"] = {{"valid", valid}, {"checks", checks}, {"reasons", reasons}};

    // Thresholds.
    json ts = json::array();
    bool all_pass = true;
    for (const auto& rule : thresholds) {
        const auto o = evaluate(rule, doc);
        all_pass = all_pass && o.known && o.pass;
        ts.push_back({{"expr", rule.text},
                      {"metric", rule.metric},
                      {"op", rule.op},
                      {"limit", rule.limit},
                      {"actual", o.known ? json(o.actual) : json(nullptr)},
                      {"pass", o.known && o.pass}});
    }
    doc["thresholds"] = ts;
    doc["verdict"] = !valid ? "INVALID" : all_pass ? "PASS" : "FAIL";
    doc["exit_code"] = !valid ? 2 : all_pass ? 0 : 1;
}

json merge(const std::vector<json>& results, const std::vector<std::string>& sources,
           const std::vector<threshold>& thresholds) {
    if (results.empty())
        throw std::invalid_argument("merge: no result files given");
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& r = results[i];
        if (!r.is_object() || r.value("schema", std::string{}) != result_schema ||
            r.value("schema_version", 0) != result_schema_version)
            throw std::invalid_argument(sources[i] + ": not a " + result_schema + " v" +
                                        std::to_string(result_schema_version) + " document");
    }
    json doc = results.front();
    // Time window: the union of the workers' windows.
    auto min_of = [&](const char* k) {
        std::int64_t v = results.front()["run"].value(k, std::int64_t{0});
        for (const auto& r : results)
            v = std::min(v, r["run"].value(k, std::int64_t{0}));
        return v;
    };
    auto max_of = [&](const char* k) {
        std::int64_t v = results.front()["run"].value(k, std::int64_t{0});
        for (const auto& r : results)
            v = std::max(v, r["run"].value(k, std::int64_t{0}));
        return v;
    };
    for (const char* k : {"timeline_start_unix_ms", "send_start_unix_ms", "measure_start_unix_ms"})
        doc["run"][k] = min_of(k);
    for (const char* k : {"connect_done_unix_ms", "measure_end_unix_ms", "drain_end_unix_ms"})
        doc["run"][k] = max_of(k);
    json workers = json::array();
    for (std::size_t i = 0; i < results.size(); ++i)
        workers.push_back({{"source", sources[i]},
                           {"worker", results[i]["run"]["worker"]},
                           {"tag", results[i]["run"]["tag"]},
                           {"verdict", results[i]["verdict"]},
                           {"validity", results[i]["validity"]},
                           {"memory", results[i]["memory"]},
                           {"cpu", results[i]["cpu"]}});
    doc["run"]["worker"] = {{"index", nullptr}, {"count", results.size()}};
    doc["run"]["merged_from"] = workers;

    // Counters, plans, memory and CPU add; environments concatenate.
    counters total;
    std::uint64_t expected = 0;
    json env = json::array();
    json plan = {{"clients", 0}, {"rooms", 0}, {"senders", 0}, {"slow_clients", 0}};
    std::uint64_t growth = 0, rss_before = 0, rss_idle = 0, rss_end = 0;
    long idle = 0;
    double cpu_s = 0, wall = 0, util = 0, wait_s = 0;
    long threads = 0;
    for (const auto& r : results) {
        total.add(counters::from_json(r["totals"]));
        expected += r["totals"].value("expected", std::uint64_t{0});
        for (const auto& e : r["environment"]["workers"])
            env.push_back(e);
        for (const char* k : {"clients", "rooms", "senders", "slow_clients"})
            plan[k] = plan[k].get<long>() + r["plan"].value(k, 0L);
        growth += r["memory"].value("idle_growth_bytes", std::uint64_t{0});
        rss_before += r["memory"].value("rss_before_clients_bytes", std::uint64_t{0});
        rss_idle += r["memory"].value("rss_idle_bytes", std::uint64_t{0});
        rss_end += r["memory"].value("rss_end_of_measure_bytes", std::uint64_t{0});
        idle += r["memory"].value("idle_clients", 0L);
        cpu_s += r["cpu"].value("seconds", 0.0);
        wait_s += std::max(0.0, r["cpu"].value("runqueue_wait_seconds", 0.0));
        wall = std::max(wall, r["cpu"].value("wall_seconds", 0.0));
        util = std::max(util, r["cpu"].value("utilization_max", 0.0));
        threads += r["cpu"].value("threads", 0L);
    }
    json counts = total.to_json();
    counts["expected"] = expected;
    doc["totals"] = counts;
    doc["plan"] = plan;
    doc["environment"] = {{"workers", env}};
    doc["limits"] = json::array();
    for (const auto& r : results)
        doc["limits"].push_back(r["limits"]);
    doc["memory"] = {{"rss_before_clients_bytes", rss_before},
                     {"rss_idle_bytes", rss_idle},
                     {"rss_end_of_measure_bytes", rss_end},
                     {"idle_clients", idle},
                     {"idle_growth_bytes", growth}};
    doc["cpu"] = {{"seconds", cpu_s},
                  {"wall_seconds", wall},
                  {"runqueue_wait_seconds", wait_s},
                  {"threads", threads},
                  {"utilization_max", util}};
    // The scenario is the whole one: the worker part no longer applies.
    doc["scenario"]["worker"] = {{"index", nullptr}, {"count", results.size()}};
    json ths = json::array();
    for (const auto& th : thresholds)
        ths.push_back(th.text);
    doc["scenario"]["thresholds"] = ths;

    // Histograms merge bucket by bucket.
    for (const auto* name : histogram_names) {
        histogram h;
        for (const auto& r : results)
            h.merge(histogram::from_json(r["histograms"][name]));
        doc["histograms"][name] = h.to_json();
    }

    // Timelines align by absolute time.
    const auto start = doc["run"]["timeline_start_unix_ms"].get<std::int64_t>();
    std::map<long, timeline_point> points;
    for (const auto& r : results) {
        const auto offset_ms = r["timeline"].value("start_unix_ms", start) - start;
        for (const auto& p : r["timeline"]["points"]) {
            const long sec =
                p["t"].get<long>() + static_cast<long>((offset_ms + 500) / 1000); // nearest second
            auto& tp = points[sec];
            tp.second = sec;
            tp.c.add(counters::from_json(p));
            tp.connected += p.value("connected", 0L);
            tp.loop_lag_max_us =
                std::max(tp.loop_lag_max_us, p.value("loop_lag_max_us", std::int64_t{0}));
            tp.latency.merge(histogram::from_json(p["latency"]));
        }
    }
    std::vector<timeline_point> ordered;
    for (auto& [sec, tp] : points)
        ordered.push_back(std::move(tp));
    doc["timeline"] = timeline_json(ordered, start);
    finalize(doc, thresholds);
    return doc;
}

chat::reports::document to_document(const json& doc) {
    namespace rep = chat::reports;
    rep::document d;
    d.tool = "chat-load";
    const auto& t = doc["totals"];
    const auto& sc = doc["scenario"];
    d.title = "chat-load: " + sc.value("url", std::string{}) + ", " +
              count(doc["plan"].value("clients", std::uint64_t{0})) + " clients in " +
              count(doc["plan"].value("rooms", std::uint64_t{0})) +
              (doc["plan"].value("rooms", std::uint64_t{0}) == 1 ? " room" : " rooms");
    const auto verdict = doc.value("verdict", std::string{"?"});
    std::string line = verdict + ": ";
    const auto& lat = doc["summary"]["latency_us"];
    line += count(t.value("delivered", std::uint64_t{0})) + " of " +
            count(t.value("expected", std::uint64_t{0})) + " deliveries, p99 " +
            ms(lat.value("p99", 0.0));
    if (verdict == "INVALID")
        for (const auto& r : doc["validity"]["reasons"])
            line += "; " + r.get<std::string>();
    d.verdict = line;
    d.data = doc;

    const auto& run = doc["run"];
    d.meta = {{"target", sc.value("url", std::string{})},
              {"run tag", run.value("tag", std::string{})},
              {"workers", std::to_string(run["worker"].value("count", 1))},
              {"measured", num(run.value("measure_seconds", 0.0)) + " s"},
              {"scenario", count(sc.value("clients", std::uint64_t{0})) + " clients, " +
                               count(sc.value("rooms", std::uint64_t{0})) + " rooms (" +
                               sc.value("distribution", std::string{}) + "), " +
                               num(sc.value("senders_per_room", 0.0)) + " senders/room at " +
                               num(sc.value("rate_per_sender", 0.0)) + " msg/s (" +
                               sc.value("arrival", std::string{}) + "), " +
                               num(sc.value("message_size", 0.0)) + " B"},
              {"generator memory per idle client",
               fixed(doc["memory"].value("idle_bytes_per_client", 0.0), 0) + " B"},
              {"generator CPU", fixed(doc["cpu"].value("utilization_max", 0.0) * 100, 1) + "% of " +
                                    std::to_string(doc["cpu"].value("threads", 0)) + " thread(s)"}};

    rep::table totals{"Totals", {"metric", "value"}, {}};
    for (const char* k : {"sent",           "expected",     "delivered",
                          "lost",           "duplicates",   "out_of_order",
                          "history",        "join_window",  "warmup_deliveries",
                          "outside_window", "connects",     "connect_failures",
                          "dropped",        "dropped_slow", "churn_leaves",
                          "churn_rejoins",  "churn_cycles", "churn_cycle_failures",
                          "rest_requests",  "rest_errors",  "errors"})
        totals.rows.push_back({k, count(t.value(k, std::uint64_t{0}))});
    totals.rows.push_back(
        {"delivery", t["delivery"].is_null() ? "n/a" : num(t["delivery"].get<double>())});
    totals.rows.push_back({"delivered/s", fixed(t.value("delivered_per_s", 0.0), 0)});
    d.tables.push_back(std::move(totals));

    rep::table lt{
        "Latency", {"histogram", "count", "min", "p50", "p90", "p99", "p99.9", "max", "mean"}, {}};
    for (const auto* name : histogram_names) {
        const auto& s = doc["summary"][name];
        lt.rows.push_back({name, count(s.value("count", std::uint64_t{0})), ms(s.value("min", 0.0)),
                           ms(s.value("p50", 0.0)), ms(s.value("p90", 0.0)),
                           ms(s.value("p99", 0.0)), ms(s.value("p99.9", 0.0)),
                           ms(s.value("max", 0.0)), ms(s.value("mean", 0.0))});
    }
    d.tables.push_back(std::move(lt));

    rep::table et{"Errors by kind", {"kind", "count"}, {}};
    for (const auto& [k, v] : t["errors_by_kind"].items())
        if (v.get<std::uint64_t>() > 0)
            et.rows.push_back({k, count(v.get<std::uint64_t>())});
    if (!et.rows.empty())
        d.tables.push_back(std::move(et));

    // Charts: latency percentiles over time, deliveries per second, the latency distribution.
    rep::chart pc{"Latency over time (from intended send time)",
                  "seconds since start",
                  "ms",
                  false,
                  false,
                  {}};
    rep::series p50{"p50", {}}, p99{"p99", {}}, pmax{"max", {}};
    rep::chart rc{"Messages per second", "seconds since start", "per second", false, false, {}};
    rep::series del{"delivered/s", {}}, sent{"sent/s", {}}, conn{"connected", {}};
    for (const auto& p : doc["timeline"]["points"]) {
        const double x = p.value("t", 0.0);
        if (p["latency"].value("count", 0) > 0) {
            p50.points.push_back({x, p.value("latency_p50_us", 0.0) / 1e3});
            p99.points.push_back({x, p.value("latency_p99_us", 0.0) / 1e3});
            pmax.points.push_back({x, p.value("latency_max_us", 0.0) / 1e3});
        }
        del.points.push_back({x, p.value("delivered", 0.0)});
        sent.points.push_back({x, p.value("sent", 0.0) + p.value("sent_warmup", 0.0)});
        conn.points.push_back({x, p.value("connected", 0.0)});
    }
    pc.lines = {p50, p99, pmax};
    rc.lines = {del, sent, conn};
    d.charts.push_back(std::move(pc));
    d.charts.push_back(std::move(rc));
    {
        const auto h = histogram::from_json(doc["histograms"]["latency_us"]);
        rep::chart dc{"Latency distribution (share of deliveries at or below)",
                      "latency (ms, log)",
                      "percent",
                      true,
                      false,
                      {}};
        rep::series cdf{"deliveries", {}};
        std::uint64_t seen = 0;
        const auto buckets = doc["histograms"]["latency_us"]["buckets"];
        for (const auto& b : buckets) {
            seen += b[1].get<std::uint64_t>();
            const auto v =
                std::min(histogram::highest_equivalent(b[0].get<std::size_t>()), h.max());
            cdf.points.push_back(
                {static_cast<double>(v) / 1e3,
                 100.0 * static_cast<double>(seen) / static_cast<double>(h.count())});
        }
        dc.lines = {cdf};
        d.charts.push_back(std::move(dc));
    }

    // Cases: validity checks, then thresholds.
    for (const auto& c : doc["validity"]["checks"]) {
        rep::test_case tc;
        tc.id = "validity." + c.value("name", std::string{});
        tc.group = "self-check";
        tc.title = "generator kept up: " + c.value("name", std::string{});
        tc.result = c.value("ok", false) ? rep::outcome::pass : rep::outcome::error;
        tc.expected = "<= " + num(c.value("limit", 0.0));
        tc.actual = num(c.value("actual", 0.0));
        d.cases.push_back(std::move(tc));
    }
    for (const auto& th : doc["thresholds"]) {
        rep::test_case tc;
        tc.id = "threshold." + th.value("expr", std::string{});
        tc.group = "threshold";
        tc.title = th.value("expr", std::string{});
        tc.result = th.value("pass", false) ? rep::outcome::pass : rep::outcome::fail;
        const auto rule = parse_threshold(th.value("expr", std::string{}));
        tc.expected = rule.metric + " " + rule.op + " " + format_value(rule, rule.limit);
        tc.actual = th["actual"].is_null() ? "no such value in this result"
                                           : format_value(rule, th["actual"].get<double>());
        d.cases.push_back(std::move(tc));
    }
    return d;
}

void print_summary(const json& doc, std::ostream& out) {
    const auto& t = doc["totals"];
    const auto& lat = doc["summary"]["latency_us"];
    const auto& act = doc["summary"]["latency_actual_us"];
    const auto& con = doc["summary"]["connect_us"];
    auto row = [&](const char* k, const std::string& v) {
        std::string key = k;
        key.resize(std::max<std::size_t>(key.size(), 34), ' ');
        out << "  " << key << " " << v << "\n";
    };
    out << "chat-load summary (" << doc["run"].value("tag", std::string{}) << ")\n";
    row("clients connected (idle)", count(doc["memory"].value("idle_clients", std::uint64_t{0})) +
                                        " of " +
                                        count(doc["plan"].value("clients", std::uint64_t{0})));
    row("measured", num(doc["run"].value("measure_seconds", 0.0)) + " s");
    row("sent (sent/s)", count(t.value("sent", std::uint64_t{0})) + " (" +
                             fixed(t.value("sent_per_s", 0.0), 0) + ")");
    row("delivered / expected",
        count(t.value("delivered", std::uint64_t{0})) + " / " +
            count(t.value("expected", std::uint64_t{0})) +
            (t["delivery"].is_null() ? std::string{}
                                     : " (" + fixed(t["delivery"].get<double>() * 100, 4) + "%)"));
    row("delivered/s", fixed(t.value("delivered_per_s", 0.0), 0));
    row("lost, duplicated, out of order", count(t.value("lost", std::uint64_t{0})) + ", " +
                                              count(t.value("duplicates", std::uint64_t{0})) +
                                              ", " +
                                              count(t.value("out_of_order", std::uint64_t{0})));
    auto pct = [&](const json& s) {
        return ms(s.value("p50", 0.0)) + " / " + ms(s.value("p90", 0.0)) + " / " +
               ms(s.value("p99", 0.0)) + " / " + ms(s.value("p99.9", 0.0)) + " / " +
               ms(s.value("max", 0.0));
    };
    row("latency p50/p90/p99/p99.9/max", pct(lat));
    row("  from actual send", pct(act));
    row("connect p50/p90/p99/p99.9/max", pct(con));
    if (doc["summary"]["rest_us"].value("count", 0) > 0)
        row("REST p50/p90/p99/p99.9/max", pct(doc["summary"]["rest_us"]));
    row("dropped by server (slow / other)",
        count(t.value("dropped_slow", std::uint64_t{0})) + " of " +
            count(doc["plan"].value("slow_clients", std::uint64_t{0})) + " / " +
            count(t.value("dropped", std::uint64_t{0})));
    row("errors", count(t.value("errors", std::uint64_t{0})));
    for (const auto& [k, v] : t["errors_by_kind"].items())
        if (v.get<std::uint64_t>() > 0)
            row(("  " + k).c_str(), count(v.get<std::uint64_t>()));
    row("generator memory per idle client",
        fixed(doc["memory"].value("idle_bytes_per_client", 0.0), 0) + " B");
    const double wait = doc["cpu"].value("runqueue_wait_seconds", -1.0);
    row("generator CPU", fixed(doc["cpu"].value("utilization_max", 0.0) * 100, 1) + "% of " +
                             std::to_string(doc["cpu"].value("threads", 0)) + " thread(s)" +
                             (wait >= 0 ? ", waited " + fixed(wait, 2) + " s for a CPU" : ""));
    row("loop lag p99 / schedule lag p99",
        ms(doc["summary"]["loop_lag_us"].value("p99", 0.0)) + " / " +
            ms(doc["summary"]["schedule_lag_us"].value("p99", 0.0)));
    for (const auto& th : doc["thresholds"]) {
        const auto rule = parse_threshold(th.value("expr", std::string{}));
        row(("threshold " + th.value("expr", std::string{})).c_str(),
            std::string(th.value("pass", false) ? "pass" : "FAIL") + " (actual " +
                (th["actual"].is_null() ? std::string{"n/a"}
                                        : format_value(rule, th["actual"].get<double>())) +
                ")");
    }
    for (const auto& r : doc["validity"]["reasons"])
        row("INVALID", r.get<std::string>());
    row("verdict", doc.value("verdict", std::string{}));
}

} // namespace chat::load
