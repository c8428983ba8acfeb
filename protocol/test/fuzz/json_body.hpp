// The property every fuzz target checks of the JSON it makes a server send: the body is valid
// UTF-8 JSON text (RFC 8259 sections 2 and 8.1) whatever the input held.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdlib>     // abort
#include <string_view> // string_view

namespace fuzz {

// Aborts (a finding) unless `body` parses as JSON; nlohmann's parser also rejects strings
// that are not UTF-8, so this checks both.
inline void require_json_body(std::string_view body) {
    if (!nlohmann::json::accept(body.begin(), body.end()))
        std::abort();
}

} // namespace fuzz
