// `chat-load search`: each step of the capacity search is a full run (engine.cpp) at a derived
// rate per sender, on fresh rooms of the same server.
#include "engine.hpp"
#include "figures.hpp"

#include <chrono>    // steady_clock
#include <random>    // random_device
#include <sstream>   // ostringstream
#include <stdexcept> // invalid_argument

namespace chat::load {

search_run run_search(const scenario& base, const search_options& options, std::ostream& progress) {
    if (base.parsed_thresholds.empty())
        throw std::invalid_argument("--slo: give at least one, e.g. --slo 'p99<50ms'");
    if (!base.stages.empty())
        throw std::invalid_argument("--stage: a search sets each step's rate itself");
    if (base.worker_count != 1)
        throw std::invalid_argument("--worker: a search runs in one process (got '" + base.worker +
                                    "')");
    search_run out;
    out.scenario = record_of(base, base.room_prefix);
    out.slo = base.thresholds;
    out.options = options;
    out.step_ms = base.duration_ms;
    out.deliveries_per_unit_rate = deliveries_per_unit_rate(base);
    if (out.deliveries_per_unit_rate <= 0)
        throw std::invalid_argument("--senders-per-room: a search needs senders (got 0)");

    std::string prefix = base.room_prefix;
    if (prefix.empty()) {
        std::random_device rd;
        char b[24];
        std::snprintf(b, sizeof b, "search-%08x", static_cast<unsigned>(rd()));
        prefix = b;
    }
    const auto started = std::chrono::steady_clock::now();
    out.result = capacity_search(options, [&](double offered) {
        const auto n = out.details.size() + 1;
        scenario s = base;
        s.rate = offered / out.deliveries_per_unit_rate;
        s.room_prefix = prefix + "-s" + std::to_string(n);
        s.quiet = true;
        s.report.none = true;
        search_step_detail det;
        det.rate_per_sender = s.rate;
        det.room_prefix = s.room_prefix;
        step_outcome o;
        o.offered_per_s = offered;
        try {
            validate(s);
            std::ostringstream quiet;
            const auto r = run(s, quiet);
            det.verdict = r.verdict;
            det.sent_per_s = r.sent_per_s();
            det.errors = r.totals.error_total();
            det.lost = r.lost();
            det.measure_seconds = r.run.measure_seconds();
            if (r.server) {
                det.server_cpu_us_per_delivery = r.server->cpu_us_per_delivery();
                det.server_rss_max = r.server->rss_max;
            }
            o.delivered_per_s = r.delivered_per_s();
            o.p50_us = static_cast<double>(r.histograms.latency.percentile(50));
            o.p99_us = static_cast<double>(r.histograms.latency.percentile(99));
            o.delivery = r.delivery().value_or(0);
            if (r.verdict == "INVALID") {
                o.verdict = step_verdict::invalid;
                for (const auto& why : r.validity.reasons)
                    o.why += (o.why.empty() ? "" : "; ") + why;
            } else {
                o.verdict = r.verdict == "PASS" ? step_verdict::pass : step_verdict::fail;
                for (const auto& t : r.thresholds)
                    if (!t.pass)
                        o.why += (o.why.empty() ? "" : "; ") + t.rule.text + " (actual " +
                                 (t.actual ? format_value(t.rule, *t.actual) : "none") + ")";
            }
        } catch (const harness_error& e) {
            if (out.details.empty())
                throw; // the server cannot be reached at all: a harness error, not a step
            det.verdict = "ERROR";
            o.verdict = step_verdict::invalid;
            o.why = e.what();
        } catch (const std::invalid_argument& e) {
            det.verdict = "ERROR";
            o.verdict = step_verdict::invalid;
            o.why = e.what();
        }
        out.details.push_back(det);
        if (!base.quiet) {
            char line[200];
            std::snprintf(line, sizeof line,
                          "chat-load: step %zu: offered %s deliveries/s (%s msg/s per sender): ", n,
                          with_commas(static_cast<std::uint64_t>(offered + 0.5)).c_str(),
                          num(s.rate).c_str());
            progress << line
                     << (o.verdict == step_verdict::pass   ? "pass"
                         : o.verdict == step_verdict::fail ? "FAIL"
                                                           : "INVALID")
                     << ", delivered/s " << fixed(o.delivered_per_s, 0) << ", p50 " << ms(o.p50_us)
                     << ", p99 " << ms(o.p99_us) << ", delivery " << fixed(o.delivery, 6)
                     << (o.why.empty() ? "" : "; " + o.why) << "\n"
                     << std::flush;
        }
        return o;
    });
    out.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    finalize(out);
    return out;
}

} // namespace chat::load
