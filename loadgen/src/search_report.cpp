// `chat-load search` for people: the capacity, the steps and the knee, in the report and on stdout.
#include "search_report.hpp"

#include "figures.hpp"
#include "plan.hpp"
#include "result_json.hpp"
#include "scenario.hpp"

#include <algorithm> // min, sort
#include <cstdio>    // snprintf

namespace chat::load {
namespace rep = chat::reports;
namespace {

std::string per_s(double v) {
    return with_commas(static_cast<std::uint64_t>(v + 0.5)) + "/s";
}

const char* verdict_word(step_verdict v) {
    return v == step_verdict::pass ? "pass" : v == step_verdict::fail ? "FAIL" : "INVALID";
}

std::string slo_text(const search_run& r) {
    std::string out;
    for (const auto& s : r.slo)
        out += (out.empty() ? "" : " and ") + s;
    return out;
}

std::string step_line(const step_outcome& s) {
    return per_s(s.offered_per_s) + " offered: " + per_s(s.delivered_per_s) + " delivered, p50 " +
           ms(s.p50_us) + ", p99 " + ms(s.p99_us) + ", delivery " + fixed(s.delivery * 100, 4) +
           "%";
}

// The capacity in one sentence.
std::string capacity_sentence(const search_run& r) {
    const auto& res = r.result;
    if (res.last_pass && res.first_fail)
        return "capacity: between " + per_s(res.last_pass->offered_per_s) + " (passes) and " +
               per_s(res.first_fail->offered_per_s) + " (fails) deliveries per second under " +
               slo_text(r);
    if (res.last_pass && res.first_invalid)
        return "capacity: at least " + per_s(res.last_pass->offered_per_s) +
               " deliveries per second under " + slo_text(r) + " (no step failed; the generator " +
               "could not offer " + per_s(res.first_invalid->offered_per_s) + ")";
    if (res.last_pass)
        return "capacity: at least " + per_s(res.last_pass->offered_per_s) +
               " deliveries per second under " + slo_text(r) + " (no step failed)";
    if (res.first_fail)
        return "capacity: below " + per_s(res.first_fail->offered_per_s) +
               " deliveries per second: no step met " + slo_text(r);
    return "capacity: unknown, no step could be judged";
}

} // namespace

double deliveries_per_unit_rate(const scenario& s) {
    double total = 0;
    for (const auto size : room_sizes(s))
        total +=
            static_cast<double>(std::min(s.senders_per_room, size)) * static_cast<double>(size);
    return total;
}

void finalize(search_run& r) {
    const auto& res = r.result;
    if (res.last_pass && res.first_fail) {
        r.verdict = "FOUND";
        r.exit_code = search_exit_found;
    } else if (res.last_pass) {
        r.verdict = "LOWER BOUND";
        r.exit_code = search_exit_lower_bound;
    } else if (res.first_fail &&
               (res.steps.empty() || res.steps.back().verdict != step_verdict::invalid)) {
        r.verdict = "NONE PASSED";
        r.exit_code = search_exit_none_passed;
    } else {
        r.verdict = "INVALID";
        r.exit_code = search_exit_invalid;
    }
}

rep::document to_document(const search_run& r) {
    rep::document d;
    d.tool = "chat-load";
    const auto& sc = r.scenario;
    d.title = "chat-load search: " + sc.url + ", " +
              with_commas(static_cast<std::uint64_t>(sc.clients)) + " clients in " +
              with_commas(static_cast<std::uint64_t>(sc.rooms)) +
              (sc.rooms == 1 ? " room" : " rooms");
    d.verdict = r.verdict + ": " + capacity_sentence(r);
    d.highlights.push_back(r.result.ended);
    d.data = to_json(r);
    d.meta = {{"SLO", slo_text(r)},
              {"steps", std::to_string(r.result.steps.size()) + " of at most " +
                            std::to_string(r.options.max_steps)},
              {"measured window per step", num(static_cast<double>(r.step_ms) / 1000) + " s"},
              {"search wall time", fixed(r.wall_seconds, 1) + " s"},
              {"offered rate", "deliveries/s = " + num(r.deliveries_per_unit_rate) +
                                   " x messages per second per sender"}};

    rep::section cap{"capacity", "Capacity", {}, {}, {}};
    cap.notes.push_back(capacity_sentence(r) + ".");
    cap.notes.push_back(
        "Each step is a full run on fresh rooms (room prefix per step) with warm-up, a measured "
        "window and the generator self-watch; a step whose generator could not keep the schedule "
        "is INVALID: it says nothing of the server, so the search looks below it (before any pass "
        "it ends the search). Offered deliveries per second = senders x rate per "
        "sender x members of their room (the sender receives its own message too), here " +
        num(r.deliveries_per_unit_rate) + " x the rate per sender.");
    rep::table bracket{"Bracket", {"", "offered", "delivered", "p50", "p99", "delivery"}, {}};
    auto add = [&](const char* what, const std::optional<step_outcome>& s) {
        if (s)
            bracket.rows.push_back({what, per_s(s->offered_per_s), per_s(s->delivered_per_s),
                                    ms(s->p50_us), ms(s->p99_us), fixed(s->delivery, 6)});
    };
    add("last passing step", r.result.last_pass);
    add("first failing step", r.result.first_fail);
    add("first step the generator could not offer", r.result.first_invalid);
    if (!bracket.rows.empty())
        cap.tables.push_back(std::move(bracket));
    d.sections.push_back(std::move(cap));

    rep::section steps{"steps", "Steps", {}, {}, {}};
    rep::table t{"Steps in the order they ran",
                 {"#", "offered/s", "rate per sender", "sent/s", "delivered/s", "p50", "p99",
                  "delivery", "errors", "run", "step", "why"},
                 {}};
    for (std::size_t i = 0; i < r.result.steps.size(); ++i) {
        const auto& s = r.result.steps[i];
        const auto det = i < r.details.size() ? r.details[i] : search_step_detail{};
        t.rows.push_back(
            {std::to_string(i + 1), per_s(s.offered_per_s), num(det.rate_per_sender),
             per_s(det.sent_per_s), per_s(s.delivered_per_s), ms(s.p50_us), ms(s.p99_us),
             fixed(s.delivery, 6), with_commas(det.errors), det.verdict,
             verdict_word(s.verdict) +
                 (s.attempt > 1 ? " (rerun " + std::to_string(s.attempt - 1) + ")" : std::string()),
             s.why});
    }
    // --server-pid: the server's cost beside each step.
    bool server = false;
    for (const auto& det : r.details)
        server = server || det.server_rss_max > 0;
    if (server) {
        t.header.insert(t.header.end() - 3, {"server CPU per delivery", "server RSS max"});
        for (std::size_t i = 0; i < t.rows.size() && i < r.details.size(); ++i)
            t.rows[i].insert(
                t.rows[i].end() - 3,
                {fixed(r.details[i].server_cpu_us_per_delivery, 3) + " us",
                 fixed(static_cast<double>(r.details[i].server_rss_max) / 1048576, 1) + " MiB"});
    }
    steps.tables.push_back(std::move(t));

    // The knee: figures against offered rate, steps sorted by rate (judged steps only).
    std::vector<step_outcome> sorted;
    for (const auto& s : r.result.steps)
        if (s.verdict != step_verdict::invalid)
            sorted.push_back(s);
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.offered_per_s < b.offered_per_s; });
    rep::chart lat{"Latency against offered rate (the knee)",
                   "offered deliveries per second",
                   "milliseconds",
                   false,
                   true,
                   {}};
    rep::series p50{"p50", {}}, p99{"p99", {}};
    rep::chart del{"Delivery against offered rate",
                   "offered deliveries per second",
                   "delivered / expected",
                   false,
                   false,
                   {}};
    rep::series ratio{"delivery", {}};
    rep::chart thr{"Delivered against offered rate",
                   "offered deliveries per second",
                   "deliveries per second",
                   false,
                   false,
                   {}};
    rep::series delivered{"delivered/s", {}}, offered{"offered/s", {}};
    for (const auto& s : sorted) {
        p50.points.emplace_back(s.offered_per_s, std::max(s.p50_us, 1.0) / 1000);
        p99.points.emplace_back(s.offered_per_s, std::max(s.p99_us, 1.0) / 1000);
        ratio.points.emplace_back(s.offered_per_s, s.delivery);
        delivered.points.emplace_back(s.offered_per_s, s.delivered_per_s);
        offered.points.emplace_back(s.offered_per_s, s.offered_per_s);
    }
    lat.lines = {p50, p99};
    del.lines = {ratio};
    thr.lines = {offered, delivered};
    if (!sorted.empty())
        steps.charts = {lat, del, thr};
    d.sections.push_back(std::move(steps));

    rep::test_case tc;
    tc.id = "search.capacity";
    tc.group = "search";
    tc.title = "capacity under " + slo_text(r);
    tc.result = r.exit_code == search_exit_found         ? rep::outcome::pass
                : r.exit_code == search_exit_lower_bound ? rep::outcome::warn
                : r.exit_code == search_exit_none_passed ? rep::outcome::fail
                                                         : rep::outcome::error;
    tc.expected = "a passing step below a failing one";
    tc.actual = capacity_sentence(r);
    tc.message = r.result.ended;
    tc.duration_ms = r.wall_seconds * 1000;
    d.cases.push_back(std::move(tc));
    d.cases_title = "Search";
    d.group_label = "Kind";
    return d;
}

void print_summary(const search_run& r, std::ostream& out) {
    out << "chat-load search: " << r.verdict << "\n";
    out << "  " << capacity_sentence(r) << "\n";
    if (r.result.last_pass)
        out << "  last passing step:  " << step_line(*r.result.last_pass) << "\n";
    if (r.result.first_fail)
        out << "  first failing step: " << step_line(*r.result.first_fail) << "\n";
    if (r.result.first_invalid)
        out << "  generator could not offer: " << per_s(r.result.first_invalid->offered_per_s)
            << " (INVALID)\n";
    out << "  ended: " << r.result.ended << "\n";
    out << "  steps: " << r.result.steps.size() << ", wall time " << fixed(r.wall_seconds, 1)
        << " s\n";
}

} // namespace chat::load
