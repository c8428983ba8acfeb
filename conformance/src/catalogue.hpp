// The catalogue: every check chat-conform knows, in SPEC.md order, and which clauses have none.
#pragma once

#include "check.hpp"
#include "clause.hpp"

#include <vector> // vector

namespace chat::conformance {

const std::vector<check>& catalogue();

// The checks that cover clause `id`.
std::vector<const check*> checks_covering(std::string_view id);

// Clauses of SPEC.md that no check covers (the goal: none).
std::vector<const clause*> uncovered_clauses();

} // namespace chat::conformance
