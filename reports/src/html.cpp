// One self-contained HTML page: inline CSS and SVG, no script, no URL. A Content-Security-Policy
// forbids every fetch, so even a mistake here cannot make the page reach the network.
#include "chat/reports/render.hpp"

#include "summary.hpp"
#include "svg.hpp"
#include "text.hpp"

namespace chat::reports {
namespace {

using detail::breaks;
using detail::css_name;
using detail::markup;

// Keeps a page with a runaway transcript openable; the JSON report keeps everything.
constexpr std::size_t max_transcript_lines = 2000;
constexpr std::size_t max_line_bytes = 4000;

constexpr const char* style = R"css(
:root{--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--skip:#6e7781;--error:#8250df;
--timeout:#bc4c00;--flaky:#bf3989;--blocked:#953800;--line:#d0d7de;--muted:#57606a}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:#1f2328;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:0 16px 48px}
code,pre,.mono{font-family:ui-monospace,"DejaVu Sans Mono","Liberation Mono",Consolas,monospace;
font-size:12.5px}
h1{margin:0;font-size:24px}
h2{margin:32px 0 10px;font-size:19px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{margin:0;font-size:15px;font-weight:600}
a{color:#0969da}
.banner{color:#fff;padding:20px 16px;background:var(--skip)}
.banner .inner{max-width:1100px;margin:0 auto}
.banner .verdict{font-size:18px;font-weight:600;margin-top:6px}
.banner .highlights{margin:8px 0 0 18px;padding:0;font-size:15px}
.banner .tool{opacity:.85}
.v-pass{background:var(--pass)}.v-fail{background:var(--fail)}.v-warn{background:var(--warn)}
.v-error{background:var(--error)}.v-timeout{background:var(--timeout)}
.v-flaky{background:var(--flaky)}.v-skip{background:var(--skip)}.v-blocked{background:var(--blocked)}
nav{max-width:1100px;margin:0 auto;padding:8px 16px;font-size:13px}
nav a{margin-right:14px}
table{border-collapse:collapse;background:#fff;margin:6px 0 14px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f6;font-weight:600}
caption{text-align:left;font-weight:600;padding:4px 0}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.kv th{width:1%;white-space:nowrap}
.badge{display:inline-block;min-width:52px;padding:1px 7px;border-radius:10px;color:#fff;
font-size:12px;font-weight:600;text-align:center;background:var(--skip)}
.o-pass{background:var(--pass)}.o-fail{background:var(--fail)}.o-warn{background:var(--warn)}
.o-skip{background:var(--skip)}.o-error{background:var(--error)}
.o-timeout{background:var(--timeout)}.o-flaky{background:var(--flaky)}
.o-blocked{background:var(--blocked)}
.counts{display:flex;flex-wrap:wrap;gap:8px}
.counts .badge{font-size:14px;padding:4px 12px}
a.l-pass{color:var(--pass)}a.l-fail{color:var(--fail)}a.l-warn{color:var(--warn)}
a.l-skip{color:var(--skip)}a.l-error{color:var(--error)}a.l-timeout{color:var(--timeout)}
a.l-flaky{color:var(--flaky)}a.l-blocked{color:var(--blocked)}
.links a{margin-right:8px;white-space:nowrap}
figure{margin:10px 0;display:inline-block;background:#fff;border:1px solid var(--line)}
svg.chart{display:block;max-width:100%;height:auto}
article{background:#fff;border:1px solid var(--line);border-left:5px solid var(--skip);
border-radius:4px;margin:10px 0;padding:10px 14px}
article.c-pass{border-left-color:var(--pass)}article.c-fail{border-left-color:var(--fail)}
article.c-warn{border-left-color:var(--warn)}article.c-error{border-left-color:var(--error)}
article.c-timeout{border-left-color:var(--timeout)}article.c-flaky{border-left-color:var(--flaky)}
article.c-blocked{border-left-color:var(--blocked)}
.facts{color:var(--muted);font-size:12.5px;margin:4px 0}
.facts span{margin-right:14px}
blockquote{margin:8px 0;padding:4px 12px;border-left:3px solid var(--line);color:#424a53;
white-space:pre-wrap}
.ea{width:100%}
.ea th{width:90px}
.ea td{white-space:pre-wrap;word-break:break-word}
.msg{white-space:pre-wrap;margin:6px 0}
details{margin-top:6px}
summary{cursor:pointer;color:var(--muted)}
pre.wire{margin:6px 0 0;padding:8px;background:#f6f8fa;border:1px solid var(--line);
overflow-x:auto;white-space:pre-wrap;word-break:break-all;max-height:600px;overflow-y:auto}
pre.wire i{font-style:normal;color:var(--muted)}pre.wire b{color:#0550ae}
.muted{color:var(--muted)}
)css";

std::string text(std::string_view s) {
    return markup(s);
}

std::string badge(outcome o) {
    return "<span class=\"badge o-" + std::string(css_name(o)) + "\">" + to_string(o) + "</span>";
}

std::string case_anchor(std::size_t i) {
    return "case-" + std::to_string(i + 1);
}

std::string case_link(const test_case& tc, std::size_t i) {
    return "<a class=\"l-" + std::string(css_name(tc.result)) + "\" href=\"#" + case_anchor(i) +
           "\" title=\"" + to_string(tc.result) + "\">" + text(tc.id.empty() ? "#" : tc.id) +
           "</a>";
}

void header(std::string& h, const document& doc) {
    const outcome v = detail::verdict_outcome(doc);
    h += "<header class=\"banner v-" + std::string(css_name(v)) + "\"><div class=\"inner\">";
    h += "<h1>" + text(doc.title.empty() ? "Report" : doc.title) + "</h1>";
    if (!doc.verdict.empty())
        h += "<div class=\"verdict\">" + text(doc.verdict) + "</div>";
    if (!doc.highlights.empty()) {
        h += "<ul class=\"highlights\">";
        for (const auto& line : doc.highlights)
            h += "<li>" + text(line) + "</li>";
        h += "</ul>";
    }
    if (!doc.tool.empty())
        h += "<div class=\"tool\">" + text(doc.tool) + "</div>";
    h += "</div></header>\n<nav>";
    if (!doc.meta.empty())
        h += "<a href=\"#run\">Run</a>";
    if (!doc.cases.empty())
        h += "<a href=\"#summary\">Summary</a>";
    for (const auto& sec : doc.sections)
        h += "<a href=\"#" + text(sec.id) + "\">" + text(sec.title) + "</a>";
    if (!doc.tables.empty())
        h += "<a href=\"#tables\">Tables</a>";
    if (!doc.charts.empty())
        h += "<a href=\"#charts\">Charts</a>";
    if (!doc.cases.empty())
        h += "<a href=\"#cases\">" + text(doc.cases_title) + "</a>";
    h += "</nav>\n";
}

void meta(std::string& h, const document& doc) {
    if (doc.meta.empty())
        return;
    h += "<section id=\"run\"><h2>Run</h2><table class=\"kv\">\n";
    for (const auto& [key, value] : doc.meta)
        h += "<tr><th>" + text(key) + "</th><td>" + text(value) + "</td></tr>\n";
    h += "</table></section>\n";
}

void summary(std::string& h, const document& doc) {
    if (doc.cases.empty())
        return;
    const auto counts = detail::count(doc.cases);
    h += "<section id=\"summary\"><h2>Summary</h2><div class=\"counts\">";
    for (const auto o : detail::all_outcomes)
        if (counts[o] > 0)
            h += "<span class=\"badge o-" + std::string(css_name(o)) + "\">" + to_string(o) + " " +
                 std::to_string(counts[o]) + "</span>";
    h += "<span class=\"badge\">total " + std::to_string(doc.cases.size()) + "</span></div>\n";
    std::string problems;
    for (std::size_t i = 0; i < doc.cases.size(); ++i)
        if (doc.cases[i].result != outcome::pass && doc.cases[i].result != outcome::skip)
            problems += case_link(doc.cases[i], i);
    if (!problems.empty())
        h += "<p class=\"links\">Not passed: " + problems + "</p>\n";
    h += "</section>\n";
}

void table_markup(std::string& h, const std::vector<table>& tables) {
    for (const auto& t : tables) {
        h += "<table>";
        if (!t.title.empty())
            h += "<caption>" + text(t.title) + "</caption>";
        if (!t.header.empty()) {
            h += "<thead><tr>";
            for (const auto& cell : t.header)
                h += "<th>" + text(cell) + "</th>";
            h += "</tr></thead>";
        }
        h += "<tbody>\n";
        for (const auto& row : t.rows) {
            h += "<tr>";
            for (const auto& cell : row)
                h += "<td>" + text(cell) + "</td>";
            for (std::size_t k = row.size(); k < t.header.size(); ++k)
                h += "<td></td>";
            h += "</tr>\n";
        }
        h += "</tbody></table>\n";
    }
}

void chart_markup(std::string& h, const std::vector<chart>& charts) {
    for (const auto& c : charts)
        h += "<figure>" + detail::svg_chart(c, 720, 320, false) + "</figure>\n";
}

void sections(std::string& h, const document& doc) {
    for (const auto& sec : doc.sections) {
        h += "<section id=\"" + text(sec.id) + "\"><h2>" + text(sec.title) + "</h2>\n";
        for (const auto& note : sec.notes)
            h += "<p>" + text(note) + "</p>\n";
        table_markup(h, sec.tables);
        chart_markup(h, sec.charts);
        h += "</section>\n";
    }
}

void tables(std::string& h, const document& doc) {
    if (doc.tables.empty())
        return;
    h += "<section id=\"tables\"><h2>Tables</h2>\n";
    table_markup(h, doc.tables);
    h += "</section>\n";
}

void charts(std::string& h, const document& doc) {
    if (doc.charts.empty())
        return;
    h += "<section id=\"charts\"><h2>Charts</h2>\n";
    chart_markup(h, doc.charts);
    h += "</section>\n";
}

void transcript(std::string& h, const test_case& tc) {
    if (tc.transcript.empty())
        return;
    const bool open = tc.result != outcome::pass && tc.result != outcome::skip;
    h += std::string(open ? "<details open>" : "<details>") + "<summary>Wire transcript (" +
         std::to_string(tc.transcript.size()) +
         " lines, ms since the check started)</summary><pre class=\"wire\">";
    std::size_t n = 0;
    for (const auto& line : tc.transcript) {
        if (n++ == max_transcript_lines) {
            h += "<span class=\"muted\">… " +
                 std::to_string(tc.transcript.size() - max_transcript_lines) +
                 " more lines in the JSON report</span>\n";
            break;
        }
        std::string body = detail::shorten(line.text, max_line_bytes);
        if (body.size() < line.text.size())
            body += " (" + std::to_string(line.text.size()) + " bytes)";
        // <i> and <b> (styled above) rather than classed spans: this is most of the page's bytes.
        h += "<i>" + detail::offset_ms(line.t_ms) + "</i> <b>" +
             markup(line.direction, breaks::visible) + "</b> " + markup(body, breaks::visible) +
             "\n";
    }
    h += "</pre></details>\n";
}

void cases(std::string& h, const document& doc) {
    if (doc.cases.empty())
        return;
    h += "<section id=\"cases\"><h2>" + text(doc.cases_title) + "</h2>\n";
    for (std::size_t i = 0; i < doc.cases.size(); ++i) {
        const auto& tc = doc.cases[i];
        h += "<article id=\"" + case_anchor(i) + "\" class=\"c-" + css_name(tc.result) + "\"><h3>" +
             badge(tc.result) + " <code>" + text(tc.id) + "</code> " + text(tc.title) + "</h3>\n";
        h += "<div class=\"facts\">";
        if (!tc.group.empty())
            h += "<span>" + text(doc.group_label) + " <b class=\"mono\">" + text(tc.group) +
                 "</b></span>";
        if (!tc.level.empty())
            h += "<span>Level <b>" + text(tc.level) + "</b></span>";
        h += "<span>Duration " + detail::duration(tc.duration_ms) + "</span></div>\n";
        if (!tc.requirement.empty())
            h += "<blockquote>" + text(tc.requirement) + "</blockquote>\n";
        if (!tc.expected.empty() || !tc.actual.empty())
            h += "<table class=\"ea\"><tr><th>Expected</th><td>" + text(tc.expected) +
                 "</td></tr><tr><th>Actual</th><td>" + text(tc.actual) + "</td></tr></table>\n";
        if (!tc.message.empty())
            h += "<p class=\"msg\">" + text(tc.message) + "</p>\n";
        transcript(h, tc);
        h += "</article>\n";
    }
    h += "</section>\n";
}

} // namespace

std::string to_html(const document& doc) {
    std::string h;
    h.reserve(16384 + doc.cases.size() * 4096);
    h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; img-src data:\">\n";
    h += "<title>" + text(doc.title.empty() ? "Report" : doc.title) + "</title>\n<style>" + style +
         "</style></head>\n<body>\n";
    header(h, doc);
    h += "<main>\n";
    meta(h, doc);
    summary(h, doc);
    sections(h, doc);
    tables(h, doc);
    charts(h, doc);
    cases(h, doc);
    h += "</main>\n</body></html>\n";
    return h;
}

} // namespace chat::reports
