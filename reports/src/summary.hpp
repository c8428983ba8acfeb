// What the renderers say about a document as a whole: counts by outcome and which outcome the
// verdict line stands for.
#pragma once

#include "chat/reports/document.hpp"

#include <array>   // array
#include <cstddef> // size_t
#include <string>  // string
#include <vector>  // vector

namespace chat::reports::detail {

inline constexpr std::array<outcome, 8> all_outcomes{
    outcome::pass,  outcome::fail,    outcome::warn,  outcome::skip,
    outcome::error, outcome::timeout, outcome::flaky, outcome::blocked};

// Lower-case outcome name, for CSS classes: "pass", "fail", ...
const char* css_name(outcome o) noexcept;

struct outcome_counts {
    std::array<std::size_t, all_outcomes.size()> n{};
    std::size_t& operator[](outcome o) { return n[static_cast<std::size_t>(o)]; }
    std::size_t operator[](outcome o) const { return n[static_cast<std::size_t>(o)]; }
    std::size_t total() const;
};

outcome_counts count(const std::vector<test_case>& cases);

// The outcome that matters most for a run: ERROR/TIMEOUT, then FAIL, FLAKY, WARN, PASS, SKIP;
// `fallback` when there is nothing to count.
outcome worst(const outcome_counts& c, outcome fallback = outcome::skip);

// The outcome a verdict line such as "FAIL: 2 of 41 checks failed" names by its first word;
// when the word is none of ours, the worst outcome among the cases; `fallback` without cases.
outcome verdict_outcome(const document& doc, outcome fallback = outcome::skip);

} // namespace chat::reports::detail
