// Outcome and format names, and writing a document in several formats at once.
#include "chat/reports/render.hpp"

#include <algorithm>    // find
#include <cctype>       // tolower
#include <cerrno>       // errno
#include <cstring>      // strerror
#include <fstream>      // ofstream
#include <stdexcept>    // invalid_argument, runtime_error
#include <string_view>  // string_view
#include <system_error> // error_code

namespace chat::reports {

const char* to_string(outcome o) noexcept {
    switch (o) {
    case outcome::pass:
        return "PASS";
    case outcome::fail:
        return "FAIL";
    case outcome::warn:
        return "WARN";
    case outcome::skip:
        return "SKIP";
    case outcome::error:
        return "ERROR";
    case outcome::timeout:
        return "TIMEOUT";
    case outcome::flaky:
        return "FLAKY";
    case outcome::blocked:
        return "BLOCKED";
    }
    return "ERROR";
}

const char* to_string(format f) noexcept {
    switch (f) {
    case format::json:
        return "json";
    case format::junit:
        return "junit";
    case format::html:
        return "html";
    case format::markdown:
        return "md";
    }
    return "json";
}

std::vector<format> all_formats() {
    return {format::json, format::junit, format::html, format::markdown};
}

format parse_format(const std::string& name) {
    std::string n;
    for (const char c : name)
        n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (n == "json")
        return format::json;
    if (n == "junit" || n == "xml")
        return format::junit;
    if (n == "html")
        return format::html;
    if (n == "md" || n == "markdown")
        return format::markdown;
    throw std::invalid_argument("unknown report format \"" + name +
                                "\"; expected one of: json, junit, html, md");
}

std::vector<format> parse_formats(const std::string& list) {
    std::vector<format> out;
    std::string_view rest = list;
    while (true) {
        const auto comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        while (!item.empty() && item.front() == ' ')
            item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ')
            item.remove_suffix(1);
        if (item == "all" || item == "ALL")
            return all_formats();
        if (!item.empty()) {
            const format f = parse_format(std::string(item));
            if (std::find(out.begin(), out.end(), f) == out.end())
                out.push_back(f);
        }
        if (comma == std::string_view::npos)
            break;
        rest.remove_prefix(comma + 1);
    }
    return out.empty() ? all_formats() : out;
}

namespace {

const char* extension(format f) {
    switch (f) {
    case format::json:
        return ".json";
    case format::junit:
        return ".junit.xml";
    case format::html:
        return ".html";
    case format::markdown:
        return ".md";
    }
    return ".json";
}

std::string render(const document& doc, format f) {
    switch (f) {
    case format::json:
        return to_json(doc);
    case format::junit:
        return to_junit(doc);
    case format::html:
        return to_html(doc);
    case format::markdown:
        return to_markdown(doc);
    }
    return to_json(doc);
}

void write_file(const std::filesystem::path& path, const std::string& text) {
    // Written beside the target and renamed, so a reader never sees half a report.
    auto tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            throw std::runtime_error("cannot write report " + tmp.string() + ": " +
                                     std::strerror(errno));
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.close();
        if (!out) {
            const std::string why = std::strerror(errno);
            std::error_code ignored;
            std::filesystem::remove(tmp, ignored);
            throw std::runtime_error("cannot write report " + tmp.string() + ": " + why);
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw std::runtime_error("cannot write report " + path.string() + ": " + ec.message());
    }
}

} // namespace

std::vector<std::filesystem::path> write_all(const document& doc, const std::filesystem::path& dir,
                                             const std::string& stem,
                                             const std::vector<format>& formats) {
    if (stem.empty() || stem.find_first_of("/\\") != std::string::npos)
        throw std::invalid_argument("report file stem must be a plain file name (got \"" + stem +
                                    "\")");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw std::runtime_error("cannot create report directory " + dir.string() + ": " +
                                 ec.message());
    std::vector<std::filesystem::path> written;
    std::vector<format> done;
    for (const auto f : formats) {
        if (std::find(done.begin(), done.end(), f) != done.end())
            continue;
        done.push_back(f);
        auto path = dir / (stem + extension(f));
        write_file(path, render(doc, f));
        written.push_back(std::move(path));
    }
    return written;
}

} // namespace chat::reports
