// Combining repetitions, and the exit code of a run.
#include "verdict.hpp"

#include <map> // map

namespace chat::conformance {

std::string name_of(outcome o) {
    return reports::to_string(o);
}

const check_run* check_result::representative() const {
    for (const auto& r : runs)
        if (r.result != outcome::pass)
            return &r;
    return runs.empty() ? nullptr : &runs.front();
}

outcome combine(const std::vector<check_run>& runs) {
    if (runs.empty())
        return outcome::skip;
    for (const auto& r : runs)
        if (r.result != runs.front().result)
            return outcome::flaky;
    return runs.front().result;
}

std::string tally(const std::vector<check_run>& runs) {
    std::map<int, int> counts;
    for (const auto& r : runs)
        ++counts[static_cast<int>(r.result)];
    std::string out;
    for (const auto& [o, n] : counts)
        out +=
            (out.empty() ? "" : ", ") + std::to_string(n) + " " + name_of(static_cast<outcome>(o));
    return out;
}

void settle(check_result& r) {
    if (!r.selected) {
        r.combined = outcome::skip;
        r.summary = "not selected (--only/--exclude)";
        return;
    }
    r.combined = combine(r.runs);
    if (r.combined == outcome::flaky)
        r.summary = "verdict changed between runs: " + tally(r.runs) + " of " +
                    std::to_string(r.runs.size()) + " runs";
    else if (r.runs.size() > 1)
        r.summary = "same verdict in all " + std::to_string(r.runs.size()) + " runs";
}

int exit_code(const std::vector<check_result>& results, bool strict, bool target_failed) {
    if (target_failed)
        return exit_incomplete;
    bool violation = false, incomplete = false;
    for (const auto& r : results)
        for (const auto& run : r.runs) {
            violation |= run.result == outcome::fail || (strict && run.result == outcome::warn);
            incomplete |= run.result == outcome::error || run.result == outcome::timeout;
        }
    if (violation)
        return exit_violations;
    return incomplete ? exit_incomplete : exit_pass;
}

} // namespace chat::conformance
