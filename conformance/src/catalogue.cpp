// The catalogue, assembled from the per-area check files.
#include "catalogue.hpp"

#include "checks/checks.hpp"

namespace chat::conformance {

bool check::judges(std::string_view clause) const {
    for (auto id : clauses)
        if (id == clause)
            return true;
    return false;
}

level check::strength() const {
    auto strongest = level::may;
    for (auto id : clauses)
        if (const auto* c = find_clause(id);
            c && static_cast<int>(c->strength) < static_cast<int>(strongest))
            strongest = c->strength;
    return strongest;
}

std::string check::clause_list() const {
    std::string out;
    for (auto id : clauses) {
        if (!out.empty())
            out += ", ";
        out += id;
    }
    return out;
}

std::string check::requirement() const {
    std::string out;
    for (auto id : clauses) {
        const auto* c = find_clause(id);
        if (!out.empty())
            out += "\n";
        out += std::string(id) + " (" + (c ? to_string(c->strength) : "?") +
               "): " + (c ? std::string(c->text) : "unknown clause");
    }
    return out;
}

const std::vector<check>& catalogue() {
    static const std::vector<check> all = [] {
        std::vector<check> out;
        for (auto part : {conn_checks, msg_checks, ord_checks, hist_checks, room_checks,
                          slow_checks, http_checks, ws_checks, limit_checks, shut_checks})
            for (auto& c : part())
                out.push_back(std::move(c));
        return out;
    }();
    return all;
}

std::vector<const check*> checks_covering(std::string_view id) {
    std::vector<const check*> out;
    for (const auto& c : catalogue())
        for (auto cl : c.clauses)
            if (cl == id) {
                out.push_back(&c);
                break;
            }
    return out;
}

std::vector<const clause*> uncovered_clauses() {
    std::vector<const clause*> out;
    for (const auto& c : clauses())
        if (checks_covering(c.id).empty())
            out.push_back(&c);
    return out;
}

} // namespace chat::conformance
