// The report: chat-conform/report v1 JSON plus the generic document the renderers use.
#include "report.hpp"

#include "catalogue.hpp"

#include <cmath>  // round
#include <cstdio> // snprintf
#include <ctime>  // gmtime_r
#include <map>    // map

namespace chat::conformance {

using json = nlohmann::json;

namespace {

// Every endpoint of the run, in order: transcripts name them @0, @1, ... (SPEC.md Deployments).
json endpoint_list(const run_settings& s) {
    json out = json::array();
    for (const auto& t : s.targets)
        out.push_back(t.to_string());
    if (out.empty())
        out.push_back(s.target.to_string());
    return out;
}

json null_if_empty(const std::string& s) {
    return s.empty() ? json(nullptr) : json(s);
}

json transcript_json(const std::vector<reports::transcript_line>& lines) {
    json out = json::array();
    for (const auto& l : lines)
        out.push_back(
            {{"t_ms", std::round(l.t_ms * 1000) / 1000}, {"dir", l.direction}, {"text", l.text}});
    return out;
}

json findings_json(const std::vector<finding>& fs) {
    json out = json::array();
    for (const auto& f : fs)
        out.push_back({{"clause", f.clause},
                       {"level", to_string(f.strength)},
                       {"expected", f.expected},
                       {"actual", f.actual}});
    return out;
}

std::map<std::string, int> counts_of(const run_outcome& run) {
    std::map<std::string, int> counts;
    for (const char* o : {"PASS", "FAIL", "WARN", "SKIP", "ERROR", "TIMEOUT", "FLAKY", "BLOCKED"})
        counts[o] = 0;
    for (const auto& r : run.results)
        ++counts[name_of(r.combined)];
    return counts;
}

std::string fixed(double v, int decimals) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

} // namespace

std::string iso8601(std::chrono::system_clock::time_point t) {
    auto secs = std::chrono::system_clock::to_time_t(t);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    std::tm tm{};
#ifdef _WIN32
    gmtime_s(&tm, &secs);
#else
    gmtime_r(&secs, &tm);
#endif
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    return buf;
}

std::string clause_outcome(std::string_view id, const run_outcome& run) {
    for (const auto& v : clause_verdicts(run.results))
        if (v.definition->id == id)
            return v.result;
    return "UNCOVERED";
}

namespace {

std::string joined(const std::vector<std::string>& items, std::size_t max = 4) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < max; ++i)
        out += (i ? ", " : "") + items[i];
    if (items.size() > max)
        out += " and " + std::to_string(items.size() - max) + " more";
    return out;
}

} // namespace

std::vector<std::string> highlights(const run_outcome& run) {
    std::vector<std::string> out;
    if (!run.target_problem.empty())
        out.push_back("TARGET: " + run.target_problem);
    const auto verdicts = clause_verdicts(run.results);
    for (const auto* v : root_causes(verdicts)) {
        std::string line = std::string(v->definition->id) + " (" +
                           to_string(v->definition->strength) + ") violated, proved by " +
                           joined(v->proven_by);
        if (v->blocks > 0)
            line += "; it kept " + std::to_string(v->blocks) +
                    " other check(s) from judging their clauses (BLOCKED): fix it first";
        line += ". Expected " + v->expected + "; actual " + v->actual;
        out.push_back(std::move(line));
    }
    return out;
}

std::string verdict_line(const run_outcome& run, const run_settings& settings) {
    auto counts = counts_of(run);
    int selected = 0;
    for (const auto& r : run.results)
        selected += r.selected;
    std::string broken;
    const auto verdicts = clause_verdicts(run.results);
    for (const auto* v : root_causes(verdicts))
        if (v->result == "FAIL" || settings.strict)
            broken += (broken.empty() ? "" : ", ") + std::string(v->definition->id);
    std::string warned;
    for (const auto* v : root_causes(verdicts))
        if (v->result == "WARN" && !settings.strict)
            warned += (warned.empty() ? "" : ", ") + std::string(v->definition->id);
    auto tallies = std::to_string(counts["PASS"]) + " passed, " + std::to_string(counts["FAIL"]) +
                   " failed, " + std::to_string(counts["WARN"]) + " warned, " +
                   std::to_string(counts["BLOCKED"]) + " blocked, " +
                   std::to_string(counts["ERROR"] + counts["TIMEOUT"]) + " errors/timeouts, " +
                   std::to_string(counts["FLAKY"]) + " flaky, of " + std::to_string(selected) +
                   " checks run";
    switch (run.exit_code) {
    case exit_pass:
        return "PASS: every " + std::string(settings.strict ? "MUST and SHOULD" : "MUST") +
               " requirement checked was met" +
               (warned.empty() ? "" : "; SHOULD not met: " + warned) + " (" + tallies + ")";
    case exit_violations:
        return "FAIL: the server violates " + broken +
               (warned.empty() ? "" : "; SHOULD not met: " + warned) + " (" + tallies + ")";
    default:
        if (!run.target_problem.empty())
            return "INCOMPLETE: " + run.target_problem +
                   (broken.empty() ? "" : "; violations found before that: " + broken) + " (" +
                   tallies + ")";
        return "INCOMPLETE: some checks could not judge the server" +
               (broken.empty() ? "" : "; violations found: " + broken) + " (" + tallies + ")";
    }
}

