// Counts by outcome and the verdict's outcome.
#include "summary.hpp"

#include <cctype> // isalpha, toupper
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
    case outcome::blocked:
        return "blocked";
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
    case outcome::blocked:
        return 1;
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
