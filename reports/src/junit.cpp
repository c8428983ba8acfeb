// JUnit XML, as CI test reporters read it: one <testsuite>, one <testcase> per case. A SHOULD
// not met (WARN) passes, so it cannot fail a CI gate, but stays visible in output and properties.
#include "chat/reports/render.hpp"

#include "summary.hpp"
#include "text.hpp"

#include <cmath> // isfinite

namespace chat::reports {
namespace {

using detail::breaks;
using detail::markup;

// CI tools choke on megabytes per test case; the JSON report keeps everything.
constexpr std::size_t junit_max_transcript_lines = 2000;
constexpr std::size_t junit_max_line_bytes = 2000;
constexpr std::size_t junit_max_message_bytes = 500;

std::string attr(std::string_view s) {
    return markup(s, breaks::keep, true);
}

// One line for the message attribute: what a reporter shows next to the test name.
std::string headline(const test_case& tc) {
    std::string s;
    if (!tc.expected.empty() || !tc.actual.empty())
        s = "expected " + tc.expected + "; actual " + tc.actual;
    else if (!tc.message.empty())
        s = tc.message;
    else
        s = to_string(tc.result);
    for (auto& c : s)
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
    return detail::shorten(s, junit_max_message_bytes);
}

// The full story of a verdict: clause, requirement, expected against actual, figures.
std::string details(const test_case& tc) {
    std::string s;
    if (!tc.group.empty() || !tc.level.empty())
        s += (tc.level.empty() ? "" : "[" + tc.level + "] ") + tc.group + "\n";
    if (!tc.requirement.empty())
        s += "Requirement: \"" + tc.requirement + "\"\n";
    if (!tc.expected.empty())
        s += "Expected: " + tc.expected + "\n";
    if (!tc.actual.empty())
        s += "Actual:   " + tc.actual + "\n";
    if (!tc.message.empty())
        s += tc.message + "\n";
    return markup(s);
}

std::string transcript(const test_case& tc) {
    std::string s;
    std::size_t n = 0;
    for (const auto& line : tc.transcript) {
        if (n++ == junit_max_transcript_lines) {
            s += "... " + std::to_string(tc.transcript.size() - junit_max_transcript_lines) +
                 " more lines in the JSON report\n";
            break;
        }
        s += detail::offset_ms(line.t_ms) + " ms " +
             detail::clean(line.direction, breaks::visible) + " " +
             detail::clean(detail::shorten(line.text, junit_max_line_bytes), breaks::visible) +
             "\n";
    }
    return detail::markup_escape(s);
}

} // namespace

std::string to_junit(const document& doc) {
    const auto counts = detail::count(doc.cases);
    double total_ms = 0;
    for (const auto& tc : doc.cases)
        if (std::isfinite(tc.duration_ms) && tc.duration_ms > 0)
            total_ms += tc.duration_ms;
    const std::string suite = doc.tool.empty() ? "chat-report" : doc.tool;
    const std::string figures =
        " tests=\"" + std::to_string(doc.cases.size()) + "\" failures=\"" +
        std::to_string(counts[outcome::fail] + counts[outcome::flaky] +
                       (doc.warnings_fail ? counts[outcome::warn] : 0)) +
        "\" errors=\"" + std::to_string(counts[outcome::error] + counts[outcome::timeout]) +
        "\" skipped=\"" + std::to_string(counts[outcome::skip] + counts[outcome::blocked]) +
        "\" time=\"" + detail::seconds(total_ms) + "\"";

    std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    x += "<testsuites name=\"" + attr(suite) + "\"" + figures + ">\n";
    x += "  <testsuite name=\"" + attr(suite) + "\"" + figures + ">\n";
    x += "    <properties>\n";
    const auto property = [&x](std::string_view name, std::string_view value) {
        x += "      <property name=\"" + attr(name) + "\" value=\"" + attr(value) + "\"/>\n";
    };
    if (!doc.title.empty())
        property("title", doc.title);
    if (!doc.verdict.empty())
        property("verdict", doc.verdict);
    for (std::size_t i = 0; i < doc.highlights.size(); ++i)
        property("finding " + std::to_string(i + 1), doc.highlights[i]);
    for (const auto& [key, value] : doc.meta)
        property(key, value);
    for (const auto& tc : doc.cases)
        if (tc.result == outcome::warn)
            property("warning " + tc.id, headline(tc));
    x += "    </properties>\n";

    for (const auto& tc : doc.cases) {
        const std::string name = tc.title.empty() ? tc.id : tc.id + " " + tc.title;
        const std::string classname = tc.group.empty() ? suite : tc.group;
        x += "    <testcase classname=\"" + attr(classname) + "\" name=\"" + attr(name) +
             "\" time=\"" + detail::seconds(tc.duration_ms) + "\"";
        std::string body;
        switch (tc.result) {
        case outcome::pass:
            break;
        case outcome::warn:
            if (doc.warnings_fail)
                body = "      <failure type=\"WARN\" message=\"" + attr(headline(tc)) + "\">" +
                       details(tc) + "</failure>\n";
            break;
        case outcome::fail:
        case outcome::flaky:
            body = "      <failure type=\"" + std::string(to_string(tc.result)) + "\" message=\"" +
                   attr(headline(tc)) + "\">" + details(tc) + "</failure>\n";
            break;
        case outcome::error:
        case outcome::timeout:
            body = "      <error type=\"" + std::string(to_string(tc.result)) + "\" message=\"" +
                   attr(headline(tc)) + "\">" + details(tc) + "</error>\n";
            break;
        case outcome::skip:
        case outcome::blocked:
            body = "      <skipped message=\"" + attr(headline(tc)) + "\"/>\n";
            break;
        }
        std::string out;
        if (tc.result == outcome::warn)
            out += "WARN: " + std::string(tc.level.empty() ? "SHOULD" : tc.level) + " not met (" +
                   (doc.warnings_fail ? "fails the run: --strict" : "does not fail the run") +
                   ")\n" + details(tc);
        else if (tc.result == outcome::pass && !tc.message.empty())
            out += markup(tc.message) + "\n";
        if (!tc.transcript.empty())
            out += (out.empty() ? "" : "\n") + transcript(tc);
        if (!out.empty())
            body += "      <system-out>" + out + "</system-out>\n";
        x += body.empty() ? "/>\n" : ">\n" + body + "    </testcase>\n";
    }
    x += "  </testsuite>\n</testsuites>\n";
    return x;
}

} // namespace chat::reports
