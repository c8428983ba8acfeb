// Outcomes of checks and of a whole run: how repetitions combine (FLAKY) and the exit code.
#pragma once

#include "check.hpp"

#include "chat/reports/document.hpp"

#include <string> // string
#include <vector> // vector

namespace chat::conformance {

using outcome = reports::outcome;

// One repetition of one check.
struct check_run {
    int repetition = 1;
    outcome result = outcome::pass;
    std::string clause;     // the clause a FAIL/WARN breaks
    std::string blocked_by; // BLOCKED: the other clause whose failure stopped it
    std::string expected;   // FAIL/WARN/BLOCKED: what SPEC.md asks for, in words
    std::string actual;     // FAIL/WARN/BLOCKED: what the server did; ERROR/TIMEOUT/SKIP: why
    std::string message;    // figures the check reported ("dropped after 312 messages")
    std::vector<finding> findings; // every unmet requirement, SHOULD findings included
    double duration_ms = 0;
    std::vector<reports::transcript_line> transcript;
};

// Every repetition of one check of the catalogue.
struct check_result {
    const check* definition = nullptr;
    bool selected = false;
    std::vector<check_run> runs; // empty when not selected
    outcome combined = outcome::skip;
    std::string summary; // "not selected", "FLAKY: 18 PASS, 2 FAIL of 20 runs", ...
    // The run whose details a report shows: the first that is not PASS, else the first.
    const check_run* representative() const;
};

// The same outcome in every run gives that outcome; otherwise FLAKY.
outcome combine(const std::vector<check_run>& runs);
// "18 PASS, 2 FAIL"
std::string tally(const std::vector<check_run>& runs);
// Fills combined and summary from runs.
void settle(check_result& r);

// Exit codes, never a count:
//   0  every selected MUST check passed (and every SHOULD check with --strict);
//   1  the server violates the spec: a FAIL (or a WARN with --strict) in any repetition;
//   2  the verdict is incomplete: the target was unreachable, died or the run hit its
//      overall deadline (2 even if violations were found), or, with no violation found, a
//      check ended ERROR/TIMEOUT or BLOCKED by a clause that no check of the run proved
//      violated.
enum exit_status : int { exit_pass = 0, exit_violations = 1, exit_incomplete = 2 };
int exit_code(const std::vector<check_result>& results, bool strict, bool target_failed);

// "PASS", "FAIL", ...
std::string name_of(outcome o);

// One clause of SPEC.md as the run judged it: the same verdict in every format.
struct clause_verdict {
    const clause* definition = nullptr;
    // PASS, FAIL (a MUST seen violated), WARN (a SHOULD seen violated), BLOCKED, ERROR,
    // TIMEOUT, FLAKY, SKIP (no check of it selected or applicable), UNJUDGED (its checks ended on
    // another clause before judging it), UNCOVERED (no check in the catalogue).
    std::string result;
    std::vector<std::string> proven_by;  // checks that observed the violation
    std::vector<std::string> checks;     // every check that covers it
    std::vector<std::string> blocked_by; // BLOCKED: the clauses that stopped its checks
    std::size_t blocks = 0;              // checks of other clauses this clause's failure blocked
    std::string expected, actual;        // the first proof (FAIL/WARN)
};
// Every clause of SPEC.md, in SPEC order.
std::vector<clause_verdict> clause_verdicts(const std::vector<check_result>& results);
// The violated clauses (FAIL, then WARN), the root causes first: those whose failure blocked
// most other checks, then SPEC order.
std::vector<const clause_verdict*> root_causes(const std::vector<clause_verdict>& verdicts);

} // namespace chat::conformance
