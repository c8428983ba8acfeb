// Numbered message contents ("hist 17") and sequences of them described in words, so a
// report says "99 messages: 51..149" instead of dumping a hundred lines.
#pragma once

#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace chat::conformance {

// "<tag> <n>"
std::string numbered(std::string_view tag, long n);
// n if `content` is "<tag> <n>" (a padded form "<tag> <n> xxx..." too), else nullopt.
std::optional<long> number_of(std::string_view content, std::string_view tag);

// "100 messages: 50..149", "3 messages: 7, 9, 8", "none".
std::string describe(const std::vector<long>& seq);
// "50..149" style ranges only, without the count.
std::string ranges(const std::vector<long>& seq);

} // namespace chat::conformance
