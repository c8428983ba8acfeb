// The clauses of SPEC.md, mirrored in code so every check can quote the requirement it
// enforces. A test (test/clause_table.cpp) parses SPEC.md and fails when the two drift apart.
#pragma once

#include <string_view> // string_view
#include <vector>      // vector

namespace chat::conformance {

enum class level { must, should, may };
const char* to_string(level l) noexcept; // "MUST", "SHOULD", "MAY"

struct clause {
    std::string_view id;   // "HIST-2"
    level strength;        // MUST, SHOULD, MAY
    std::string_view text; // the requirement, verbatim from SPEC.md (Markdown)
};

// The version of SPEC.md this table mirrors.
inline constexpr std::string_view spec_version = "1.2";

// Every clause of SPEC.md, in document order.
const std::vector<clause>& clauses();

// The clause with `id`, or nullptr.
const clause* find_clause(std::string_view id) noexcept;

} // namespace chat::conformance
