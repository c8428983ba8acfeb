// The protocol parsers' way of saying why they refused an input: an optional out-parameter.
#pragma once

#include <string>  // string
#include <utility> // move

namespace chat::reason {

// Stores `text` in `*why` when the caller asked for a reason (`why` not null).
inline void say(std::string* why, std::string text) {
    if (why)
        *why = std::move(text);
}

} // namespace chat::reason
