// Every format says the same thing about a run: the clause verdicts (FAIL only where a check
// that names the clause saw it broken, BLOCKED where a check could not judge), the summary
// line, the highlights, Markdown, HTML, JUnit and JSON.
#include "report.hpp"

#include "catalogue.hpp"

#include "chat/reports/render.hpp"

#include <catch2/catch.hpp>

#include <map> // map

using namespace chat::conformance;

namespace {

// A run of the whole catalogue where msg.fields found MSG-2 broken, ord.one-order could not
// recognise its messages (BLOCKED by MSG-2), http.allow-header found the SHOULD HTTP-5 unmet
// and every other check passed.
run_outcome sample_run() {
    run_outcome run;
    run.started = run.finished = std::chrono::system_clock::now();
    for (const auto& c : catalogue()) {
        check_result r;
        r.definition = &c;
        r.selected = true;
        check_run x;
        if (c.id == "msg.fields") {
            x.result = outcome::fail;
            x.clause = "MSG-2";
            x.expected = "content to be the frame's content";
            x.actual = "content is the whole frame text";
            x.findings.push_back({"MSG-2", level::must, x.expected, x.actual});
        } else if (c.id == "ord.one-order") {
            x.result = outcome::blocked;
            x.blocked_by = "MSG-2";
            x.expected = "S0 to receive its messages";
            x.actual = "a text message that is not JSON";
        } else if (c.id == "http.allow-header") {
            x.result = outcome::warn;
            x.clause = "HTTP-5";
            x.expected = "Allow: GET";
            x.actual = "no Allow header";
            x.findings.push_back({"HTTP-5", level::should, x.expected, x.actual});
        }
        r.runs.push_back(x);
        settle(r);
        run.results.push_back(std::move(r));
    }
    return run;
}

std::map<std::string, std::string> verdict_of(const run_outcome& run) {
    std::map<std::string, std::string> out;
    for (const auto& v : clause_verdicts(run.results))
        out[std::string(v.definition->id)] = v.result;
    return out;
}

} // namespace

TEST_CASE("Report verdicts: a clause FAILs only where a check that names it saw it broken",
          "[report]") {
    auto run = sample_run();
    auto v = verdict_of(run);
    CHECK(v["MSG-2"] == "FAIL");
    CHECK(v["HTTP-5"] == "WARN");
    // ord.one-order judges ORD-1 alone, and was BLOCKED: not FAIL, not PASS
    CHECK(v["ORD-1"] == "BLOCKED");
    // ORD-2 and ORD-3 have other checks that passed
    CHECK(v["ORD-3"] == "PASS");
    CHECK(v["HIST-2"] == "PASS");
    const auto verdicts = clause_verdicts(run.results); // root_causes points into it
    auto causes = root_causes(verdicts);
    REQUIRE(causes.size() == 2);
    CHECK(causes[0]->definition->id == "MSG-2");
    CHECK(causes[0]->blocks == 1);
    CHECK(causes[1]->definition->id == "HTTP-5");
    CHECK(exit_code(run.results, false, false) == exit_violations);
}

TEST_CASE("Report verdicts: BLOCKED by a clause no check proved is an incomplete verdict",
          "[report]") {
    auto run = sample_run();
    for (auto& r : run.results)
        if (r.definition->id == "msg.fields") {
            r.runs.front() = check_run{};
            settle(r);
        }
    CHECK(verdict_of(run)["MSG-2"] == "PASS");
    CHECK(exit_code(run.results, false, false) == exit_incomplete);
}

TEST_CASE("Report verdicts: every format carries the same verdicts", "[report]") {
    auto run = sample_run();
    run_settings s;
    s.run_id = "t1";
    s.target = *chat::parse_base_url("http://127.0.0.1:9");
    run.exit_code = exit_code(run.results, s.strict, false);
    auto doc = report_document(run, s, "test");
    const auto line = verdict_line(run, s);
    CHECK(line.rfind("FAIL: the server violates MSG-2;", 0) == 0);
    CHECK(line.find("SHOULD not met: HTTP-5") != std::string::npos);
    CHECK(line.find("1 blocked") != std::string::npos);
    REQUIRE(doc.highlights.size() == 2);
    CHECK(doc.highlights[0].rfind("MSG-2 (MUST) violated, proved by msg.fields", 0) == 0);

    // JSON: the clause table and the checks
    const auto& j = doc.data;
    for (const auto& c : j["clauses"])
        CHECK(c["outcome"].get<std::string>() == verdict_of(run)[c["id"].get<std::string>()]);
    CHECK(j["verdict"]["counts"]["BLOCKED"] == 1);

    // Markdown and HTML render the same clause table rows
    const auto md = chat::reports::to_markdown(doc);
    const auto html = chat::reports::to_html(doc);
    for (const auto& [id, result] : verdict_of(run)) {
        INFO(id);
        const auto level = to_string(find_clause(id)->strength);
        CHECK(md.find("| " + id + " | " + level + " | " + result + " |") != std::string::npos);
        CHECK(html.find("<td>" + id + "</td><td>" + level + "</td><td>" + result + "</td>") !=
              std::string::npos);
    }
    CHECK(md.find("MSG-2 (MUST) violated") != std::string::npos);
    CHECK(html.find("MSG-2 (MUST) violated") != std::string::npos);

    // JUnit: one failure, the BLOCKED check skipped naming its blocker, the WARN not a failure
    auto junit = chat::reports::to_junit(doc);
    CHECK(junit.find("failures=\"1\"") != std::string::npos);
    CHECK(junit.find("not judged: MSG-2 failed") != std::string::npos);
    CHECK(junit.find("does not fail the run") != std::string::npos);

    // --strict: the WARN fails the run, and JUnit says so
    s.strict = true;
    run.exit_code = exit_code(run.results, s.strict, false);
    CHECK(run.exit_code == exit_violations);
    auto strict_doc = report_document(run, s, "test");
    auto strict_junit = chat::reports::to_junit(strict_doc);
    CHECK(strict_junit.find("failures=\"2\"") != std::string::npos);
    CHECK(strict_junit.find("fails the run: --strict") != std::string::npos);
    CHECK(verdict_line(run, s).rfind("FAIL: the server violates MSG-2, HTTP-5", 0) == 0);
}
