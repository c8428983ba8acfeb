// Tests of the report renderers: JSON, JUnit XML, HTML, SVG, Markdown, writing files.
#include "chat/reports/render.hpp"

#include "sample_document.hpp"
#include "xml_check.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>    // system
#include <filesystem> // path, temp_directory_path
#include <fstream>    // ifstream, ofstream
#include <iterator>   // istreambuf_iterator
#include <limits>     // numeric_limits
#include <random>     // random_device
#include <stdexcept>  // invalid_argument, runtime_error

namespace {

using namespace chat::reports;
using chat::reports::test::make_case;
using chat::reports::test::sample_document;
using chat::reports::test::xml_problem;

std::size_t occurrences(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1))
        ++n;
    return n;
}

// The attribute `name` of the first element that starts with `tag`.
std::string attribute(const std::string& xml, const std::string& tag, const std::string& name) {
    const auto start = xml.find(tag);
    REQUIRE(start != std::string::npos);
    const auto end = xml.find('>', start);
    const auto at = xml.find(" " + name + "=\"", start);
    REQUIRE(at < end);
    const auto value = at + name.size() + 3;
    return xml.substr(value, xml.find('"', value) - value);
}

std::filesystem::path scratch_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("chat-reports-test-" + name + "-" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(dir);
    return dir;
}

std::string read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Python's XML parser as a second opinion, where python3 is installed.
bool python_parses(const std::string& xml, const std::string& name) {
    if (std::system("python3 -c pass >/dev/null 2>&1") != 0)
        return true; // no python: the built-in check above stands alone
    const auto dir = scratch_dir(name);
    std::filesystem::create_directories(dir);
    const auto file = dir / "doc.xml";
    std::ofstream(file, std::ios::binary) << xml;
    const std::string cmd =
        "python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' '" +
        file.string() + "'";
    const bool ok = std::system(cmd.c_str()) == 0;
    std::filesystem::remove_all(dir);
    return ok;
}

document large_document(std::size_t cases, std::size_t lines) {
    document doc = sample_document();
    doc.cases.clear();
    for (std::size_t i = 0; i < cases; ++i) {
        auto tc = make_case("check." + std::to_string(i), "CL-" + std::to_string(i % 17),
                            i % 3 == 0 ? outcome::fail : outcome::pass);
        tc.transcript.clear();
        for (std::size_t k = 0; k < lines; ++k)
            tc.transcript.push_back({k * 0.5, k % 2 ? "<-" : "->",
                                     R"({"type":"message","room":"general","content":"line )" +
                                         std::to_string(k) + R"( of the wire transcript"})"});
        doc.cases.push_back(std::move(tc));
    }
    return doc;
}

} // namespace

TEST_CASE("Outcomes: every outcome has its upper-case name", "[outcome]") {
    CHECK(std::string(to_string(outcome::pass)) == "PASS");
    CHECK(std::string(to_string(outcome::fail)) == "FAIL");
    CHECK(std::string(to_string(outcome::warn)) == "WARN");
    CHECK(std::string(to_string(outcome::skip)) == "SKIP");
    CHECK(std::string(to_string(outcome::error)) == "ERROR");
    CHECK(std::string(to_string(outcome::timeout)) == "TIMEOUT");
    CHECK(std::string(to_string(outcome::flaky)) == "FLAKY");
}

TEST_CASE("Formats: parse_format knows the four formats and names a bad value", "[format]") {
    CHECK(parse_format("json") == format::json);
    CHECK(parse_format("junit") == format::junit);
    CHECK(parse_format("html") == format::html);
    CHECK(parse_format("md") == format::markdown);
    CHECK(parse_format("markdown") == format::markdown);
    CHECK(parse_format("HTML") == format::html);
    CHECK_THROWS_AS(parse_format("pdf"), std::invalid_argument);
    CHECK_THROWS_WITH(parse_format("pdf"), Catch::Contains("\"pdf\"") && Catch::Contains("json"));
    CHECK_THROWS_AS(parse_format(""), std::invalid_argument);
}

