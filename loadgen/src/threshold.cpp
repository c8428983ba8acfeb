// Thresholds name a latency statistic of one of the result's histograms or a total (counts,
// ratios).
#include "threshold.hpp"

#include "chat/cli.hpp"

#include <array>     // array
#include <cmath>     // isfinite
#include <cstdio>    // snprintf
#include <stdexcept> // invalid_argument
#include <utility>   // pair

namespace chat::load {
namespace {

// Latency metric prefix -> histogram name in the result.
constexpr std::array<std::pair<const char*, const char*>, 6> latency_families{{
    {"", "latency_us"},
    {"actual_", "latency_actual_us"},
    {"connect_", "connect_us"},
    {"rest_", "rest_us"},
    {"loop_lag_", "loop_lag_us"},
    {"schedule_lag_", "schedule_lag_us"},
}};
constexpr std::array<const char*, 7> statistics{"p50", "p90", "p99", "p99.9", "max", "min", "mean"};
// Plain metrics -> member of "totals".
constexpr std::array<const char*, 13> plain_metrics{
    "delivery",        "errors",       "lost", "late",      "duplicates",      "out_of_order",
    "dropped",         "dropped_slow", "sent", "delivered", "delivered_per_s", "rest_errors",
    "connect_failures"};

bool is_plain_metric(const std::string& m) {
    for (const auto* p : plain_metrics)
        if (m == p)
            return true;
    return false;
}

} // namespace

bool latency_metric(const std::string& m, std::string* histogram, std::string* stat) {
    for (const auto& [prefix, name] : latency_families) {
        const std::string p = prefix;
        if (m.compare(0, p.size(), p) != 0)
            continue;
        const auto rest = m.substr(p.size());
        for (const auto* s : statistics)
            if (rest == s) {
                *histogram = name;
                *stat = s;
                return true;
            }
    }
    return false;
}

std::string threshold_metrics_help() {
    return "latency (from intended send time): p50 p90 p99 p99.9 max min mean; the same with "
           "prefix actual_ (from actual send time), connect_, rest_, loop_lag_, schedule_lag_; "
           "plain: delivery (ratio 0..1) errors lost late duplicates out_of_order dropped "
           "dropped_slow connect_failures sent delivered delivered_per_s rest_errors";
}

threshold parse_threshold(const std::string& text) {
    auto fail = [&](const std::string& why) {
        return std::invalid_argument("--threshold '" + text + "': " + why);
    };
    std::string compact;
    for (char c : text)
        if (c != ' ')
            compact += c;
    threshold t;
    // k6's abortOnFail: "RULE:abort" or "RULE:abort=DELAY" (delayAbortEval).
    if (const auto colon = compact.find(':'); colon != std::string::npos) {
        const auto flag = compact.substr(colon + 1);
        compact.resize(colon);
        if (flag == "abort") {
            t.abort = true;
        } else if (flag.rfind("abort=", 0) == 0) {
            t.abort = true;
            try {
                t.abort_delay_us = chat::cli::parse_duration(flag.substr(6)).count();
            } catch (const std::exception&) {
                throw fail("'" + flag.substr(6) + "' is not a duration (e.g. abort=10s)");
            }
        } else {
            throw fail("unknown suffix ':" + flag + "' (use :abort or :abort=DELAY)");
        }
    }
    const auto at = compact.find_first_of("<>=!");
    if (at == std::string::npos || at == 0)
        throw fail("expected METRIC OP VALUE, e.g. 'p99<20ms' or 'delivery>=0.9999'");
    t.text = text;
    t.metric = compact.substr(0, at);
    auto op_end = at + 1;
    if (op_end < compact.size() && compact[op_end] == '=')
        ++op_end;
    t.op = compact.substr(at, op_end - at);
    if (t.op != "<" && t.op != "<=" && t.op != ">" && t.op != ">=" && t.op != "==" && t.op != "!=")
        throw fail("unknown operator '" + t.op + "' (use <, <=, >, >=, ==, !=)");
    const auto value = compact.substr(op_end);
    if (value.empty())
        throw fail("no value after '" + t.op + "'");

    std::string hist, stat;
    t.is_latency = latency_metric(t.metric, &hist, &stat);
    if (!t.is_latency && !is_plain_metric(t.metric))
        throw fail("unknown metric '" + t.metric + "' (" + threshold_metrics_help() + ")");

    std::size_t used = 0;
    double number = 0;
    try {
        number = std::stod(value, &used);
    } catch (const std::exception&) {
        throw fail("'" + value + "' is not a number");
    }
    const auto unit = value.substr(used);
    if (!std::isfinite(number))
        throw fail("'" + value + "' is not a finite number");
    if (t.is_latency) {
        if (unit == "us")
            t.limit = number;
        else if (unit == "ms")
            t.limit = number * 1e3;
        else if (unit == "s")
            t.limit = number * 1e6;
        else
            throw fail("latency '" + value + "' needs a unit: us, ms or s (e.g. 20ms)");
    } else {
        if (!unit.empty())
            throw fail("'" + t.metric + "' takes a plain number, not '" + value + "'");
        t.limit = number;
    }
    return t;
}

threshold_outcome evaluate(const threshold& rule, std::optional<double> actual) {
    threshold_outcome out;
    out.rule = rule;
    if (!actual)
        return out;
    out.known = true;
    out.actual = *actual;
    const double a = out.actual, l = rule.limit;
    if (rule.op == "<")
        out.pass = a < l;
    else if (rule.op == "<=")
        out.pass = a <= l;
    else if (rule.op == ">")
        out.pass = a > l;
    else if (rule.op == ">=")
        out.pass = a >= l;
    else if (rule.op == "==")
        out.pass = a == l;
    else
        out.pass = a != l;
    return out;
}

std::string format_value(const threshold& rule, double value) {
    char buf[64];
    if (!rule.is_latency)
        std::snprintf(buf, sizeof buf, "%.10g", value);
    else if (value >= 1e6)
        std::snprintf(buf, sizeof buf, "%.4gs", value / 1e6);
    else if (value >= 1e3)
        std::snprintf(buf, sizeof buf, "%.4gms", value / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.4gus", value);
    return buf;
}

} // namespace chat::load
