// Step up, then bisect: the capacity under an SLO from the fewest valid steps.
#include "search.hpp"

#include <algorithm> // min
#include <cmath>     // isfinite
#include <cstdio>    // snprintf
#include <stdexcept> // invalid_argument

namespace chat::load {
namespace {

std::string rate_text(double r) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f/s", r);
    return buf;
}

} // namespace

search_result capacity_search(const search_options& o,
                              const std::function<step_outcome(double)>& run_step) {
    if (!(std::isfinite(o.from) && o.from > 0))
        throw std::invalid_argument("--from must be a rate > 0");
    if (!(std::isfinite(o.to) && (o.to == 0 || o.to >= o.from)))
        throw std::invalid_argument("--to must be 0 (no limit) or >= --from");
    if (!(std::isfinite(o.growth) && o.growth > 1))
        throw std::invalid_argument("the growth factor must be > 1");
    if (!(o.resolution > 0 && o.resolution < 1))
        throw std::invalid_argument("--resolution must be in (0, 1)");
    if (o.max_steps < 1)
        throw std::invalid_argument("--max-steps must be >= 1");
    if (o.confirm < 0)
        throw std::invalid_argument("--confirm must be >= 0");

    search_result r;
    const auto budget_left = [&] { return static_cast<int>(r.steps.size()) < o.max_steps; };
    // Runs `rate` once, then again while it fails or cannot be judged, up to `confirm` reruns
    // and the step budget: one passing run is the rate's verdict, else the last run's.
    const auto confirmed_run = [&](double rate) {
        step_outcome s;
        for (int attempt = 1;; ++attempt) {
            s = run_step(rate);
            s.offered_per_s = rate;
            s.attempt = attempt;
            const bool room_for_another = static_cast<int>(r.steps.size()) + 2 <= o.max_steps;
            if (s.verdict == step_verdict::pass || attempt > o.confirm || !room_for_another)
                return s;
            r.steps.push_back(s);
        }
    };
    // Runs one step at `rate`; false when it was invalid (the search must end).
    const auto step = [&](double rate) {
        auto s = confirmed_run(rate);
        r.steps.push_back(s);
        if (s.verdict == step_verdict::pass) {
            if (!r.last_pass || rate > r.last_pass->offered_per_s)
                r.last_pass = s;
        } else if (s.verdict == step_verdict::fail) {
            if (!r.first_fail || rate < r.first_fail->offered_per_s)
                r.first_fail = s;
        } else {
            r.ended = "the step at " + rate_text(rate) + " could not be judged: " + s.why;
            return false;
        }
        return true;
    };

    // 1. Climb while steps pass (or descend while they fail) until a pass and a fail bracket
    //    the capacity.
    double rate = o.from;
    while (!(r.last_pass && r.first_fail)) {
        if (!budget_left()) {
            r.ended = "--max-steps " + std::to_string(o.max_steps) + " reached before a step " +
                      (r.last_pass ? "failed" : "passed");
            return r;
        }
        if (!step(rate))
            return r;
        if (r.first_fail && !r.last_pass) {
            rate /= o.growth;
            if (rate < 1e-3) {
                r.ended = "no step passed, down to " + rate_text(r.first_fail->offered_per_s);
                return r;
            }
        } else if (!r.first_fail) {
            if (o.to > 0 && rate >= o.to) {
                r.ended = "every step passed, up to --to " + rate_text(o.to);
                return r;
            }
            rate = o.to > 0 ? std::min(rate * o.growth, o.to) : rate * o.growth;
        }
    }
    // 2. Bisect between the last pass and the first fail.
    const auto width = [&] {
        return (r.first_fail->offered_per_s - r.last_pass->offered_per_s) /
               r.last_pass->offered_per_s;
    };
    while (width() > o.resolution) {
        if (!budget_left()) {
            r.ended = "--max-steps " + std::to_string(o.max_steps) + " reached while bisecting";
            return r;
        }
        if (!step((r.last_pass->offered_per_s + r.first_fail->offered_per_s) / 2))
            return r;
    }
    r.bracketed = true;
    char buf[128];
    std::snprintf(buf, sizeof buf, "bracketed within %.1f%%: passes at %s, fails at %s",
                  width() * 100, rate_text(r.last_pass->offered_per_s).c_str(),
                  rate_text(r.first_fail->offered_per_s).c_str());
    r.ended = buf;
    return r;
}

} // namespace chat::load