TEST_CASE("Formats: parse_formats reads lists and 'all'", "[format]") {
    CHECK(parse_formats("all") == all_formats());
    CHECK(parse_formats("") == all_formats());
    CHECK(parse_formats("md, json,md") == std::vector<format>{format::markdown, format::json});
    CHECK_THROWS_WITH(parse_formats("json,yaml"), Catch::Contains("\"yaml\""));
}

TEST_CASE("JSON: the tool's data is written as given", "[json]") {
    document doc = sample_document();
    doc.data = {{"schema", "chat-conform/1"}, {"checks", {1, 2, 3}}, {"ok", false}};
    const auto text = to_json(doc);
    CHECK(nlohmann::json::parse(text) == doc.data);
    CHECK(text.find("\n  \"checks\"") != std::string::npos); // pretty-printed
    CHECK(text.find("hist.cap-rest") == std::string::npos);  // nothing generic added
}

TEST_CASE("JSON: without data, a generic chat-report/1 rendering loses nothing", "[json]") {
    document doc = sample_document();
    const auto j = nlohmann::json::parse(to_json(doc)); // throws if hostile bytes broke it
    CHECK(j["schema"] == "chat-report/1");
    CHECK(j["tool"] == "chat-conform");
    CHECK(j["verdict"] == doc.verdict);
    CHECK(j["meta"][0][0] == "target");
    CHECK(j["summary"]["FAIL"] == 1);
    CHECK(j["summary"]["PASS"] == 1);
    REQUIRE(j["cases"].size() == doc.cases.size());
    CHECK(j["cases"][1]["outcome"] == "FAIL");
    CHECK(j["cases"][4]["outcome"] == "TIMEOUT");
    CHECK(j["cases"][1]["group"] == "HIST-2");
    CHECK(j["cases"][1]["transcript"].size() == doc.cases[1].transcript.size());
    CHECK(j["cases"][1]["transcript"][0]["dir"] == "->");
    CHECK(j["tables"][0]["rows"][1][0] == "a|b");
    CHECK(j["charts"][1]["log_x"] == true);
    CHECK(j["charts"][1]["x_ticks"][2][1] == "99%");
    CHECK(j["charts"][0]["series"][1]["points"].size() == 31);
    // Invalid UTF-8 became U+FFFD instead of an exception.
    CHECK(j["cases"][1]["actual"].get<std::string>().find("\xEF\xBF\xBD") != std::string::npos);
}

TEST_CASE("JSON: non-finite numbers become null", "[json]") {
    document doc;
    auto tc = make_case("x", "X-1", outcome::pass);
    tc.duration_ms = std::numeric_limits<double>::quiet_NaN();
    doc.cases.push_back(tc);
    const auto j = nlohmann::json::parse(to_json(doc));
    CHECK(j["cases"][0]["duration_ms"].is_null());
}

TEST_CASE("JUnit: counts and one element kind per outcome", "[junit]") {
    const auto xml = to_junit(sample_document());
    INFO(xml);
    CHECK(attribute(xml, "<testsuite ", "name") == "chat-conform");
    CHECK(attribute(xml, "<testsuite ", "tests") == "7");
    CHECK(attribute(xml, "<testsuite ", "failures") == "2"); // FAIL and FLAKY
    CHECK(attribute(xml, "<testsuite ", "errors") == "2");   // ERROR and TIMEOUT
    CHECK(attribute(xml, "<testsuite ", "skipped") == "1");
    CHECK(std::stod(attribute(xml, "<testsuite ", "time")) == Approx(0.0875).margin(0.0011));
    CHECK(occurrences(xml, "<testsuite ") == 1);
    CHECK(occurrences(xml, "<testcase ") == 7);
    CHECK(occurrences(xml, "<failure ") == 2);
    CHECK(occurrences(xml, "<failure type=\"FAIL\"") == 1);
    CHECK(occurrences(xml, "<failure type=\"FLAKY\"") == 1);
    CHECK(occurrences(xml, "<error ") == 2);
    CHECK(occurrences(xml, "<error type=\"ERROR\"") == 1);
    CHECK(occurrences(xml, "<error type=\"TIMEOUT\"") == 1);
    CHECK(occurrences(xml, "<skipped ") == 1);
    CHECK(attribute(xml, "<skipped ", "message") == "not selected");
    CHECK(attribute(xml, "<testcase ", "classname") == "HIST-2, HIST-3");
    CHECK(attribute(xml, "<testcase ", "name") == "hist.cap-rest Title of hist.cap-rest");
    CHECK(std::stod(attribute(xml, "<testcase ", "time")) == Approx(0.0125).margin(0.0011));
}

