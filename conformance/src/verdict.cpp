// Combining repetitions, and the exit code of a run.
#include "verdict.hpp"

#include <algorithm> // stable_sort
#include <map>       // map

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

namespace {

bool has(const std::vector<std::string>& v, std::string_view x) {
    for (const auto& e : v)
        if (e == x)
            return true;
    return false;
}

void add_once(std::vector<std::string>& v, std::string_view x) {
    if (!has(v, x))
        v.emplace_back(x);
}

// Clauses some repetition of some check saw violated (FAIL or WARN, or a SHOULD finding of a
// check that went on), each clause judged only by checks that name it.
std::vector<std::string> violated_clauses(const std::vector<check_result>& results) {
    std::vector<std::string> out;
    for (const auto& r : results)
        for (const auto& run : r.runs)
            for (const auto& f : run.findings)
                if (r.definition && r.definition->judges(f.clause))
                    add_once(out, f.clause);
    return out;
}

} // namespace

std::vector<clause_verdict> clause_verdicts(const std::vector<check_result>& results) {
    std::vector<clause_verdict> out;
    for (const auto& cl : clauses()) {
        clause_verdict v;
        v.definition = &cl;
        bool selected = false, pass = false, error = false, timeout = false, flaky = false;
        bool blocked = false, all_skipped = true;
        for (const auto& r : results) {
            if (!r.definition->judges(cl.id))
                continue;
            v.checks.emplace_back(r.definition->id);
            if (!r.selected || r.runs.empty())
                continue;
            selected = true;
            for (const auto& run : r.runs) {
                for (const auto& f : run.findings)
                    if (f.clause == cl.id) {
                        if (v.proven_by.empty()) {
                            v.expected = f.expected;
                            v.actual = f.actual;
                        }
                        add_once(v.proven_by, r.definition->id);
                    }
                if (run.result == outcome::blocked) {
                    blocked = true;
                    add_once(v.blocked_by, run.blocked_by);
                }
            }
            pass |= r.combined == outcome::pass ||
                    (r.combined == outcome::warn && r.runs.front().clause != cl.id);
            all_skipped = all_skipped && r.combined == outcome::skip;
            error |= r.combined == outcome::error;
            timeout |= r.combined == outcome::timeout;
            flaky |= r.combined == outcome::flaky;
        }
        if (v.checks.empty())
            v.result = "UNCOVERED";
        else if (!v.proven_by.empty())
            v.result = cl.strength == level::must ? "FAIL" : "WARN";
        else if (!selected || all_skipped) // not selected, or not applicable to this server
            v.result = "SKIP";
        else if (error)
            v.result = "ERROR";
        else if (timeout)
            v.result = "TIMEOUT";
        else if (flaky)
            v.result = "FLAKY";
        else if (pass)
            v.result = "PASS";
        else if (blocked)
            v.result = "BLOCKED";
        else
            v.result = "UNJUDGED";
        out.push_back(std::move(v));
    }
    // How many checks each clause's failure blocked (each check once, whatever --repeat):
    // the root causes come first.
    for (const auto& r : results) {
        std::vector<std::string> blockers;
        for (const auto& run : r.runs)
            if (run.result == outcome::blocked)
                add_once(blockers, run.blocked_by);
        for (const auto& b : blockers)
            for (auto& v : out)
                if (v.definition->id == b)
                    ++v.blocks;
    }
    return out;
}

std::vector<const clause_verdict*> root_causes(const std::vector<clause_verdict>& verdicts) {
    std::vector<const clause_verdict*> out;
    for (const char* wanted : {"FAIL", "WARN"})
        for (const auto& v : verdicts)
            if (v.result == wanted)
                out.push_back(&v);
    std::stable_sort(out.begin(), out.end(), [](const clause_verdict* a, const clause_verdict* b) {
        if ((a->result == "FAIL") != (b->result == "FAIL"))
            return a->result == "FAIL";
        return a->blocks > b->blocks;
    });
    return out;
}

int exit_code(const std::vector<check_result>& results, bool strict, bool target_failed) {
    if (target_failed)
        return exit_incomplete;
    const auto violated = violated_clauses(results);
    bool violation = false, incomplete = false;
    for (const auto& r : results)
        for (const auto& run : r.runs) {
            violation |= run.result == outcome::fail || (strict && run.result == outcome::warn);
            incomplete |= run.result == outcome::error || run.result == outcome::timeout ||
                          (run.result == outcome::blocked && !has(violated, run.blocked_by));
        }
    if (violation)
        return exit_violations;
    return incomplete ? exit_incomplete : exit_pass;
}

} // namespace chat::conformance
