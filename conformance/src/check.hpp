// A conformance check: an ID, the clauses it covers, and a coroutine that judges a server
// through its sockets. Checks end by returning (PASS) or by throwing one of the verdicts below.
#pragma once

#include "clause.hpp"

#include <boost/asio/awaitable.hpp>

#include <exception>   // exception
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace chat::conformance {

class check_context;

// One requirement found unmet: expected against actual, in a server author's words.
struct finding {
    std::string clause; // "HIST-2"
    level strength = level::must;
    std::string expected;
    std::string actual;
};

// Thrown to end a check with FAIL (MUST clause) or WARN (SHOULD clause).
struct violation : std::exception {
    finding what_failed;
    explicit violation(finding f) : what_failed(std::move(f)) {}
    const char* what() const noexcept override { return what_failed.actual.c_str(); }
};

// Thrown when a check cannot judge its own clauses because the server breaks another clause
// the check depends on (its messages are unrecognisable once MSG-2 fails, it cannot join once
// CONN-1 fails): BLOCKED, naming the other clause. The clause that owns the evidence is judged
// by its own checks; a check never FAILs a clause it does not name.
struct blocked : std::exception {
    finding cause; // the other clause and what was seen
    explicit blocked(finding f) : cause(std::move(f)) {}
    const char* what() const noexcept override { return cause.actual.c_str(); }
};

// Thrown when the harness cannot judge (target unreachable, connection refused): ERROR.
struct harness_error : std::exception {
    std::string reason;
    explicit harness_error(std::string r) : reason(std::move(r)) {}
    const char* what() const noexcept override { return reason.c_str(); }
};

// Thrown when a check does not apply to this run: SKIP.
struct not_applicable : std::exception {
    std::string reason;
    explicit not_applicable(std::string r) : reason(std::move(r)) {}
    const char* what() const noexcept override { return reason.c_str(); }
};

// Thrown inside a check whose deadline has passed, so it stops at its next step.
struct check_cancelled : std::exception {
    const char* what() const noexcept override { return "check cancelled"; }
};

using check_body = boost::asio::awaitable<void> (*)(check_context&);

struct check {
    std::string_view id;                   // "hist.cap-rest"
    std::vector<std::string_view> clauses; // the clauses it judges, first the main one
    std::string_view title;                // one line
    check_body body = nullptr;
    int budget_ms = 8000;   // hard deadline, before --timeout-scale
    bool exclusive = false; // runs alone after every other check (it stops the server)
    // A FAIL of this check stands even when the target is found dead right after it, because
    // the check judges exactly that (SLOW-4: dropping a slow client must not kill the server).
    // Other checks' FAILs then become ERROR: a verdict taken while the server died is not one.
    bool judges_crashes = false;

    // Whether this check judges `clause` (names it among its clauses).
    bool judges(std::string_view clause) const;
    // The strongest level among its clauses: a check covering a MUST is a MUST check.
    level strength() const;
    // "HIST-1, HIST-2"
    std::string clause_list() const;
    // Each clause quoted: "HIST-1 (MUST): The server keeps ..." one per line.
    std::string requirement() const;
};

} // namespace chat::conformance