TEST_CASE("JUnit: a WARN passes but is noted in output and properties", "[junit]") {
    document doc;
    doc.tool = "chat-conform";
    auto tc = make_case("room.list", "ROOM-1", outcome::warn);
    doc.cases.push_back(tc);
    const auto xml = to_junit(doc);
    INFO(xml);
    CHECK(xml.find("<failure") == std::string::npos);
    CHECK(xml.find("<error") == std::string::npos);
    CHECK(attribute(xml, "<testsuite ", "failures") == "0");
    CHECK(xml.find("<system-out>WARN: SHOULD not met") != std::string::npos);
    CHECK(xml.find("<property name=\"warning room.list\" value=\"expected 100 messages, oldest "
                   "first; actual 99 messages\"/>") != std::string::npos);
}

TEST_CASE("JUnit: FAIL carries expected, actual and requirement; transcript in system-out",
          "[junit]") {
    document doc;
    doc.cases.push_back(make_case("hist.cap-join", "HIST-2", outcome::fail));
    const auto xml = to_junit(doc);
    INFO(xml);
    CHECK(attribute(xml, "<failure ", "message") ==
          "expected 100 messages, oldest first; actual 99 messages");
    CHECK(xml.find("Requirement: \"The server MUST keep") != std::string::npos);
    CHECK(xml.find("Expected: 100 messages") != std::string::npos);
    CHECK(xml.find("Actual:   99 messages") != std::string::npos);
    CHECK(xml.find("<system-out>") != std::string::npos);
    CHECK(xml.find("     1.250 ms &lt;- {\"type\":\"message\"") != std::string::npos);
}

TEST_CASE("JUnit: hostile bytes leave the XML well-formed", "[junit][xml]") {
    const auto xml = to_junit(sample_document());
    INFO(xml);
    CHECK(xml_problem(xml) == "");
    CHECK(python_parses(xml, "junit"));
    CHECK(xml.find("<script>") == std::string::npos);
    CHECK(xml.find("\\u0001") != std::string::npos); // the control character, made visible
    CHECK(xml.find("\\u001B[31m") != std::string::npos);
    CHECK(xml.find("\xEF\xBF\xBD") != std::string::npos); // invalid UTF-8 replaced
    CHECK(xml.find("\\r\\n") != std::string::npos);       // wire line breaks shown as text
    // Control characters and line breaks in attributes.
    document doc;
    auto tc = make_case("x", std::string("A\x02") + "\"<&>", outcome::fail);
    tc.expected = "line1\nline2\ttab";
    doc.cases.push_back(tc);
    const auto x2 = to_junit(doc);
    INFO(x2);
    CHECK(xml_problem(x2) == "");
    CHECK(python_parses(x2, "junit2"));
    CHECK(x2.find("classname=\"A\\u0002&quot;&lt;&amp;&gt;\"") != std::string::npos);
}

TEST_CASE("XML check: the test's own checker rejects broken XML", "[xml]") {
    CHECK(xml_problem("<a>x</a>") == "");
    CHECK(xml_problem("<a>x<b></a>") != "");
    CHECK(xml_problem("<a>1 < 2</a>") != "");
    CHECK(xml_problem("<a>&nbsp;</a>") != "");
    CHECK(xml_problem(std::string("<a>\x01</a>")) != "");
    CHECK(xml_problem("<a>\xC3\x28</a>") != "");
    CHECK(xml_problem("<a b=\"<\"/>") != "");
}