json report_json(const run_outcome& run, const run_settings& s, const std::string& tool_version) {
    json j;
    j["schema"] = report_schema;
    j["schema_version"] = report_schema_version;
    j["tool"] = {{"name", "chat-conform"}, {"version", tool_version}};
    j["spec_version"] = std::string(spec_version);
    j["run"] = {
        {"id", s.run_id},
        {"target", s.target.to_string()},
        {"endpoints", endpoint_list(s)},
        {"started_at", iso8601(run.started)},
        {"finished_at", iso8601(run.finished)},
        {"duration_ms",
         std::chrono::duration_cast<std::chrono::milliseconds>(run.finished - run.started).count()},
        {"jobs", s.jobs},
        {"repeat", s.repeat},
        {"strict", s.strict},
        {"timeout_scale", s.timeout_scale},
        {"clock_skew_ms", s.clock_skew_ms},
        {"overall_deadline_s", run.overall_deadline_s},
        {"only", s.only},
        {"exclude", s.exclude},
        {"server_pid", s.server_pid > 0 ? json(s.server_pid) : json(nullptr)},
        {"constants",
         {{"HISTORY_LIMIT", s.constants.history_limit},
          {"SEND_QUEUE", s.constants.send_queue},
          {"MAX_MESSAGE_BYTES", s.constants.max_message_bytes},
          {"MAX_NAME_BYTES", s.constants.max_name_bytes},
          {"SETTLE_MS", s.constants.settle_ms},
          {"NODE_SETTLE_MS", s.constants.node_settle_ms},
          {"SHUTDOWN_MS", s.constants.shutdown_ms}}},
    };
    std::string result = run.exit_code == exit_pass         ? "pass"
                         : run.exit_code == exit_violations ? "violations"
                                                            : "incomplete";
    j["verdict"] = {{"exit_code", run.exit_code},
                    {"result", result},
                    {"summary", verdict_line(run, s)},
                    {"highlights", highlights(run)},
                    {"target_problem", null_if_empty(run.target_problem)},
                    {"target_unreachable", run.target_unreachable},
                    {"counts", counts_of(run)}};
    json checks = json::array();
    for (const auto& r : run.results) {
        const auto& c = *r.definition;
        json requirement = json::array();
        json ids = json::array();
        for (auto id : c.clauses) {
            const auto* cl = find_clause(id);
            ids.push_back(std::string(id));
            requirement.push_back({{"clause", std::string(id)},
                                   {"level", cl ? to_string(cl->strength) : "?"},
                                   {"text", cl ? std::string(cl->text) : ""}});
        }
        json item = {{"id", std::string(c.id)},
                     {"title", std::string(c.title)},
                     {"clauses", ids},
                     {"level", to_string(c.strength())},
                     {"requirement", requirement},
                     {"selected", r.selected},
                     {"outcome", name_of(r.combined)},
                     {"summary", null_if_empty(r.summary)}};
        const auto* rep = r.representative();
        double total_ms = 0;
        json runs = json::array();
        json findings = json::array();
        for (const auto& x : r.runs) {
            total_ms += x.duration_ms;
            runs.push_back({{"repetition", x.repetition},
                            {"outcome", name_of(x.result)},
                            {"clause_broken", null_if_empty(x.clause)},
                            {"blocked_by", null_if_empty(x.blocked_by)},
                            {"expected", null_if_empty(x.expected)},
                            {"actual", null_if_empty(x.actual)},
                            {"message", null_if_empty(x.message)},
                            {"duration_ms", std::round(x.duration_ms * 1000) / 1000}});
            for (auto& f : findings_json(x.findings))
                findings.push_back(f);
        }
        item["clause_broken"] = rep ? null_if_empty(rep->clause) : json(nullptr);
        item["blocked_by"] = rep ? null_if_empty(rep->blocked_by) : json(nullptr);
        item["expected"] = rep ? null_if_empty(rep->expected) : json(nullptr);
        item["actual"] = rep ? null_if_empty(rep->actual) : json(nullptr);
        item["message"] = rep ? null_if_empty(rep->message) : json(nullptr);
        item["duration_ms"] = std::round(total_ms * 1000) / 1000;
        item["findings"] = findings;
        item["runs"] = runs;
        item["transcript"] = rep ? transcript_json(rep->transcript) : json::array();
        checks.push_back(std::move(item));
    }
    j["checks"] = checks;
    json clause_list = json::array();
    json uncovered = json::array();
    for (const auto& v : clause_verdicts(run.results)) {
        if (v.checks.empty())
            uncovered.push_back(std::string(v.definition->id));
        clause_list.push_back({{"id", std::string(v.definition->id)},
                               {"level", to_string(v.definition->strength)},
                               {"text", std::string(v.definition->text)},
                               {"checks", v.checks},
                               {"outcome", v.result},
                               {"proven_by", v.proven_by},
                               {"blocked_by", v.blocked_by},
                               {"blocks", v.blocks}});
    }
    j["clauses"] = clause_list;
    j["uncovered_clauses"] = uncovered;
    return j;
}

