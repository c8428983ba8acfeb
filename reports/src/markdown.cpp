// Markdown for a CI job summary (GitHub caps one at 1 MiB and people read the top): verdict,
// counts, what did not pass, the tool's tables. Bounded in size whatever the input.
#include "chat/reports/render.hpp"

#include "summary.hpp"
#include "text.hpp"

namespace chat::reports {
namespace {

using detail::markdown_inline;
using detail::shorten;

// Room for the closing notes stays under the ~60 KB promised.
constexpr std::size_t budget = 58 * 1024;
constexpr std::size_t cell_bytes = 160;
constexpr std::size_t short_bytes = 100;

const char* mark(outcome o) {
    switch (o) {
    case outcome::pass:
        return "✅";
    case outcome::fail:
        return "❌";
    case outcome::warn:
        return "⚠️";
    case outcome::skip:
        return "⏭️";
    case outcome::error:
        return "💥";
    case outcome::timeout:
        return "⏱️";
    case outcome::flaky:
        return "🔀";
    case outcome::blocked:
        return "⛔";
    }
    return "";
}

std::string cell(std::string_view s, std::size_t max = cell_bytes) {
    return markdown_inline(shorten(s, max));
}

std::string row(const std::vector<std::string>& cells) {
    std::string r = "|";
    for (const auto& c : cells)
        r += " " + c + " |";
    return r + "\n";
}

// Appends rows while the budget allows; says how many it left out.
void rows(std::string& md, const std::vector<std::string>& lines, bool& truncated) {
    std::size_t shown = 0;
    for (const auto& line : lines) {
        if (md.size() + line.size() > budget)
            break;
        md += line;
        ++shown;
    }
    if (shown < lines.size()) {
        md += "\n_… " + std::to_string(lines.size() - shown) +
              " more rows not shown; see the HTML or JSON report._\n";
        truncated = true;
    }
}

// The tables, each under a heading of `level` ("###"), while the budget allows.
void tables(std::string& md, const std::vector<table>& ts, const std::string& level,
            bool& truncated) {
    for (const auto& t : ts) {
        if (md.size() + 256 > budget) {
            md += "_… table \"" + cell(t.title, 80) + "\" not shown; see the HTML report._\n\n";
            truncated = true;
            continue;
        }
        std::size_t columns = t.header.size();
        for (const auto& r : t.rows)
            columns = std::max(columns, r.size());
        if (columns == 0)
            continue;
        if (!t.title.empty())
            md += level + " " + cell(t.title, 200) + "\n\n";
        std::vector<std::string> head(columns);
        for (std::size_t k = 0; k < t.header.size(); ++k)
            head[k] = cell(t.header[k]);
        md += row(head) + row(std::vector<std::string>(columns, "---"));
        std::vector<std::string> lines;
        for (const auto& r : t.rows) {
            std::vector<std::string> cells(columns);
            for (std::size_t k = 0; k < r.size(); ++k)
                cells[k] = cell(r[k]);
            lines.push_back(row(cells));
        }
        rows(md, lines, truncated);
        md += "\n";
    }
}

} // namespace

std::string to_markdown(const document& doc) {
    const auto counts = detail::count(doc.cases);
    const outcome v = detail::verdict_outcome(doc);
    bool truncated = false;

    std::string md =
        "## " + std::string(mark(v)) + " " +
        cell(doc.title.empty() ? (doc.tool.empty() ? "Report" : doc.tool) : doc.title, 300) +
        "\n\n";
    if (!doc.verdict.empty())
        md += "**" + cell(doc.verdict, 300) + "**\n\n";
    for (const auto& h : doc.highlights)
        md += "- " + cell(h, 400) + "\n";
    if (!doc.highlights.empty())
        md += "\n";
    std::string facts;
    if (!doc.tool.empty())
        facts += cell(doc.tool, 80);
    std::size_t n = 0;
    for (const auto& [key, value] : doc.meta) {
        if (n++ == 12)
            break;
        facts += (facts.empty() ? "" : " · ") + cell(key, 40) + ": " + cell(value, 100);
    }
    if (!facts.empty())
        md += facts + "\n\n";

    if (!doc.cases.empty()) {
        md += "| Outcome | Count |\n| --- | ---: |\n";
        for (const auto o : detail::all_outcomes)
            if (counts[o] > 0)
                md += row({std::string(mark(o)) + " " + to_string(o), std::to_string(counts[o])});
        md += row({"**Total**", "**" + std::to_string(doc.cases.size()) + "**"}) + "\n";

        // Problems first, then what was skipped: a long SKIP list must not hide a FAIL.
        std::vector<std::string> lines;
        for (const bool skips : {false, true})
            for (const auto& tc : doc.cases) {
                if (tc.result == outcome::pass || (tc.result == outcome::skip) != skips)
                    continue;
                lines.push_back(
                    row({cell(tc.id, 80), cell(tc.group, 60), cell(tc.level, 10),
                         std::string(mark(tc.result)) + " " + to_string(tc.result),
                         cell(tc.expected, short_bytes),
                         cell(tc.actual.empty() ? tc.message : tc.actual, short_bytes)}));
            }
        if (!lines.empty()) {
            md += "### Not passed (" + std::to_string(lines.size()) + ")\n\n";
            md += "| Check | " + cell(doc.group_label, 40) +
                  " | Level | Outcome | Expected | Actual |\n"
                  "| --- | --- | --- | --- | --- | --- |\n";
            rows(md, lines, truncated);
            md += "\n";
        }
    }

    for (const auto& sec : doc.sections) {
        if (md.size() + 256 > budget) {
            md += "_… section \"" + cell(sec.title, 80) + "\" not shown; see the HTML report._\n\n";
            truncated = true;
            continue;
        }
        md += "### " + cell(sec.title, 200) + "\n\n";
        for (const auto& note : sec.notes)
            md += cell(note, 600) + "\n\n";
        tables(md, sec.tables, "####", truncated);
    }
    tables(md, doc.tables, "###", truncated);
    if (truncated)
        md += "_This summary was shortened to stay readable; the full results are in the JSON and "
              "HTML reports._\n";
    return md;
}

} // namespace chat::reports
