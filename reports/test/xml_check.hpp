// A small XML 1.0 well-formedness check for the tests: UTF-8 and allowed characters, balanced
// tags, quoted attributes without '<', known entities, one root. Returns "" or what is wrong.
#pragma once

#include <cctype>  // isalnum, isspace
#include <cstddef> // size_t
#include <cstdint> // uint32_t
#include <string>  // string
#include <vector>  // vector

namespace chat::reports::test {

inline std::string xml_problem(const std::string& x) {
    // Characters: valid UTF-8, and only what XML 1.0 allows.
    for (std::size_t i = 0; i < x.size();) {
        const auto b = static_cast<unsigned char>(x[i]);
        std::uint32_t cp = 0;
        std::size_t len = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
        if (len == 0 || i + len > x.size())
            return "invalid UTF-8 at byte " + std::to_string(i);
        cp = len == 1 ? b : b & (0x7Fu >> len);
        for (std::size_t k = 1; k < len; ++k) {
            const auto c = static_cast<unsigned char>(x[i + k]);
            if ((c & 0xC0u) != 0x80u)
                return "invalid UTF-8 at byte " + std::to_string(i);
            cp = (cp << 6) | (c & 0x3Fu);
        }
        const bool ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                        (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
        const std::uint32_t min = len == 1 ? 0 : len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        if (!ok || cp < min)
            return "character not allowed in XML at byte " + std::to_string(i);
        i += len;
    }
    const auto name_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' ||
               c == '.';
    };
    const auto entity_ok = [&](std::size_t& i) {
        const auto end = x.find(';', i);
        if (end == std::string::npos || end - i > 10)
            return false;
        const std::string e = x.substr(i + 1, end - i - 1);
        bool ok = e == "amp" || e == "lt" || e == "gt" || e == "quot" || e == "apos";
        if (!ok && e.size() > 1 && e[0] == '#')
            ok = e.find_first_not_of(e[1] == 'x' ? "0123456789abcdefABCDEF" : "0123456789",
                                     e[1] == 'x' ? 2 : 1) == std::string::npos;
        i = end + 1;
        return ok;
    };
    std::vector<std::string> open;
    int roots = 0;
    std::size_t i = 0;
    if (x.compare(0, 5, "<?xml") == 0)
        i = x.find("?>") + 2;
    while (i < x.size()) {
        const char c = x[i];
        if (c == '&') {
            if (!entity_ok(i))
                return "bad entity near byte " + std::to_string(i);
            continue;
        }
        if (c != '<') {
            if (open.empty() && !std::isspace(static_cast<unsigned char>(c)))
                return "text outside the root at byte " + std::to_string(i);
            ++i;
            continue;
        }
        if (x.compare(i, 4, "<!--") == 0) {
            const auto end = x.find("-->", i);
            if (end == std::string::npos)
                return "unclosed comment";
            i = end + 3;
            continue;
        }
        if (x.compare(i, 2, "</") == 0) {
            const auto end = x.find('>', i);
            if (end == std::string::npos || open.empty() ||
                x.substr(i + 2, end - i - 2) != open.back())
                return "mismatched end tag at byte " + std::to_string(i);
            open.pop_back();
            i = end + 1;
            continue;
        }
        ++i;
        std::string name;
        while (i < x.size() && name_char(x[i]))
            name += x[i++];
        if (name.empty())
            return "raw '<' at byte " + std::to_string(i - 1);
        while (true) {
            while (i < x.size() && std::isspace(static_cast<unsigned char>(x[i])))
                ++i;
            if (i >= x.size())
                return "unclosed tag " + name;
            if (x.compare(i, 2, "/>") == 0) {
                i += 2;
                if (open.empty())
                    ++roots;
                break;
            }
            if (x[i] == '>') {
                ++i;
                if (open.empty())
                    ++roots;
                open.push_back(name);
                break;
            }
            std::string attr;
            while (i < x.size() && name_char(x[i]))
                attr += x[i++];
            if (attr.empty() || i + 1 >= x.size() || x[i] != '=' ||
                (x[i + 1] != '"' && x[i + 1] != '\''))
                return "bad attribute in " + name + " at byte " + std::to_string(i);
            const char q = x[i + 1];
            i += 2;
            while (i < x.size() && x[i] != q) {
                if (x[i] == '<')
                    return "'<' in attribute " + attr;
                if (x[i] == '&') {
                    if (!entity_ok(i))
                        return "bad entity in attribute " + attr;
                    continue;
                }
                ++i;
            }
            ++i;
        }
    }
    if (!open.empty())
        return "unclosed element " + open.back();
    if (roots != 1)
        return "expected one root element, found " + std::to_string(roots);
    return "";
}

} // namespace chat::reports::test