reports::document report_document(const run_outcome& run, const run_settings& s,
                                  const std::string& tool_version) {
    reports::document doc;
    doc.tool = "chat-conform";
    doc.title = "Conformance of " + s.target.to_string() + " to the chat protocol (SPEC.md " +
                std::string(spec_version) + ")";
    doc.verdict = verdict_line(run, s);
    auto seconds = std::chrono::duration<double>(run.finished - run.started).count();
    std::string endpoints;
    for (std::size_t k = 0; k < s.targets.size(); ++k)
        endpoints += (k ? ", @" : "@") + std::to_string(k) + " " + s.targets[k].to_string();
    doc.meta = {
        {"target", s.targets.size() > 1 ? endpoints : s.target.to_string()},
        {"run ID", s.run_id},
        {"tool", "chat-conform " + tool_version},
        {"started", iso8601(run.started)},
        {"duration", fixed(seconds, 2) + " s"},
        {"exit code", std::to_string(run.exit_code)},
        {"jobs / repeat", std::to_string(s.jobs) + " / " + std::to_string(s.repeat)},
        {"timeout scale", fixed(s.timeout_scale, 2)},
        {"constants",
         "HISTORY_LIMIT=" + std::to_string(s.constants.history_limit) +
             " SEND_QUEUE=" + std::to_string(s.constants.send_queue) +
             " MAX_MESSAGE_BYTES=" + std::to_string(s.constants.max_message_bytes) +
             " MAX_NAME_BYTES=" + std::to_string(s.constants.max_name_bytes) +
             " SETTLE_MS=" + std::to_string(s.constants.settle_ms) +
             (s.targets.size() > 1 ? " NODE_SETTLE_MS=" + std::to_string(s.constants.node_settle_ms)
                                   : std::string()) +
             " SHUTDOWN_MS=" + std::to_string(s.constants.shutdown_ms)}};
    if (!run.target_problem.empty())
        doc.meta.emplace_back("target problem", run.target_problem);

    reports::table by_clause;
    by_clause.title = "Clauses";
    by_clause.header = {"clause", "level", "outcome", "proved by / blocked by", "checks"};
    std::string uncovered;
    for (const auto& v : clause_verdicts(run.results)) {
        if (v.checks.empty())
            uncovered += (uncovered.empty() ? "" : ", ") + std::string(v.definition->id);
        std::string why;
        if (!v.proven_by.empty())
            why = joined(v.proven_by, 8);
        else if (!v.blocked_by.empty())
            why = "blocked by " + joined(v.blocked_by, 8);
        by_clause.rows.push_back({std::string(v.definition->id), to_string(v.definition->strength),
                                  v.result, why,
                                  v.checks.empty() ? "(no check)" : joined(v.checks, 8)});
    }
    doc.tables.push_back(std::move(by_clause));
    doc.meta.emplace_back("clauses without a check", uncovered.empty() ? "none" : uncovered);
    doc.highlights = highlights(run);
    doc.warnings_fail = s.strict;

    for (const auto& r : run.results) {
        const auto& c = *r.definition;
        reports::test_case tc;
        tc.id = std::string(c.id);
        tc.group = c.clause_list();
        tc.title = std::string(c.title);
        tc.level = to_string(c.strength());
        tc.requirement = c.requirement();
        tc.result = r.combined;
        if (const auto* rep = r.representative(); rep && rep->result == outcome::blocked) {
            tc.message = "not judged: " + rep->blocked_by + " failed (" + rep->actual + ")";
            tc.transcript = rep->transcript;
            for (const auto& x : r.runs)
                tc.duration_ms += x.duration_ms;
        } else if (rep) {
            tc.expected = rep->clause.empty() ? rep->expected : rep->clause + ": " + rep->expected;
            tc.actual = rep->actual;
            tc.message = rep->message;
            tc.transcript = rep->transcript;
            for (const auto& x : r.runs)
                tc.duration_ms += x.duration_ms;
        }
        if (!r.summary.empty())
            tc.message = r.summary + (tc.message.empty() ? "" : "; " + tc.message);
        doc.cases.push_back(std::move(tc));
    }
    doc.data = report_json(run, s, tool_version);
    return doc;
}

} // namespace chat::conformance