TEST_CASE("HTML: hostile transcript text is escaped", "[html]") {
    const auto html = to_html(sample_document());
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert('x')&lt;/script&gt;") != std::string::npos);
    CHECK(xml_problem("<r>" + html.substr(html.find("<main>")) + "</r>").find("UTF-8") ==
          std::string::npos);
    CHECK(html.find('\x01') == std::string::npos);
    CHECK(html.find('\x1b') == std::string::npos);
    CHECK(html.find(std::string(1, '\0')) == std::string::npos);
}

TEST_CASE("HTML: self-contained, no resource fetched from anywhere", "[html]") {
    const auto html = to_html(sample_document());
    CHECK(html.find("http://") == std::string::npos);
    CHECK(html.find("https://") == std::string::npos);
    CHECK(html.find("src=") == std::string::npos);
    CHECK(html.find("<link") == std::string::npos);
    CHECK(html.find("url(") == std::string::npos);
    CHECK(html.find("@import") == std::string::npos);
    CHECK(html.find("default-src 'none'") != std::string::npos);
    // Links only jump within the page, even when the data names a URL.
    document doc = sample_document();
    doc.meta.emplace_back("target", "http://127.0.0.1:8082");
    const auto h2 = to_html(doc);
    for (auto pos = h2.find("href=\""); pos != std::string::npos; pos = h2.find("href=\"", pos + 1))
        CHECK(h2[pos + 6] == '#');
}

TEST_CASE("HTML: every section and every case is there", "[html]") {
    const auto doc = sample_document();
    const auto html = to_html(doc);
    CHECK(html.find("class=\"banner v-fail\"") != std::string::npos);
    CHECK(html.find("<th>target</th><td>127.0.0.1:8082</td>") != std::string::npos);
    CHECK(html.find("id=\"summary\"") != std::string::npos);
    // Verdicts by clause are the tool's (a table it hands over), never recomputed here from
    // the cases, so every format shows the same ones.
    CHECK(html.find("id=\"clauses\"") == std::string::npos);
    CHECK(html.find("<caption>Latency | by room</caption>") != std::string::npos);
    CHECK(occurrences(html, "<svg") == 2);
    CHECK(occurrences(html, "<article ") == doc.cases.size());
    CHECK(occurrences(html, "<details") == doc.cases.size());
    CHECK(occurrences(html, "<blockquote>") == doc.cases.size());
    CHECK(html.find("<th>Expected</th><td>100 messages, oldest first</td>") != std::string::npos);
    CHECK(html.find("<span class=\"badge o-timeout\">TIMEOUT</span>") != std::string::npos);
    CHECK(html.find("Duration 12.5 ms") != std::string::npos);
}

TEST_CASE("HTML: verdict banner colour follows the verdict", "[html]") {
    document doc = sample_document();
    doc.verdict = "PASS: all good";
    CHECK(to_html(doc).find("class=\"banner v-pass\"") != std::string::npos);
    doc.verdict = "INVALID: generator saturated";
    CHECK(to_html(doc).find("class=\"banner v-error\"") != std::string::npos);
    doc.verdict = "something else";
    CHECK(to_html(doc).find("class=\"banner v-error\"") != std::string::npos); // worst case
}

