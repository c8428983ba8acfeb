// Glob matching and check selection.
#include "selection.hpp"

#include "catalogue.hpp"

namespace chat::conformance {

namespace {

char fold(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Matches a [...] set at p[0] against c; returns the index after the set, or npos when the
// set is unterminated (then '[' is an ordinary character).
std::size_t match_set(std::string_view p, char c, bool& hit) {
    std::size_t i = 1;
    bool negate = false;
    if (i < p.size() && (p[i] == '!' || p[i] == '^')) {
        negate = true;
        ++i;
    }
    bool any = false;
    bool first = true;
    for (; i < p.size() && (p[i] != ']' || first); ++i) {
        first = false;
        if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
            any |= fold(c) >= fold(p[i]) && fold(c) <= fold(p[i + 2]);
            i += 2;
        } else
            any |= fold(c) == fold(p[i]);
    }
    if (i >= p.size())
        return std::string_view::npos;
    hit = any != negate;
    return i + 1;
}

} // namespace

bool glob_match(std::string_view p, std::string_view t) {
    // Iterative matching with one backtrack point for the last '*'.
    std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
    while (ti < t.size()) {
        if (pi < p.size() && p[pi] == '*') {
            star = pi++;
            mark = ti;
            continue;
        }
        if (pi < p.size()) {
            if (p[pi] == '?') {
                ++pi;
                ++ti;
                continue;
            }
            if (p[pi] == '[') {
                bool hit = false;
                auto next = match_set(p.substr(pi), t[ti], hit);
                if (next != std::string_view::npos) {
                    if (hit) {
                        pi += next;
                        ++ti;
                        continue;
                    }
                } else if (fold(t[ti]) == '[') {
                    ++pi;
                    ++ti;
                    continue;
                }
            } else if (fold(p[pi]) == fold(t[ti])) {
                ++pi;
                ++ti;
                continue;
            }
        }
        if (star == std::string_view::npos)
            return false;
        pi = star + 1;
        ti = ++mark;
    }
    while (pi < p.size() && p[pi] == '*')
        ++pi;
    return pi == p.size();
}

bool matches(std::string_view pattern, const check& c) {
    if (glob_match(pattern, c.id))
        return true;
    for (auto id : c.clauses)
        if (glob_match(pattern, id))
            return true;
    return false;
}

bool selected(const check& c, const std::vector<std::string>& only,
              const std::vector<std::string>& exclude) {
    bool in = only.empty();
    for (const auto& p : only)
        in = in || matches(p, c);
    for (const auto& p : exclude)
        if (matches(p, c))
            return false;
    return in;
}

std::vector<std::string> unmatched_patterns(const std::vector<std::string>& patterns) {
    std::vector<std::string> out;
    for (const auto& p : patterns) {
        bool any = false;
        for (const auto& c : catalogue())
            any = any || matches(p, c);
        for (const auto& cl : clauses())
            any = any || glob_match(p, cl.id);
        if (!any)
            out.push_back(p);
    }
    return out;
}

} // namespace chat::conformance
