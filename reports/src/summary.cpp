// Counts by outcome, cases by clause and the verdict's outcome.
#include "summary.hpp"

#include <algorithm> // find_if
#include <cctype>    // isalpha, toupper
#include <string_view>

namespace chat::reports::detail {

const char* css_name(outcome o) noexcept {
    switch (o) {
    case outcome::pass:
        return "pass";
    case outcome::fail:
        return "fail";
    case outcome::warn:
        return "warn";
    case outcome::skip:
        return "skip";
    case outcome::error:
        return "error";
    case outcome::timeout:
        return "timeout";
    case outcome::flaky:
        return "flaky";
    }
    return "error";
}

std::size_t outcome_counts::total() const {
    std::size_t t = 0;
    for (const auto v : n)
        t += v;
    return t;
}

outcome_counts count(const std::vector<test_case>& cases) {
    outcome_counts c;
    for (const auto& tc : cases)
        ++c[tc.result];
    return c;
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// How bad an outcome is for the run as a whole: harness trouble, then violations, then notes.
int severity(outcome o) {
    switch (o) {
    case outcome::error:
    case outcome::timeout:
        return 5;
    case outcome::fail:
        return 4;
    case outcome::flaky:
        return 3;
    case outcome::warn:
        return 2;
    case outcome::pass:
        return 1;
    case outcome::skip:
        return 0;
    }
    return 0;
}

} // namespace

outcome worst(const outcome_counts& c, outcome fallback) {
    outcome w = fallback;
    bool any = false;
    for (const auto o : all_outcomes)
        if (c[o] > 0 && (!any || severity(o) > severity(w))) {
            w = o;
            any = true;
        }
    return w;
}

std::vector<clause_summary> by_clause(const std::vector<test_case>& cases) {
    std::vector<clause_summary> out;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        std::string_view rest = cases[i].group;
        std::vector<std::string> names;
        while (true) {
            const auto comma = rest.find(',');
            const auto name = trim(rest.substr(0, comma));
            if (!name.empty())
                names.emplace_back(name);
            if (comma == std::string_view::npos)
                break;
            rest.remove_prefix(comma + 1);
        }
        if (names.empty())
            names.emplace_back("(no clause)");
        for (const auto& name : names) {
            auto it = std::find_if(out.begin(), out.end(),
                                   [&](const clause_summary& s) { return s.clause == name; });
            if (it == out.end())
                it = out.insert(out.end(), clause_summary{name, {}, {}});
            if (!it->cases.empty() && it->cases.back() == i)
                continue; // "A, A" names the clause once
            ++it->counts[cases[i].result];
            it->cases.push_back(i);
        }
    }
    return out;
}

outcome verdict_outcome(const document& doc, outcome fallback) {
    std::string word;
    for (const char c : doc.verdict) {
        if (!std::isalpha(static_cast<unsigned char>(c)))
            break;
        word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    for (const auto o : all_outcomes)
        if (word == to_string(o))
            return o;
    if (word == "OK" || word == "PASSED")
        return outcome::pass;
    if (word == "FAILED")
        return outcome::fail;
    // "INVALID" (a saturated load generator) is harness trouble, like ERROR.
    if (word == "INVALID")
        return outcome::error;
    return worst(count(doc.cases), fallback);
}

} // namespace chat::reports::detail