TEST_CASE("HTML: 100 cases with 50-line transcripts stay a reasonable size", "[html]") {
    const auto html = to_html(large_document(100, 50));
    CHECK(occurrences(html, "<article ") == 100);
    CHECK(html.size() < 2'000'000);
    // A runaway transcript is cut, with a note.
    const auto huge = to_html(large_document(1, 10'000));
    CHECK(huge.find("8000 more lines in the JSON report") != std::string::npos);
}

TEST_CASE("SVG: line chart with axes, ticks, labels and legend", "[svg]") {
    const auto doc = sample_document();
    const auto svg = to_svg(doc.charts[0]);
    INFO(svg);
    CHECK(xml_problem(svg) == "");
    CHECK(python_parses(svg, "svg"));
    CHECK(svg.find("xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
    CHECK(occurrences(svg, "<polyline") == 2);
    CHECK(svg.find(">Latency over time</text>") != std::string::npos);
    CHECK(svg.find(">time (s)</text>") != std::string::npos);
    CHECK(svg.find(">p99</text>") != std::string::npos); // legend
    CHECK(svg.find(">30</text>") != std::string::npos);  // last x tick
    CHECK(svg.find(">0</text>") != std::string::npos);   // y axis starts at 0
}

TEST_CASE("SVG: log axes get decade ticks", "[svg]") {
    chart c{"dist", "requests", "latency (ms)", true, true, {{"a", {{3, 0.5}, {2500, 40}}}}, {}};
    const auto svg = to_svg(c);
    INFO(svg);
    CHECK(xml_problem(svg) == "");
    for (const char* label :
         {">1</text>", ">10</text>", ">100</text>", ">1000</text>", ">10000</text>", ">0.1</text>"})
        CHECK(svg.find(label) != std::string::npos);
    CHECK(svg.find("requests (log)") != std::string::npos);
    CHECK(svg.find("latency (ms) (log)") != std::string::npos);
    CHECK(svg.find(">a</text>") == std::string::npos); // one series: no legend
}

TEST_CASE("SVG: fixed x ticks carry their own labels", "[svg]") {
    const auto svg = to_svg(sample_document().charts[1]);
    INFO(svg);
    CHECK(xml_problem(svg) == "");
    for (const char* label : {">50%</text>", ">99%</text>", ">99.99%</text>"})
        CHECK(svg.find(label) != std::string::npos);
    CHECK(svg.find(">10000</text>") == std::string::npos); // replaced, not added
    CHECK(svg.find(">100</text>") != std::string::npos);   // y keeps its decades
}

TEST_CASE("SVG: markers are dashed vertical lines with their labels", "[svg][marker]") {
    chart c{"timeline", "s", "per second", false, false, {{"a", {{0, 1}, {10, 5}}}}};
    c.x_markers = {{2.5, "stage 2"}, {7, "stage 3 <hold>"}, {14, "after the data"}};
    const auto svg = to_svg(c);
    INFO(svg);
    CHECK(xml_problem(svg) == "");
    CHECK(occurrences(svg, "class=\"marker\"") == 3);
    CHECK(occurrences(svg, "stroke-dasharray") == 3);
    CHECK(svg.find(">stage 3 &lt;hold&gt;</text>") != std::string::npos);
    CHECK(svg.find(">after the data</text>") != std::string::npos); // widened the x range
    chart bad = c;
    bad.log_x = true;
    bad.x_markers = {{-1, "not on a log axis"}, {std::numeric_limits<double>::quiet_NaN(), "nan"}};
    const auto dropped = to_svg(bad);
    CHECK(occurrences(dropped, "class=\"marker\"") == 0);
    CHECK(dropped.find("nan") == std::string::npos);
    // JSON lists them; HTML draws them inline.
    document doc = sample_document();
    doc.charts = {c};
    const auto j = nlohmann::json::parse(to_json(doc));
    CHECK(j["charts"][0]["x_markers"][1]["label"] == "stage 3 <hold>");
    CHECK(j["charts"][0]["x_markers"][0]["x"] == 2.5);
    CHECK(occurrences(to_html(doc), "class=\"marker\"") == 3);
}

TEST_CASE("SVG: degenerate data never produces NaN or infinity", "[svg]") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<chart> charts;
    charts.push_back({"empty", "x", "y", false, false, {}});
    charts.push_back({"empty series", "x", "y", true, true, {{"a", {}}, {"b", {}}}});
    charts.push_back({"one point", "x", "y", false, false, {{"a", {{3, 7}}}}});
    charts.push_back({"one point log", "x", "y", true, true, {{"a", {{3, 7}}}}});
    charts.push_back({"flat", "x", "y", false, false, {{"a", {{1, 5}, {2, 5}, {3, 5}}}}});
    charts.push_back({"zeros", "x", "y", false, false, {{"a", {{0, 0}, {0, 0}}}}});
    charts.push_back({"zeros on log", "x", "y", true, true, {{"a", {{0, 0}, {-1, 5}}}}});
    charts.push_back({"bad numbers",
                      "x",
                      "y",
                      false,
                      false,
                      {{"a", {{nan, 1}, {1, inf}, {-inf, 2}, {2, 3}, {1e308, 1}}}}});
    charts.push_back({"negative", "x", "y", false, false, {{"a", {{-5, -3}, {-1, -0.5}}}}});
    charts.push_back({"tiny", "x", "y", false, true, {{"a", {{1e-9, 1e-12}, {2e-9, 3e-12}}}}});
    charts.push_back({"huge", "x", "y", false, false, {{"a", {{0, 1e200}, {1, 1e250}}}}});
    for (const auto& c : charts) {
        const auto svg = to_svg(c, 100, 50); // smaller than the minimum: clamped
        INFO(c.title << "\n" << svg);
        CHECK(xml_problem(svg) == "");
        CHECK(svg.find("nan") == std::string::npos);
        CHECK(svg.find("NaN") == std::string::npos);
        CHECK(svg.find("inf") == std::string::npos);
    }
    CHECK(to_svg(charts[0]).find(">no data</text>") != std::string::npos);
    CHECK(to_svg(charts[2]).find("<circle") != std::string::npos); // a single point shows
    CHECK(to_svg(charts[6]).find("2 points not plotted") != std::string::npos);
    CHECK(to_svg(charts[7]).find("4 points not plotted") != std::string::npos);
}

TEST_CASE("Markdown: verdict, counts and the cases that did not pass", "[markdown]") {
    const auto md = to_markdown(sample_document());
    INFO(md);
    CHECK(md.rfind("## ", 0) == 0);
    CHECK(md.find("**FAIL: 2 MUST violations") != std::string::npos);
    CHECK(md.find("| ✅ PASS | 1 |") != std::string::npos);
    CHECK(md.find("| ⏱️ TIMEOUT | 1 |") != std::string::npos);
    CHECK(md.find("### Not passed (6)") != std::string::npos);
    CHECK(md.find("| hist.cap-join | HIST-2 | MUST | ❌ FAIL | 100 messages, oldest first |") !=
          std::string::npos);
    CHECK(md.find("hist.cap-rest") == std::string::npos); // passed: not listed
    // The skipped case comes after the problems.
    CHECK(md.find("ping.pong") > md.find("order.room"));
    CHECK(md.find("<svg") == std::string::npos);
}

TEST_CASE("Markdown: table cells are escaped", "[markdown]") {
    const auto md = to_markdown(sample_document());
    INFO(md);
    CHECK(md.find("| a\\|b | 2 | 9 |") != std::string::npos);
    CHECK(md.find("### Latency \\| by room") != std::string::npos);
    CHECK(md.find("<script>") == std::string::npos);
    CHECK(md.find("&lt;script&gt;") != std::string::npos);
    CHECK(md.find('\x01') == std::string::npos);
    // A line break in a cell would end the table row.
    document doc;
    doc.tables.push_back({"t", {"a"}, {{"one\ntwo"}, {"*bold* _x_ [l](u) `c`"}}});
    const auto md2 = to_markdown(doc);
    INFO(md2);
    CHECK(md2.find("| one two |") != std::string::npos);
    CHECK(md2.find("| \\*bold\\* \\_x\\_ \\[l\\](u) \\`c\\` |") != std::string::npos);
}

TEST_CASE("Markdown: large inputs are cut to stay under 60 KB, with a note", "[markdown]") {
    auto doc = large_document(5000, 1);
    table big{"big", {"k", "v"}, {}};
    for (int i = 0; i < 5000; ++i)
        big.rows.push_back({std::to_string(i), std::string(100, 'v')});
    doc.tables.push_back(big);
    const auto md = to_markdown(doc);
    CHECK(md.size() < 60 * 1024);
    CHECK(md.find("more rows not shown") != std::string::npos);
    CHECK(md.find("This summary was shortened") != std::string::npos);
    CHECK(md.find("| ❌ FAIL | 1667 |") != std::string::npos); // counts stay exact
}

TEST_CASE("write_all: writes each chosen format under the stem", "[write]") {
    const auto dir = scratch_dir("write") / "nested";
    const auto doc = sample_document();
    const auto paths = write_all(doc, dir, "run", all_formats());
    REQUIRE(paths.size() == 4);
    CHECK(paths[0] == dir / "run.json");
    CHECK(paths[1] == dir / "run.junit.xml");
    CHECK(paths[2] == dir / "run.html");
    CHECK(paths[3] == dir / "run.md");
    CHECK(read(dir / "run.json") == to_json(doc));
    CHECK(read(dir / "run.junit.xml") == to_junit(doc));
    CHECK(read(dir / "run.html") == to_html(doc));
    CHECK(read(dir / "run.md") == to_markdown(doc));
    CHECK(!std::filesystem::exists(dir / "run.md.tmp"));
    // Only what was asked, once.
    const auto two = write_all(doc, dir, "again", {format::markdown, format::markdown});
    CHECK(two == std::vector<std::filesystem::path>{dir / "again.md"});
    CHECK(!std::filesystem::exists(dir / "again.json"));
    std::filesystem::remove_all(dir.parent_path());
}

TEST_CASE("write_all: errors name the path", "[write]") {
    const auto dir = scratch_dir("write-error");
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "file") << "x";
    const auto blocked = dir / "file" / "reports";
    CHECK_THROWS_AS(write_all(sample_document(), blocked, "run", {format::json}),
                    std::runtime_error);
    CHECK_THROWS_WITH(write_all(sample_document(), blocked, "run", {format::json}),
                      Catch::Contains(blocked.string()));
    CHECK_THROWS_AS(write_all(sample_document(), dir, "a/b", {format::json}),
                    std::invalid_argument);
    std::filesystem::remove_all(dir);
}

TEST_CASE("Every format shows the highlights under the verdict", "[html][markdown][junit]") {
    auto doc = sample_document();
    doc.highlights = {"TARGET: it died <right> after slow.x",
                      "HIST-2 (MUST) violated, proved by a"};
    const auto html = to_html(doc);
    CHECK(html.find("<ul class=\"highlights\"><li>TARGET: it died &lt;right&gt; after slow.x</li>"
                    "<li>HIST-2 (MUST) violated, proved by a</li></ul>") != std::string::npos);
    const auto md = to_markdown(doc);
    CHECK(md.find("- TARGET: it died") != std::string::npos);
    CHECK(md.find("- HIST-2 (MUST) violated") != std::string::npos);
    const auto junit = to_junit(doc);
    CHECK(junit.find("name=\"finding 1\" value=\"TARGET: it died &lt;right&gt; after slow.x\"") !=
          std::string::npos);
}

TEST_CASE("Sections: every format shows them in order, with the tool's words for cases",
          "[html][markdown][json]") {
    document doc = sample_document();
    doc.sections.push_back({"asked",
                            "What was asked",
                            {"A note."},
                            {{"Scenario", {"", ""}, {{"clients", "40"}}}},
                            {}});
    doc.sections.push_back({"valid", "Is the run valid?", {}, {}, {doc.charts.front()}});
    doc.cases_title = "Validity checks and thresholds";
    doc.group_label = "Kind";
    const auto html = to_html(doc);
    CHECK(html.find("<section id=\"asked\"><h2>What was asked</h2>") != std::string::npos);
    CHECK(html.find("<p>A note.</p>") < html.find("<section id=\"valid\">"));
    CHECK(html.find("<a href=\"#valid\">Is the run valid?</a>") != std::string::npos);
    CHECK(html.find("<h2>Validity checks and thresholds</h2>") != std::string::npos);
    CHECK(html.find("Kind <b class=\"mono\">HIST-2</b>") != std::string::npos);
    CHECK(html.find("Clause") == std::string::npos);
    CHECK(occurrences(html, "<svg") == 3);
    const auto md = to_markdown(doc);
    CHECK(md.find("### What was asked\n\nA note.\n\n#### Scenario") != std::string::npos);
    CHECK(md.find("| Check | Kind | Level |") != std::string::npos);
    doc.data = nullptr;
    const auto j = nlohmann::json::parse(to_json(doc));
    CHECK(j["sections"][0]["tables"][0]["rows"][0][1] == "40");
    CHECK(j["group_label"] == "Kind");
}
