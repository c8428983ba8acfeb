// Step up, then bisect: the capacity under an SLO from the fewest valid steps.
#include "search.hpp"

#include <algorithm> // min
#include <cmath>     // isfinite
#include <cstdio>    // snprintf
#include <optional>  // optional
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
    // and the step budget, and files every run as a step. The rate's verdict: a passing run if
    // any, else a failing one (a run the generator could not judge says nothing against a
    // judged failure), else the last run.
    const auto confirmed_run = [&](double rate) {
        std::optional<step_outcome> failed;
        for (int attempt = 1;; ++attempt) {
            auto s = run_step(rate);
            s.offered_per_s = rate;
            s.attempt = attempt;
            r.steps.push_back(s);
            if (s.verdict == step_verdict::fail)
                failed = s;
            if (s.verdict == step_verdict::pass || attempt > o.confirm || !budget_left())
                return s.verdict == step_verdict::invalid && failed ? *failed : s;
        }
    };
    // Runs one step at `rate` and files it under the last pass, the first fail or the lowest
    // rate above the last pass the generator could not offer (below any pass an invalid step
    // bounds nothing).
    const auto step = [&](double rate) {
        const auto s = confirmed_run(rate);
        if (s.verdict == step_verdict::invalid && !r.last_pass)
            return s;
        auto& slot = s.verdict == step_verdict::pass   ? r.last_pass
                     : s.verdict == step_verdict::fail ? r.first_fail
                                                       : r.first_invalid;
        const bool higher_is_better = s.verdict == step_verdict::pass;
        if (!slot || (higher_is_better ? rate > slot->offered_per_s : rate < slot->offered_per_s))
            slot = s;
        return s;
    };
    const auto could_not_judge = [&](const step_outcome& s) {
        return "the step at " + rate_text(s.offered_per_s) + " could not be judged: " + s.why;
    };

    // 1. Climb while steps pass (or descend while they fail) until a pass and a fail or an
    //    invalid step above it bracket the capacity. An invalid step before any pass ends the
    //    search: there is no rate the generator is known to measure.
    double rate = o.from;
    while (!(r.last_pass && (r.first_fail || r.first_invalid))) {
        if (!budget_left()) {
            r.ended = "--max-steps " + std::to_string(o.max_steps) + " reached before a step " +
                      (r.last_pass ? "failed" : "passed");
            return r;
        }
        const auto s = step(rate);
        if (s.verdict == step_verdict::invalid && !r.last_pass) {
            r.ended = could_not_judge(s);
            return r;
        }
        if (r.first_fail && !r.last_pass) {
            rate /= o.growth;
            if (rate < 1e-3) {
                r.ended = "no step passed, down to " + rate_text(r.first_fail->offered_per_s);
                return r;
            }
        } else if (!r.first_fail && !r.first_invalid) {
            if (o.to > 0 && rate >= o.to) {
                r.ended = "every step passed, up to --to " + rate_text(o.to);
                return r;
            }
            rate = o.to > 0 ? std::min(rate * o.growth, o.to) : rate * o.growth;
        }
    }
    // 2. Bisect between the last pass and the nearest step above it that failed or could not
    //    be judged: an invalid step says only that the generator cannot offer that rate, so the
    //    search looks below it for the server's knee.
    const auto upper = [&]() -> const step_outcome& {
        if (r.first_fail &&
            (!r.first_invalid || r.first_fail->offered_per_s <= r.first_invalid->offered_per_s))
            return *r.first_fail;
        return *r.first_invalid;
    };
    const auto width = [&] {
        return (upper().offered_per_s - r.last_pass->offered_per_s) / r.last_pass->offered_per_s;
    };
    while (width() > o.resolution) {
        if (!budget_left()) {
            r.ended = "--max-steps " + std::to_string(o.max_steps) + " reached while bisecting";
            return r;
        }
        step((r.last_pass->offered_per_s + upper().offered_per_s) / 2);
    }
    if (upper().verdict == step_verdict::invalid) {
        if (r.first_fail) {
            // A judged fail above says the generator could offer more: the invalid step is
            // most likely a stall, and the capacity stays between the pass and that fail.
            r.ended = could_not_judge(upper()) + "; the capacity lies between the last pass " +
                      rate_text(r.last_pass->offered_per_s) + " and the first fail " +
                      rate_text(r.first_fail->offered_per_s) + ", not narrowed further";
            return r;
        }
        char buf[96];
        std::snprintf(buf, sizeof buf, " (%.1f%% above the last pass)", width() * 100);
        r.ended = "the generator could not offer more: " + could_not_judge(upper()) + buf;
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
