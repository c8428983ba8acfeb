// The report model: what a tool hands `reports/` to render. It knows nothing of the runner
// or the load generator; each fills a document with its cases, tables and charts.
#pragma once

#include <nlohmann/json.hpp>

#include <string>  // string
#include <utility> // pair
#include <vector>  // vector

namespace chat::reports {

// Outcome of one case (a conformance check, a threshold).
// BLOCKED: the case could not judge its own requirement because another one it depends on
// failed (a conformance check that cannot recognise its messages once MSG-2 is broken).
enum class outcome { pass, fail, warn, skip, error, timeout, flaky, blocked };
const char* to_string(outcome o) noexcept; // "PASS", "FAIL", ...

struct transcript_line {
    double t_ms = 0;       // milliseconds since the case started
    std::string direction; // "->", "<-", "..", free text such as "http>" is fine
    std::string text;
};

struct test_case {
    std::string id;          // e.g. "hist.cap-rest"
    std::string group;       // e.g. clause IDs "HIST-2, HIST-3"
    std::string title;       // one line
    std::string level;       // "MUST", "SHOULD", "MAY" or ""
    std::string requirement; // the quoted clause text
    outcome result = outcome::pass;
    std::string expected;
    std::string actual;
    std::string message; // free text (figures such as "dropped after 212 messages, 0.4 s")
    double duration_ms = 0;
    std::vector<transcript_line> transcript;
};

struct table {
    std::string title;
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
};

struct series {
    std::string name;
    std::vector<std::pair<double, double>> points; // (x, y)
};

// A vertical line across a chart at `x`, e.g. a stage boundary on a timeline, with a short
// label at its top.
struct marker {
    double x = 0;
    std::string label;
};

struct chart {
    std::string title;
    std::string x_label;
    std::string y_label;
    bool log_x = false;
    bool log_y = false;
    std::vector<series> lines;
    // Optional x ticks at fixed positions with their own labels, e.g. a latency distribution
    // with x = 100 / (100 - percentile) on a log axis labelled "50%", "99%", "99.9%". Empty:
    // round ticks chosen from the data. (The `{}` keeps positional aggregate init of the fields
    // above free of -Wmissing-field-initializers.)
    std::vector<std::pair<double, std::string>> x_ticks{};
    // Vertical markers (HTML and SVG draw them as dashed lines; JSON lists them). A marker
    // outside the data's x range widens it, as fixed ticks do.
    std::vector<marker> x_markers{};
};

// A titled part of a report with its own notes, tables and charts, e.g. a load run's "What was
// delivered and how fast". Sections render in order after the run facts, before the tool's
// loose tables and charts.
struct section {
    std::string id;                 // HTML anchor, e.g. "delivered"
    std::string title;              // heading
    std::vector<std::string> notes; // short paragraphs under the heading
    std::vector<table> tables;
    std::vector<chart> charts;
};

struct document {
    std::string tool;    // "chat-conform", "chat-load"
    std::string title;   // heading of the report
    std::string verdict; // one line: "PASS: 41 of 41 checks passed", "FAIL: ..."
    // What a reader must see first, in order, under the verdict: the target's death, the root
    // causes with the cases that prove each. Every format shows them at the top.
    std::vector<std::string> highlights;
    // A WARN fails the run (chat-conform --strict): JUnit reports it as a failure.
    bool warnings_fail = false;
    std::vector<std::pair<std::string, std::string>> meta; // run metadata, in display order
    std::vector<section> sections;
    std::vector<table> tables;
    std::vector<chart> charts;
    std::vector<test_case> cases;
    // How the renderers name the cases and what a case's `group` is: a conformance run's
    // checks by clause, a load run's thresholds and validity checks by kind.
    std::string cases_title = "Cases";
    std::string group_label = "Clause";
    nlohmann::json data; // the tool's own versioned JSON result; written as-is by to_json
};

} // namespace chat::reports
