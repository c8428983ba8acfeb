// chat-capacity-report: turns the raw outputs of benchmarks/capacity.sh (chat-idle-memory text,
// chat-load JSON results, wrk text) into one report (JSON + Markdown + HTML through reports/),
// with each figure as a ratio to the original Go server and, with --compare, to a baseline.
#include "chat/reports/render.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>  // sort, max
#include <cstdio>     // printf, fprintf
#include <filesystem> // path, directory_iterator
#include <fstream>    // ifstream
#include <iterator>   // istreambuf_iterator
#include <map>        // map
#include <optional>   // optional
#include <regex>      // regex, smatch
#include <sstream>    // ostringstream
#include <string>     // string, stod
#include <vector>     // vector

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::optional<double> median(std::vector<double> v) {
    if (v.empty())
        return std::nullopt;
    std::sort(v.begin(), v.end());
    const auto n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Every file or directory in `raw` named "<prefix>...-runK" (K any), in name order.
std::vector<fs::path> runs_of(const fs::path& raw, const std::string& prefix) {
    std::vector<fs::path> out;
    if (!fs::is_directory(raw))
        return out;
    for (const auto& e : fs::directory_iterator(raw))
        if (e.path().filename().string().rfind(prefix + "-run", 0) == 0)
            out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

// "per idle connection: 4.70 KB"
std::optional<double> idle_kb(const fs::path& file) {
    static const std::regex re(R"(per idle connection: ([0-9.]+) KB)");
    const auto text = slurp(file);
    std::smatch m;
    if (std::regex_search(text, m, re) && text.find("(0 failed)") != std::string::npos)
        return std::stod(m[1]);
    return std::nullopt;
}

// "Requests/sec:  71234.12"
std::optional<double> wrk_rps(const fs::path& file) {
    static const std::regex re(R"(Requests/sec:\s+([0-9.]+))");
    const auto text = slurp(file);
    std::smatch m;
    if (!std::regex_search(text, m, re))
        return std::nullopt;
    // wrk counts non-2xx answers as requests too: refuse a run that had any.
    if (text.find("Non-2xx") != std::string::npos ||
        text.find("Socket errors") != std::string::npos)
        return std::nullopt;
    return std::stod(m[1]);
}

struct load_run {
    double p50_ms = 0, p99_ms = 0, delivery = 0, delivered_per_s = 0, offered_per_s = 0;
    // chat-load's own cost: its CPU seconds over the whole run, and every delivery it read
    // (warm-up included) in that time.
    double generator_cpu_s = 0, all_deliveries = 0;
    bool valid = false, pass = false;
};

std::optional<load_run> read_load(const fs::path& dir) {
    const auto file = dir / "chat-load.json";
    if (!fs::exists(file))
        return std::nullopt;
    auto j = json::parse(slurp(file), nullptr, false);
    if (j.is_discarded() || !j.contains("summary"))
        return std::nullopt;
    load_run r;
    const auto& lat = j["summary"]["latency_us"];
    r.p50_ms = lat.value("p50", 0.0) / 1000.0;
    r.p99_ms = lat.value("p99", 0.0) / 1000.0;
    const auto& t = j["totals"];
    r.delivery = t["delivery"].is_number() ? t["delivery"].get<double>() : 0.0;
    r.delivered_per_s = t.value("delivered_per_s", 0.0);
    r.all_deliveries = t.value("delivered", 0.0) + t.value("warmup_deliveries", 0.0);
    if (j.contains("cpu") && j["cpu"].is_object())
        r.generator_cpu_s = j["cpu"].value("seconds", 0.0);
    r.valid = j["validity"].value("valid", false);
    r.pass = j.value("verdict", "") == "PASS";
    return r;
}

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// One figure of the report.
struct figure {
    std::string key;
    std::string what;
    std::string unit;
    bool higher_is_better;
    std::optional<double> value;
    std::optional<double> original; // the Go server's, from shared/notes
    std::string target;             // issue 5's target, as text
    std::string limit_target = {};  // issue 16's, as a ratio to the limit ("above 1 is better")
};

// The ratio that reads "above 1 is better".
std::optional<double> better_ratio(const figure& f, std::optional<double> base) {
    if (!f.value || !base || *f.value <= 0 || *base <= 0)
        return std::nullopt;
    return f.higher_is_better ? *f.value / *base : *base / *f.value;
}

std::string show(std::optional<double> v, int digits) {
    return v ? fixed(*v, digits) : "n/a";
}

// Every figure of one server, from the raw results in `raw` (chat-server's in raw/, the
// limit's in raw/limit/, same names). INVALID chat-load runs are added to `invalid`.
struct measured {
    std::vector<figure> figures;
    std::map<int, std::vector<load_run>> steps; // msg/s per room -> runs
};

measured collect(const fs::path& raw, std::vector<std::string>& invalid) {
    auto median_of = [&](const std::string& prefix, auto read) {
        std::vector<double> v;
        for (const auto& p : runs_of(raw, prefix))
            if (auto x = read(p))
                v.push_back(*x);
        return median(v);
    };

    // Fan-out at fixed loads: the median of the runs' p50/p99, the worst delivery.
    auto fanout = [&](int per_room, auto field) {
        return median_of(
            "fanout-" + std::to_string(per_room), [&](const fs::path& p) -> std::optional<double> {
                auto r = read_load(p);
                if (!r)
                    return std::nullopt;
                // Kept, but said: an INVALID run's generator fell behind.
                if (!r->valid)
                    invalid.push_back(raw.filename().string() + "/" + p.filename().string());
                return field(*r);
            });
    };
    auto p50 = [](const load_run& r) { return r.p50_ms; };
    auto p99 = [](const load_run& r) { return r.p99_ms; };
    auto delivery = [](const load_run& r) { return r.delivery * 100.0; };

    // Steps: per run, the highest rate whose run passed (every message delivered, p99 < 50 ms).
    std::map<int, std::vector<load_run>> steps; // msg/s per room -> runs
    std::vector<double> best_per_run, best_p99_per_run;
    {
        std::map<std::string, std::pair<double, double>> best; // run -> (deliveries/s, p99)
        static const std::regex re(R"(step-([0-9]+)-run([0-9]+))");
        for (const auto& e : fs::directory_iterator(raw)) {
            std::smatch m;
            const auto name = e.path().filename().string();
            if (!std::regex_match(name, m, re))
                continue;
            auto r = read_load(e.path());
            if (!r)
                continue;
            r->offered_per_s = std::stod(m[1]) * 1000.0; // 10 rooms x 100 clients
            steps[std::stoi(m[1])].push_back(*r);
            auto& b = best[m[2]];
            if (r->pass && r->valid && r->delivered_per_s > b.first)
                b = {r->delivered_per_s, r->p99_ms};
        }
        for (const auto& [run, b] : best) {
            best_per_run.push_back(b.first);
            best_p99_per_run.push_back(b.second);
        }
    }

    std::vector<figure> figures{
        {"idle_kb_10000", "memory per idle connection, 10,000 connections", "KB", false,
         median_of("idle-10000", idle_kb), 28.0, "<= 4 KB", "<= 1 KB (absolute)"},
        {"idle_kb_19000", "memory per idle connection, 19,000 connections", "KB", false,
         median_of("idle-19000", idle_kb), 28.0, "<= 4 KB"},
        {"fanout_100_p50_ms", "10x100 at 100 msg/s per room: p50", "ms", false, fanout(100, p50),
         7.9, "", ">= 0.67 (within 1.5x)"},
        {"fanout_100_p99_ms", "10x100 at 100 msg/s per room: p99", "ms", false, fanout(100, p99),
         24.7, "<= 5 ms", ">= 0.67 (within 1.5x)"},
        {"fanout_100_delivery_pct", "10x100 at 100 msg/s per room: delivered", "%", true,
         fanout(100, delivery), 100.0, "100%"},
        {"fanout_200_p50_ms", "10x100 at 200 msg/s per room: p50", "ms", false, fanout(200, p50),
         std::nullopt, "", ">= 0.67 (within 1.5x)"},
        {"fanout_200_p99_ms", "10x100 at 200 msg/s per room: p99", "ms", false, fanout(200, p99),
         279.0, "", ">= 0.67 (within 1.5x)"},
        {"fanout_200_delivery_pct", "10x100 at 200 msg/s per room: delivered", "%", true,
         fanout(200, delivery), 100.0, "100%"},
        {"max_clean_deliveries_per_s", "highest deliveries/s, 100% delivered, p99 < 50 ms", "/s",
         true, median(best_per_run), 200000.0, ">= 600,000", ">= 0.9"},
        {"rest_rooms_rps", "GET /api/rooms (wrk, 64 connections)", "req/s", true,
         median_of("wrk-rooms", wrk_rps), 69000.0, ">= 138,000"},
        {"rest_history_rps", "GET a 100-message history (wrk, 64 connections)", "req/s", true,
         median_of("wrk-history", wrk_rps), 14300.0, ">= 28,600"},
    };

    measured out;
    out.figures = std::move(figures);
    out.steps = std::move(steps);
    return out;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr,
                     "usage: chat-capacity-report RAW_DIR [--out DIR] [--compare BASELINE.json]\n");
        return 2;
    }
    const fs::path raw = argv[1];
    fs::path out = raw.parent_path();
    std::optional<fs::path> compare;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--out")
            out = argv[i + 1];
        else if (flag == "--compare")
            compare = argv[i + 1];
        else {
            std::fprintf(stderr, "chat-capacity-report: unknown flag '%s'\n", flag.c_str());
            return 2;
        }
    }
    if (!fs::is_directory(raw)) {
        std::fprintf(stderr, "chat-capacity-report: %s is not a directory of raw results\n",
                     raw.string().c_str());
        return 2;
    }

    // Environment lines "key=value".
    std::vector<std::pair<std::string, std::string>> env;
    {
        std::istringstream in(slurp(raw / "environment.txt"));
        for (std::string line; std::getline(in, line);)
            if (auto eq = line.find('='); eq != std::string::npos)
                env.emplace_back(line.substr(0, eq), line.substr(eq + 1));
    }

    std::vector<std::string> invalid; // chat-load runs whose generator fell behind
    const auto chat_server = collect(raw, invalid);
    // The limit (issue 16): the raw fan-out baseline measured in the same sitting, if it was.
    std::optional<measured> limit;
    if (fs::is_directory(raw / "limit"))
        limit = collect(raw / "limit", invalid);
    const auto& steps = chat_server.steps;
    auto& figures = chat_server.figures;
    auto limit_of = [&](const figure& f) -> std::optional<double> {
        if (!limit)
            return std::nullopt;
        for (const auto& g : limit->figures)
            if (g.key == f.key)
                return g.value;
        return std::nullopt;
    };

    json baseline;
    if (compare) {
        baseline = json::parse(slurp(*compare), nullptr, false);
        if (baseline.is_discarded() || !baseline.contains("figures")) {
            std::fprintf(stderr, "chat-capacity-report: %s is not a capacity report JSON\n",
                         compare->string().c_str());
            return 2;
        }
    }
    auto base_of = [&](const figure& f) -> std::optional<double> {
        if (!compare)
            return std::nullopt;
        const auto& v = baseline["figures"][f.key]["value"];
        return v.is_number() ? std::optional<double>(v.get<double>()) : std::nullopt;
    };

    chat::reports::document doc;
    doc.tool = "chat-capacity";
    doc.title = "chat-server capacity on this machine";
    for (const auto& [k, v] : env)
        doc.meta.emplace_back(k, v);
    if (compare)
        doc.meta.emplace_back("baseline", compare->string());
    std::sort(invalid.begin(), invalid.end());
    invalid.erase(std::unique(invalid.begin(), invalid.end()), invalid.end());
    std::string invalid_text;
    for (const auto& name : invalid)
        invalid_text += (invalid_text.empty() ? "" : ", ") + name;
    if (!invalid.empty()) {
        doc.meta.emplace_back("INVALID load runs (generator short of CPU; figures kept)",
                              invalid_text);
        std::printf("note: INVALID load runs (figures kept): %s\n", invalid_text.c_str());
    }

    chat::reports::table t{"Figures (ratios: above 1 is better)",
                           {"figure", "value", "unit", "original", "x original", "baseline",
                            "x baseline", "limit", "x limit", "issue-5 target",
                            "issue-16 target (x limit)"},
                           {}};
    json data{{"schema", "chat-capacity"}, {"schema_version", 1}, {"figures", json::object()}};
    for (const auto& [k, v] : env)
        data["environment"][k] = v;
    data["invalid_runs"] = invalid;
    int regressions = 0;
    std::printf("%-52s %12s %10s %10s %12s %10s\n", "figure", "value", "x orig", "x base", "limit",
                "x limit");
    for (const auto& f : figures) {
        const auto base = base_of(f);
        const auto lim = limit_of(f);
        const auto vs_limit = better_ratio(f, lim);
        const auto vs_original = better_ratio(f, f.original);
        const auto vs_base = better_ratio(f, base);
        if (vs_base && *vs_base < 0.9)
            ++regressions;
        const int digits = f.unit == "ms" || f.unit == "KB" ? 2 : f.unit == "%" ? 3 : 0;
        t.rows.push_back({f.what, show(f.value, digits), f.unit, show(f.original, digits),
                          show(vs_original, 2), show(base, digits), show(vs_base, 2),
                          show(lim, digits), show(vs_limit, 2), f.target, f.limit_target});
        std::printf("%-52s %12s %10s %10s %12s %10s\n", f.key.c_str(),
                    show(f.value, digits).c_str(), show(vs_original, 2).c_str(),
                    show(vs_base, 2).c_str(), show(lim, digits).c_str(), show(vs_limit, 2).c_str());
        auto& j = data["figures"][f.key];
        j = {{"what", f.what}, {"unit", f.unit}, {"higher_is_better", f.higher_is_better}};
        j["value"] = f.value ? json(*f.value) : json(nullptr);
        j["original"] = f.original ? json(*f.original) : json(nullptr);
        j["ratio_to_original"] = vs_original ? json(*vs_original) : json(nullptr);
        if (compare) {
            j["baseline"] = base ? json(*base) : json(nullptr);
            j["ratio_to_baseline"] = vs_base ? json(*vs_base) : json(nullptr);
        }
        if (limit) {
            j["limit"] = lim ? json(*lim) : json(nullptr);
            j["ratio_to_limit"] = vs_limit ? json(*vs_limit) : json(nullptr);
        }
    }
    doc.tables.push_back(t);

    // Scaling (issue 16 section 3): chat-server with one and two event-loop threads at the same
    // load, and chat-load's own ceiling: deliveries it reads per CPU-second of its own.
    {
        chat::reports::table sc{
            "Scaling: 10x100 at 200 msg/s per room (200,000 deliveries/s "
            "offered); medians",
            {"server", "delivered/s", "p50 ms", "p99 ms", "chat-load deliveries per CPU-second"},
            {}};
        auto row = [&](const std::string& label, const fs::path& dir) {
            std::vector<double> d, p5, p9, per_cpu;
            for (const auto& p : runs_of(dir, "fanout-200")) {
                auto r = read_load(p);
                if (!r)
                    continue;
                d.push_back(r->delivered_per_s);
                p5.push_back(r->p50_ms);
                p9.push_back(r->p99_ms);
                if (r->generator_cpu_s > 0)
                    per_cpu.push_back(r->all_deliveries / r->generator_cpu_s);
            }
            if (d.empty())
                return;
            sc.rows.push_back({label, show(median(d), 0), show(median(p5), 2), show(median(p9), 2),
                               show(median(per_cpu), 0)});
            data["scaling"][label] = {{"delivered_per_s", *median(d)},
                                      {"p50_ms", *median(p5)},
                                      {"p99_ms", *median(p9)},
                                      {"load_deliveries_per_cpu_s",
                                       median(per_cpu) ? json(*median(per_cpu)) : json(nullptr)}};
        };
        row("chat-server (default threads)", raw);
        row("chat-server --threads 1", raw / "threads-1");
        row("chat-server --threads 2", raw / "threads-2");
        row("limit (chat-fanout-baseline)", raw / "limit");
        if (!sc.rows.empty())
            doc.tables.push_back(sc);
    }

    // The steps: offered against delivered, and p99, by rate.
    chat::reports::table st{"Rate steps (10 rooms x 100 clients; median per step)",
                            {"msg/s per room", "offered deliveries/s", "delivered/s", "delivered %",
                             "p50 ms", "p99 ms", "verdict"},
                            {}};
    chat::reports::chart delivered{"Deliveries per second: offered vs delivered",
                                   "offered deliveries/s",
                                   "delivered/s",
                                   false,
                                   false,
                                   {}};
    chat::reports::chart latency{
        "Fan-out latency by offered rate", "offered deliveries/s", "latency (ms)", false, true, {}};
    chat::reports::series s_del{"delivered/s", {}}, s_p50{"p50", {}}, s_p99{"p99", {}},
        s_goal{"50 ms", {}};
    json jsteps = json::array();
    for (const auto& [rate, rs] : steps) {
        std::vector<double> d, p5, p9, dl;
        int passed = 0;
        for (const auto& r : rs) {
            d.push_back(r.delivered_per_s);
            p5.push_back(r.p50_ms);
            p9.push_back(r.p99_ms);
            dl.push_back(r.delivery * 100.0);
            passed += r.pass && r.valid;
        }
        const double offered = rate * 1000.0;
        st.rows.push_back({std::to_string(rate), fixed(offered, 0), fixed(*median(d), 0),
                           fixed(*median(dl), 3), fixed(*median(p5), 2), fixed(*median(p9), 2),
                           std::to_string(passed) + "/" + std::to_string(rs.size()) + " pass"});
        s_del.points.emplace_back(offered, *median(d));
        s_p50.points.emplace_back(offered, std::max(0.01, *median(p5)));
        s_p99.points.emplace_back(offered, std::max(0.01, *median(p9)));
        s_goal.points.emplace_back(offered, 50.0);
        jsteps.push_back({{"per_room_msg_s", rate},
                          {"offered_per_s", offered},
                          {"delivered_per_s", *median(d)},
                          {"delivery_pct", *median(dl)},
                          {"p50_ms", *median(p5)},
                          {"p99_ms", *median(p9)},
                          {"passed_runs", passed},
                          {"runs", rs.size()}});
    }
    data["steps"] = jsteps;
    if (!st.rows.empty()) {
        doc.tables.push_back(st);
        delivered.lines = {s_del};
        latency.lines = {s_p50, s_p99, s_goal};
        doc.charts = {delivered, latency};
    }
    doc.verdict = compare ? (regressions ? "REGRESSION: " + std::to_string(regressions) +
                                               " figure(s) below 0.9x the baseline"
                                         : "OK: no figure below 0.9x the baseline")
                          : "MEASURED (no baseline given)";
    data["verdict"] = doc.verdict;
    doc.data = data;

    const auto written =
        chat::reports::write_all(doc, out, "capacity",
                                 {chat::reports::format::json, chat::reports::format::markdown,
                                  chat::reports::format::html});
    for (const auto& p : written)
        std::printf("wrote %s\n", p.string().c_str());
    std::printf("%s\n", doc.verdict.c_str());
    return 0;
}
