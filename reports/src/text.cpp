// Cleaning, escaping and number notation shared by the renderers.
#include "text.hpp"

#include <cmath>   // isfinite
#include <cstdint> // uint32_t
#include <cstdio>  // snprintf

namespace chat::reports::detail {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD"; // U+FFFD

void append_escape(std::string& out, std::uint32_t cp) {
    char buf[12];
    std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(cp));
    out += buf;
}

// Length of the UTF-8 sequence at s[i] and its code point; 0 when it is not valid UTF-8
// (truncated, overlong, surrogate, beyond U+10FFFF).
std::size_t decode(std::string_view s, std::size_t i, std::uint32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t min = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2, min = 0x80, cp = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3, min = 0x800, cp = b0 & 0x0Fu;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4, min = 0x10000, cp = b0 & 0x07u;
    } else {
        return 0;
    }
    if (i + len > s.size())
        return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0u) != 0x80u)
            return 0;
        cp = (cp << 6) | (b & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

} // namespace

std::string clean(std::string_view s, breaks b) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            if (c == '\t' || (c >= 0x20 && c < 0x7F)) {
                out += static_cast<char>(c);
            } else if (c == '\n') {
                out += b == breaks::keep ? "\n" : "\\n";
            } else if (c == '\r') {
                if (b == breaks::visible)
                    out += "\\r";
                else if (i >= s.size() || s[i] != '\n')
                    out += '\n'; // a lone CR is a line break too
            } else {
                append_escape(out, c);
            }
            continue;
        }
        std::uint32_t cp = 0;
        const std::size_t len = decode(s, i, cp);
        if (len == 0) {
            out += replacement;
            ++i;
        } else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF) {
            append_escape(out, cp);
            i += len;
        } else {
            out.append(s.substr(i, len));
            i += len;
        }
    }
    return out;
}

std::string shorten(std::string_view s, std::size_t max_bytes) {
    if (s.size() <= max_bytes)
        return std::string(s);
    std::size_t cut = max_bytes;
    // Step back over continuation bytes so no character is split (at most three: past that
    // the bytes are not UTF-8 anyway and clean() replaces them).
    for (int k = 0; k < 3 && cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0u) == 0x80u; ++k)
        --cut;
    return std::string(s.substr(0, cut)) + "\xE2\x80\xA6"; // U+2026
}

std::string markup_escape(std::string_view s, bool attribute) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for (const char c : s) {
        if (c == '&')
            out += "&amp;";
        else if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else if (!attribute)
            out += c; // quotes need no escape in content, and wire text is full of them
        else if (c == '"')
            out += "&quot;";
        else if (c == '\'')
            out += "&#39;";
        else if (c == '\n')
            out += "&#10;";
        else if (c == '\t')
            out += "&#9;";
        else
            out += c;
    }
    return out;
}

std::string markdown_inline(std::string_view s) {
    const std::string text = clean(s, breaks::keep);
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (const char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '\n':
        case '\t':
            out += ' ';
            break;
        case '\\':
        case '`':
        case '*':
        case '_':
        case '[':
        case ']':
        case '|':
        case '~':
        case '#':
            out += '\\';
            out += c;
            break;
        default:
            out += c;
        }
    }
    return out;
}

namespace {
double sane(double ms) {
    return std::isfinite(ms) && ms > 0 ? ms : 0.0;
}
} // namespace

std::string seconds(double ms) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.3f", sane(ms) / 1000.0);
    return buf;
}

std::string duration(double ms) {
    ms = sane(ms);
    char buf[48];
    if (ms >= 10'000)
        std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000.0);
    else if (ms >= 1'000)
        std::snprintf(buf, sizeof buf, "%.2f s", ms / 1000.0);
    else
        std::snprintf(buf, sizeof buf, "%.1f ms", ms);
    return buf;
}

std::string offset_ms(double ms) {
    if (!std::isfinite(ms))
        ms = 0;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%10.3f", ms);
    return buf;
}

} // namespace chat::reports::detail
