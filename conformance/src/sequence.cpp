// Compact descriptions of numbered message sequences for expected/actual texts.
#include "sequence.hpp"

#include <charconv> // from_chars

namespace chat::conformance {

std::string numbered(std::string_view tag, long n) {
    return std::string(tag) + " " + std::to_string(n);
}

std::optional<long> number_of(std::string_view content, std::string_view tag) {
    if (content.size() <= tag.size() + 1 || content.substr(0, tag.size()) != tag ||
        content[tag.size()] != ' ')
        return std::nullopt;
    auto digits = content.substr(tag.size() + 1);
    long n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || end == digits.data())
        return std::nullopt;
    if (end != digits.data() + digits.size() && *end != ' ')
        return std::nullopt;
    return n;
}

std::string ranges(const std::vector<long>& seq) {
    std::string out;
    std::size_t runs = 0;
    for (std::size_t i = 0; i < seq.size();) {
        // A run: consecutive numbers going up or down by one.
        std::size_t j = i + 1;
        long step = 0;
        if (j < seq.size() && (seq[j] == seq[i] + 1 || seq[j] == seq[i] - 1)) {
            step = seq[j] - seq[i];
            while (j < seq.size() && seq[j] == seq[j - 1] + step)
                ++j;
        }
        if (runs == 12) {
            out += ", ... (" + std::to_string(seq.size() - i) + " more)";
            break;
        }
        if (!out.empty())
            out += ", ";
        out += std::to_string(seq[i]);
        if (j - i > 1)
            out += (j - i == 2 ? ", " : "..") + std::to_string(seq[j - 1]);
        ++runs;
        i = j;
    }
    return out;
}

std::string describe(const std::vector<long>& seq) {
    if (seq.empty())
        return "no messages";
    return std::to_string(seq.size()) + (seq.size() == 1 ? " message: " : " messages: ") +
           ranges(seq);
}

} // namespace chat::conformance
