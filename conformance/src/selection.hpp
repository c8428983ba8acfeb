// Which checks a run includes: --only and --exclude globs over check IDs and clause IDs.
#pragma once

#include "check.hpp"

#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace chat::conformance {

// Shell-style glob: '*' any run, '?' one character, '[abc]' / '[a-z]' / '[!a]' a set.
// Case-insensitive, so "hist-*" matches HIST-1 and "HIST.*" matches hist.cap-rest.
bool glob_match(std::string_view pattern, std::string_view text);

// True when `pattern` matches the check's ID or one of its clause IDs.
bool matches(std::string_view pattern, const check& c);

// A check runs when no --only is given or one matches it, and no --exclude matches it.
bool selected(const check& c, const std::vector<std::string>& only,
              const std::vector<std::string>& exclude);

// Patterns that match no check and no clause at all: almost certainly typos, reported as
// errors ("--only 'hist.cap-rst' matches no check or clause").
std::vector<std::string> unmatched_patterns(const std::vector<std::string>& patterns);

} // namespace chat::conformance
